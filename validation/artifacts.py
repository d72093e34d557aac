"""Artifact descriptions: kind, role and I/O, read from the sidecar `NAME.json` beside each model.

A converted model is `NAME.tflite` or `NAME.mlpackage` with a sidecar `NAME.json`. An OpenVINO IR
folder (one holding `SynthesisNetwork.xml`) has no sidecar and is described from the IR itself.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from msg_model.config import GeneratorConfig
from msg_model.errors import InvalidInputError

TARGET_BY_SUFFIX = {".tflite": "tflite", ".mlpackage": "coreml"}
ROLES = ("synthesis", "mapping", "generator")
INPUT_KINDS = ("w", "w_plus", "z")
IMAGE_OUTPUTS = ("float", "uint8", "image")
ARTIFACT_NOISE_MODES = ("const", "none")
OPENVINO_SYNTHESIS_FILE = "SynthesisNetwork.xml"


@dataclasses.dataclass(frozen=True)
class ArtifactInfo:
    """An artifact to validate and the facts about it that validation needs."""

    path: Path
    kind: str
    target: str  # "tflite", "coreml" or "openvino"
    role: str  # "synthesis" (w -> image), "mapping" (z, psi -> w) or "generator" (z -> image)
    variant: str  # precision or compression, for example "fp32", "fp16w", "int8w", "pal4"
    input_kind: str  # "w", "w_plus" or "z"; mapping artifacts also take "psi"
    image_output: str  # "float" in [-1, 1], "uint8" RGB 0..255, or "image" (CoreML image, 0..255)
    truncation_psi: float | None  # baked truncation, only for role "generator"
    noise_mode: str
    noise_seed: int | None
    sidecar: dict[str, Any] = dataclasses.field(hash=False, compare=False)
    sidecar_path: Path | None = None

    @property
    def name(self) -> str:
        return self.path.name


def sidecar_path_for(path: Path) -> Path:
    """`NAME.json` beside `NAME.tflite` or `NAME.mlpackage`."""
    return path.with_suffix(".json")


def read_sidecar_file(path: Path) -> dict[str, Any]:
    """Read a sidecar; raise InvalidInputError when it is missing or not a JSON object."""
    sidecar = sidecar_path_for(path)
    if not sidecar.is_file():
        raise InvalidInputError(
            f"artifact {str(path)!r} has no sidecar {sidecar.name!r} beside it; "
            f"convert the model with `msg convert`, which writes the sidecar next to the model"
        )
    from converters.sidecar import read_sidecar

    return read_sidecar(sidecar)


def require_choice(sidecar: dict, field: str, choices: tuple[str, ...], path: Path, default: str | None = None) -> str:
    value = sidecar.get(field, default)
    if value not in choices:
        raise InvalidInputError(
            f"sidecar of {path.name!r} has {field}={value!r}; expected one of {', '.join(choices)}"
        )
    return value


def variant_from_kind(kind: str, target: str) -> str:
    """"tflite-fp16w" -> "fp16w", "mapping-coreml-fp16" -> "fp16"."""
    for prefix in (f"mapping-{target}-", f"generator-{target}-", f"{target}-"):
        if kind.startswith(prefix):
            return kind[len(prefix):]
    return kind


def check_digest(path: Path, sidecar: dict) -> None:
    """Raise `InvalidInputError` when the artifact's size or sha256 differs from what its sidecar records.

    A mismatch means the file changed after conversion, so the sidecar's shapes and ranges may not
    describe it.
    """
    from converters.digest import sidecar_mismatch

    found = sidecar_mismatch(path, sidecar)
    if found is not None:
        raise InvalidInputError(f"artifact {path.name!r} has {found}; it changed after it was written, so convert or quantize it again, or restore it")


def describe_converted(path: Path) -> ArtifactInfo:
    """Describe a `.tflite` file or `.mlpackage` folder from its sidecar."""
    target = TARGET_BY_SUFFIX[path.suffix]
    sidecar = read_sidecar_file(path)
    kind = sidecar.get("kind")
    if not isinstance(kind, str) or not kind:
        raise InvalidInputError(f"sidecar of {path.name!r} has no 'kind'; expected for example 'tflite-fp32'")
    if sidecar.get("target", target) != target:
        raise InvalidInputError(
            f"sidecar of {path.name!r} sets target {sidecar.get('target')!r}, but the suffix {path.suffix!r} means target {target!r}"
        )

    check_digest(path, sidecar)
    role = require_choice(sidecar, "role", ROLES, path, default="synthesis")
    default_input = {"synthesis": "w", "mapping": "z", "generator": "z"}[role]
    input_kind = require_choice(sidecar, "input", INPUT_KINDS, path, default=default_input)
    psi = sidecar.get("truncation_psi")
    if role == "generator" and not isinstance(psi, (int, float)):
        raise InvalidInputError(f"sidecar of {path.name!r} has role 'generator' but no numeric 'truncation_psi'")
    noise_seed = sidecar.get("noise_seed")
    return ArtifactInfo(
        path=path,
        kind=kind,
        target=target,
        role=role,
        variant=str(sidecar.get("variant") or variant_from_kind(kind, target)),
        input_kind=input_kind,
        image_output=require_choice(sidecar, "image_output", IMAGE_OUTPUTS, path, default="float"),
        truncation_psi=float(psi) if role == "generator" else None,
        noise_mode=require_choice(sidecar, "noise_mode", ARTIFACT_NOISE_MODES, path, default="const"),
        noise_seed=int(noise_seed) if isinstance(noise_seed, int) else None,
        sidecar=sidecar,
        sidecar_path=sidecar_path_for(path),
    )


def describe_openvino(folder: Path) -> ArtifactInfo:
    """Describe an OpenVINO IR folder from its synthesis network's input shape."""
    from msg_model.openvino_import import import_openvino

    try:
        ov = import_openvino()
    except ImportError as error:
        raise InvalidInputError(
            f"{str(folder)!r} is an OpenVINO IR folder but openvino is not installed; run `pip install openvino`"
        ) from error

    model = ov.Core().read_model(str(folder / OPENVINO_SYNTHESIS_FILE))
    if len(model.inputs) != 1 or len(model.outputs) != 1:
        raise InvalidInputError(
            f"{OPENVINO_SYNTHESIS_FILE} in {str(folder)!r} has {len(model.inputs)} inputs and {len(model.outputs)} outputs; "
            f"expected one style input and one image output"
        )
    input_shape = [d.get_length() if d.is_static else -1 for d in model.inputs[0].get_partial_shape()]
    sidecar = {
        "kind": "openvino-fp32",
        "target": "openvino",
        "role": "synthesis",
        "input_shape": input_shape,
        "output_shape": [d.get_length() if d.is_static else -1 for d in model.outputs[0].get_partial_shape()],
        "description": "OpenVINO IR without a sidecar; described from the IR, run with float32 inference precision",
    }
    return ArtifactInfo(
        path=folder,
        kind="openvino-fp32",
        target="openvino",
        role="synthesis",
        variant="fp32",
        input_kind="w_plus" if len(input_shape) == 3 else "w",
        image_output="float",
        truncation_psi=None,
        noise_mode="const",
        noise_seed=None,
        sidecar=sidecar,
    )


def describe_artifact(path: Path | str) -> ArtifactInfo:
    """Describe the artifact at `path`; raise InvalidInputError when it is missing or not a known kind."""
    path = Path(path)
    if not path.exists():
        raise InvalidInputError(f"artifact {str(path)!r} not found")
    if path.is_dir() and (path / OPENVINO_SYNTHESIS_FILE).is_file():
        return describe_openvino(path)
    if path.suffix in TARGET_BY_SUFFIX:
        return describe_converted(path)
    raise InvalidInputError(
        f"cannot tell the kind of artifact {str(path)!r}; expected a .tflite file, a .mlpackage folder "
        f"or an OpenVINO IR folder holding {OPENVINO_SYNTHESIS_FILE}"
    )


def expected_shapes(info: ArtifactInfo, config: GeneratorConfig) -> dict[str, list[int]]:
    """Return the contract's batch-1 tensor shapes, by tensor name, of `info` on a model of shape `config`."""
    style = config.style_dim
    image = [1, 3, config.resolution, config.resolution]
    if info.role == "mapping":
        return {"z": [1, style], "psi": [1, 1], "w": [1, style]}
    if info.input_kind == "w_plus":
        return {"w_plus": [1, config.num_ws, style], "image": image}
    return {info.input_kind: [1, style], "image": image}


def check_compatible(info: ArtifactInfo, config: GeneratorConfig, reference_spec: str) -> None:
    """Raise InvalidInputError when the shapes stated in the sidecar do not fit the reference model."""
    expected = expected_shapes(info, config)
    stated = {
        entry.get("name"): entry.get("shape")
        for entry in [*info.sidecar.get("inputs", []), *info.sidecar.get("outputs", [])]
        if isinstance(entry, dict)
    }
    if info.target == "openvino":
        stated = {info.input_kind: info.sidecar.get("input_shape")}
    for name, shape in stated.items():
        if name in expected and shape is not None and list(shape) != expected[name]:
            source = info.sidecar.get("source_model", "unknown")
            raise InvalidInputError(
                f"artifact {info.name!r} has {name} of shape {list(shape)} but reference {reference_spec!r} needs {expected[name]}; "
                f"pass the --reference the artifact was converted from (its sidecar names {source!r})"
            )
