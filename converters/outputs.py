"""Output paths of a converted model and its sidecar, checked before any slow work starts."""

from __future__ import annotations

from pathlib import Path

from converters.sidecar import check_sidecar_unshared, sidecar_path
from msg_model.atomic import check_writable
from msg_model.errors import InvalidInputError

SUFFIXES = {"tflite": ".tflite", "coreml": ".mlpackage"}
COREML_PACKAGE_MANIFEST = "Manifest.json"  # every .mlpackage folder has one at its top


def artifact_path(out_dir: Path, name: str, target: str) -> Path:
    if not name or "/" in name or "\\" in name or name.startswith("."):
        raise InvalidInputError(f"invalid artifact name {name!r}; expected a plain file name without folders, such as 'face-generator'")
    return Path(out_dir) / f"{name}{SUFFIXES[target]}"


def check_output_artifact(out_dir: Path, name: str, target: str) -> Path:
    """Return the artifact path for `name` in `out_dir`, and raise `InvalidInputError` when writing it would fail or lose files.

    An existing output is replaced only when it is the same kind of entry, and an existing folder
    named NAME.mlpackage only when it is a CoreML package, so a user's own folder is never deleted.
    """
    path = artifact_path(out_dir, name, target)
    check_writable(path, directory=target == "coreml")
    check_writable(sidecar_path(path))
    check_sidecar_unshared(path)
    if target == "coreml" and path.is_dir() and not (path / COREML_PACKAGE_MANIFEST).is_file():
        raise InvalidInputError(
            f"output {str(path)!r} is a folder but not a CoreML package (it has no {COREML_PACKAGE_MANIFEST}); "
            f"move it or pass another --name or --out, so that its files are not deleted"
        )
    return path
