"""Find the two TFLite models the demo page runs (mapping and synthesis) in a deploy folder.

Each converted model has a sidecar `NAME.json` next to `NAME.tflite` that gives its role, target,
variant, input kind and tensors. When the folder has a `manifest.json`, only the `.tflite` paths it
names are considered; otherwise every `.tflite` under the folder is.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from pathlib import Path
from typing import Any, Iterator

from msg_model.errors import InvalidInputError

logger = logging.getLogger(__name__)

MANIFEST_NAME = "manifest.json"
MAPPING_NAMES = ({"z", "psi"}, {"w"})
SYNTHESIS_NAMES = ({"w"}, {"image"})


@dataclasses.dataclass(frozen=True)
class DemoModel:
    """One converted model and the contents of its sidecar."""

    path: Path
    sidecar: dict[str, Any]

    def tensor_shape(self, group: str, name: str) -> tuple[int, ...]:
        for tensor in self.sidecar[group]:
            if tensor["name"] == name:
                return tuple(tensor["shape"])
        raise KeyError(f"{self.path.name} has no {group[:-1]} named {name!r}")


@dataclasses.dataclass(frozen=True)
class DemoModels:
    """The mapping (z, psi -> w) and synthesis (w -> image) models of one source model."""

    folder: Path
    mapping: DemoModel
    synthesis: DemoModel

    @property
    def style_dim(self) -> int:
        return self.synthesis.tensor_shape("inputs", "w")[1]

    @property
    def resolution(self) -> int:
        return self.synthesis.tensor_shape("outputs", "image")[2]

    def page_config(self) -> dict[str, Any]:
        """Build the `/models/config.json` that the page reads: model URLs, kinds and sizes."""
        return {
            "source_model": self.synthesis.sidecar.get("source_model", "unknown"),
            "style_dim": self.style_dim,
            "resolution": self.resolution,
            "mapping": model_entry(self.mapping, "/models/mapping.tflite"),
            "synthesis": model_entry(self.synthesis, "/models/synthesis.tflite"),
        }


def model_entry(model: DemoModel, url: str) -> dict[str, Any]:
    sidecar = model.sidecar
    return {"url": url, "kind": sidecar.get("kind"), "sha256": sidecar.get("sha256"), "size_bytes": sidecar.get("size_bytes")}


def strings_in(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from strings_in(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings_in(item)


def candidate_paths(folder: Path) -> list[Path]:
    """List the `.tflite` files the manifest names, or every `.tflite` under the folder when it has no manifest."""
    manifest = folder / MANIFEST_NAME
    if not manifest.is_file():
        return sorted(folder.rglob("*.tflite"))
    try:
        listed = json.loads(manifest.read_text())
    except json.JSONDecodeError as error:
        raise InvalidInputError(f"{manifest} is not valid JSON ({error}); rerun `msg deploy` to rewrite it") from None
    root = folder.resolve()
    paths = []
    for text in strings_in(listed):
        if not text.endswith(".tflite"):
            continue
        path = (folder / text).resolve()
        if not path.is_relative_to(root):
            logger.warning("ignoring %s from %s: it is outside the deploy folder", text, manifest)
            continue
        paths.append(path)
    return sorted(set(paths))


def read_models(folder: Path) -> list[DemoModel]:
    models = []
    for path in candidate_paths(folder):
        sidecar_path = path.with_suffix(".json")
        if not path.is_file() or not sidecar_path.is_file():
            logger.info("skipping %s: the model or its sidecar %s is missing", path, sidecar_path.name)
            continue
        try:
            sidecar = json.loads(sidecar_path.read_text())
        except json.JSONDecodeError as error:
            logger.warning("skipping %s: its sidecar is not valid JSON (%s)", path, error)
            continue
        models.append(DemoModel(path, sidecar))
    return models


def tensor_names(model: DemoModel) -> tuple[set[str], set[str]]:
    inputs = {tensor["name"] for tensor in model.sidecar.get("inputs", [])}
    outputs = {tensor["name"] for tensor in model.sidecar.get("outputs", [])}
    return inputs, outputs


def is_mapping(model: DemoModel) -> bool:
    sidecar = model.sidecar
    return sidecar.get("role") == "mapping" and sidecar.get("target") == "tflite" and sidecar.get("variant") == "fp32"


def is_synthesis(model: DemoModel, variant: str) -> bool:
    sidecar = model.sidecar
    return (
        sidecar.get("role") == "synthesis"
        and sidecar.get("target") == "tflite"
        and sidecar.get("variant") == variant
        and sidecar.get("input") == "w"
        and sidecar.get("image_output", "float") == "float"
    )


def pick_one(models: list[DemoModel], description: str, folder: Path, found: list[DemoModel]) -> DemoModel:
    if not models:
        kinds = ", ".join(sorted({str(model.sidecar.get("kind")) for model in found})) or "no models with sidecars"
        raise InvalidInputError(
            f"no {description} in {folder} (found: {kinds}); run `msg deploy` to write the TFLite models the demo needs"
        )
    if len(models) > 1:
        names = ", ".join(str(model.path.relative_to(folder)) for model in models)
        raise InvalidInputError(f"{folder} contains several {description}s ({names}); pass a folder with one model per role")
    return models[0]


def check_pair(mapping: DemoModel, synthesis: DemoModel) -> None:
    for model, (inputs, outputs) in ((mapping, MAPPING_NAMES), (synthesis, SYNTHESIS_NAMES)):
        found_inputs, found_outputs = tensor_names(model)
        if (found_inputs, found_outputs) != (inputs, outputs):
            raise InvalidInputError(
                f"{model.path} has inputs {sorted(found_inputs)} and outputs {sorted(found_outputs)}, "
                f"expected {sorted(inputs)} and {sorted(outputs)}; reconvert it with `msg deploy`"
            )
    mapping_w = mapping.tensor_shape("outputs", "w")
    synthesis_w = synthesis.tensor_shape("inputs", "w")
    if mapping_w != synthesis_w:
        raise InvalidInputError(
            f"mapping output w {mapping_w} does not fit synthesis input w {synthesis_w}; "
            "the two models come from different generators"
        )


def find_demo_models(folder: Path, variant: str = "fp32") -> DemoModels:
    """Pick the TFLite mapping model and the TFLite synthesis model (input w, float image) of `variant`."""
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise InvalidInputError(f"{folder} is a file, not a deploy folder; pass the folder that `msg deploy` wrote, which contains the .tflite models")
    if not folder.is_dir():
        raise InvalidInputError(f"deploy folder {folder} not found; run `msg deploy` first or pass the folder holding the .tflite models")
    folder = folder.resolve()
    found = read_models(folder)
    mapping = pick_one([model for model in found if is_mapping(model)], "TFLite fp32 mapping model", folder, found)
    synthesis = pick_one(
        [model for model in found if is_synthesis(model, variant)], f"TFLite {variant} synthesis model (input w)", folder, found
    )
    check_pair(mapping, synthesis)
    return DemoModels(folder, mapping, synthesis)
