"""manifest.json: the contents of the deploy folder and their source."""

from __future__ import annotations

import datetime
import json
import platform
from pathlib import Path
from typing import Any

from converters.artifact import Artifact
from converters.digest import sha256_path
from converters.metadata import tensor_dict
from converters.provenance import library_versions, toolkit_version
from msg_model.atomic import atomic_path
from msg_model.spec import LoadedModel

MANIFEST_NAME = "manifest.json"
MANIFEST_VERSION = 1


def artifact_entry(artifact: Artifact, run: dict[str, Any] | None) -> dict[str, Any]:
    return {
        "file": artifact.path.name,
        "sidecar": artifact.sidecar.name,
        "kind": artifact.kind,
        "target": artifact.target,
        "role": artifact.role,
        "size_bytes": artifact.size_bytes,
        "sha256": artifact.sha256,
        "sidecar_sha256": sha256_path(artifact.sidecar),
        "inputs": [tensor_dict(spec) for spec in artifact.inputs],
        "outputs": [tensor_dict(spec) for spec in artifact.outputs],
        "check_run": run,
    }


def build_manifest(model: LoadedModel, artifacts: list[Artifact], runs: dict[str, dict], timings: dict[str, float]) -> dict[str, Any]:
    config = model.config
    return {
        "manifest_version": MANIFEST_VERSION,
        "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "source_model": model.spec,
        "source_sha256": model.source_sha256,
        "source_description": model.description,
        "licence": model.licence,
        "config": {"style_dim": config.style_dim, "channels": list(config.channels), "num_ws": config.num_ws, "resolution": config.resolution},
        "toolkit_version": toolkit_version(),
        "versions": {**library_versions(), "python": platform.python_version()},
        "artifacts": [artifact_entry(artifact, runs.get(artifact.path.name)) for artifact in artifacts],
        "step_seconds": {name: round(seconds, 2) for name, seconds in timings.items()},
    }


def write_manifest(folder: Path, manifest: dict[str, Any]) -> Path:
    path = Path(folder) / MANIFEST_NAME
    with atomic_path(path) as temporary:
        temporary.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return path
