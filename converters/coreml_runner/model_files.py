"""Find the spec and the weight folder of a saved Core ML model.

An `.mlpackage` names its root model in `Manifest.json` (normally
`Data/com.apple.CoreML/model.mlmodel`). Weight files are named `@model_path/weights/weight.bin`,
where `@model_path` is the folder that contains the `.mlmodel` file. A bare `.mlmodel` ML program
therefore needs its `weights/` folder beside it.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from msg_model.errors import InvalidInputError

MANIFEST = "Manifest.json"


@dataclasses.dataclass(frozen=True)
class ModelFiles:
    """A model's spec (a `Model_pb2.Model`) and the folder that `@model_path` refers to."""

    spec: object
    model_dir: Path | None
    path: Path | None


def root_model_path(package: Path) -> Path:
    """Return the `.mlmodel` file that an `.mlpackage` names as its root model in its manifest."""
    manifest_path = package / MANIFEST
    if not manifest_path.is_file():
        raise InvalidInputError(f"{package} has no {MANIFEST}; expected a Core ML .mlpackage folder")
    manifest = json.loads(manifest_path.read_text())
    entry = manifest["itemInfoEntries"][manifest["rootModelIdentifier"]]
    return package / "Data" / entry["path"]


def read_model_files(source) -> ModelFiles:
    """Read the spec from an `.mlpackage`, an `.mlmodel` file or a `coremltools.models.MLModel`."""
    from coremltools.models import MLModel
    from coremltools.models.utils import load_spec

    if isinstance(source, MLModel):
        weights_dir = getattr(source, "weights_dir", None)
        model_dir = Path(weights_dir).parent if weights_dir else None
        return ModelFiles(source.get_spec(), model_dir, None)

    path = Path(source)
    if not path.exists():
        raise InvalidInputError(
            f"Core ML model {str(path)!r} not found; expected an .mlpackage folder or an .mlmodel file"
        )
    if path.is_dir():
        model_file = root_model_path(path)
    elif path.suffix == ".mlmodel":
        model_file = path
    else:
        raise InvalidInputError(
            f"{str(path)!r} is not a Core ML model; expected an .mlpackage folder or an .mlmodel file"
        )
    return ModelFiles(load_spec(str(model_file)), model_file.parent, path)
