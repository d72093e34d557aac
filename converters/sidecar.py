"""The sidecar NAME.json next to NAME.tflite or NAME.mlpackage, written after the model."""

from __future__ import annotations

import json
from pathlib import Path

from msg_model.atomic import atomic_path
from msg_model.errors import InvalidInputError

ARTIFACT_SUFFIXES = (".tflite", ".mlpackage")


def sidecar_path(artifact_path: Path) -> Path:
    return Path(artifact_path).with_suffix(".json")


def check_sidecar_unshared(artifact_path: Path) -> None:
    """Raise `InvalidInputError` when NAME.json already describes another artifact of that NAME that still exists.

    NAME.tflite and NAME.mlpackage would share one sidecar, so converting the second would overwrite
    the description of the first.
    """
    artifact_path = Path(artifact_path)
    others = [artifact_path.with_suffix(suffix) for suffix in ARTIFACT_SUFFIXES if suffix != artifact_path.suffix]
    existing = [other for other in others if other.exists()]
    if existing and sidecar_path(artifact_path).is_file():
        raise InvalidInputError(
            f"{str(sidecar_path(artifact_path))!r} describes {str(existing[0])!r}, and writing "
            f"{artifact_path.name} would overwrite it; pass another --name or remove {existing[0].name}"
        )


def write_sidecar(artifact_path: Path, fields: dict) -> Path:
    """Write the sidecar of `artifact_path` atomically; return its path."""
    path = sidecar_path(artifact_path)
    with atomic_path(path) as temporary:
        temporary.write_text(json.dumps(fields, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return path


def read_sidecar(path: Path) -> dict:
    """Read the sidecar of an artifact, given the artifact (NAME.tflite, NAME.mlpackage) or the sidecar itself."""
    path = Path(path)
    target = path if path.suffix == ".json" else sidecar_path(path)
    if not target.is_file():
        raise InvalidInputError(f"sidecar {str(target)!r} not found; convert the model with `msg convert`, which writes it")
    try:
        fields = json.loads(target.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise InvalidInputError(f"sidecar {str(target)!r} is not valid JSON: {error}") from error
    if not isinstance(fields, dict):
        raise InvalidInputError(f"sidecar {str(target)!r} must hold a JSON object, found {type(fields).__name__}")
    return fields
