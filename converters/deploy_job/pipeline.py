"""Run the deploy steps into a temporary folder beside the output and rename it into place at the end.

A failed or interrupted run leaves the previous output folder (if any) untouched and no partial one.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import time
from pathlib import Path
from typing import Any, Callable, Sequence

from converters.artifact import Artifact
from converters.deploy_job.manifest import MANIFEST_NAME
from converters.deploy_job.state import DeployOptions, DeployState, Step
from converters.deploy_job.steps import (
    REPORT_FOLDER,
    check_run_step,
    convert_mapping_step,
    convert_synthesis_step,
    load_step,
    manifest_step,
    quantize_step,
    validate_step,
)
from msg_model.atomic import atomic_path
from msg_model.errors import InvalidInputError

logger = logging.getLogger(__name__)

DEFAULT_STEPS: tuple[Step, ...] = (
    Step("load", "loading and fusing the model", load_step),
    Step("convert-synthesis", "converting the synthesis network (CoreML fp16, TFLite fp32)", convert_synthesis_step),
    Step("convert-mapping", "converting the mapping network (TFLite fp32, CoreML fp16)", convert_mapping_step),
    Step("quantize", "adding int8 variants (TFLite int8w and int8-full, CoreML int8w)", quantize_step),
    Step("check-run", "running each model once against PyTorch", check_run_step),
    Step("validate", "validating every model against the float model (report/report.html)", validate_step),
    Step("manifest", "writing manifest.json", manifest_step),
)

StepCallback = Callable[[Step, int, int], None]  # (step, index from 0, number of steps)


@dataclasses.dataclass(frozen=True)
class DeployResult:
    folder: Path
    artifacts: tuple[Artifact, ...]
    manifest: dict[str, Any] | None
    validation: Any = None  # validation.ValidationResult, or None when validation was off

    @property
    def passed(self) -> bool:
        return self.validation is None or self.validation.passed


DEPLOY_MANIFEST_KEYS = {"manifest_version", "source_model", "toolkit_version", "artifacts"}


def is_deploy_manifest(path: Path) -> bool:
    """Return True when `path` is a manifest.json written by `msg deploy` (not just any manifest.json)."""
    try:
        fields = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return False
    return isinstance(fields, dict) and DEPLOY_MANIFEST_KEYS <= set(fields)


def deploy_entries(manifest: dict) -> set[str]:
    """Names that a deploy run writes into its folder, by its manifest: the models, their sidecars, audits and recipes."""
    names = {MANIFEST_NAME, REPORT_FOLDER}
    for artifact in manifest.get("artifacts", []):
        if isinstance(artifact, dict) and isinstance(artifact.get("file"), str):
            stem = Path(artifact["file"]).stem
            names |= {artifact["file"], f"{stem}.json", f"{stem}.audit.json", f"{stem}.recipe.json"}
    return names


def check_output_folder(folder: Path) -> None:
    """Reject an output path that a deploy run must not replace.

    That is a file, a non-empty folder that is not a deploy folder, or a deploy folder that contains
    files the earlier run did not write, because replacing the folder would delete them.
    """
    if folder.is_file():
        raise InvalidInputError(f"output {str(folder)!r} is a file; pass a folder path with --out")
    if not folder.is_dir() or not any(folder.iterdir()):
        return
    manifest_path = folder / MANIFEST_NAME
    if not is_deploy_manifest(manifest_path):
        raise InvalidInputError(
            f"output folder {str(folder)!r} is not empty and contains no {MANIFEST_NAME} written by msg deploy, so it is not an earlier deploy "
            f"output and would be replaced; pass a new or empty folder with --out"
        )
    foreign = sorted(entry.name for entry in folder.iterdir() if entry.name not in deploy_entries(json.loads(manifest_path.read_text(encoding="utf-8"))))
    if foreign:
        listed = ", ".join(foreign[:3]) + (f" and {len(foreign) - 3} more" if len(foreign) > 3 else "")
        raise InvalidInputError(
            f"output folder {str(folder)!r} holds files an earlier msg deploy did not write ({listed}), and replacing the folder "
            f"would delete them; move them out or pass another --out"
        )


def run_deploy(options: DeployOptions, steps: Sequence[Step] = DEFAULT_STEPS, on_step: StepCallback | None = None) -> DeployResult:
    """Run `steps` in order into a temporary sibling of `options.out_dir`, then replace `out_dir` with it."""
    folder = Path(options.out_dir)
    check_output_folder(folder)
    with atomic_path(folder, directory=True) as work_dir:
        state = DeployState(options=options, work_dir=work_dir)
        for index, step in enumerate(steps):
            if on_step is not None:
                on_step(step, index, len(steps))
            start = time.perf_counter()
            step.run(state)
            state.timings[step.name] = time.perf_counter() - start
            logger.info("step %s took %.1f s", step.name, state.timings[step.name])
    artifacts = tuple(dataclasses.replace(artifact, path=folder / artifact.path.name, sidecar=folder / artifact.sidecar.name) for artifact in state.artifacts)
    return DeployResult(folder, artifacts, state.manifest, state.validation)
