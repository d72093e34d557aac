"""The deploy steps, one function each: `step(state)` reads what earlier steps left and adds to it."""

from __future__ import annotations

import dataclasses
import logging
import shutil
from pathlib import Path

from converters.api import convert, convert_mapping
from converters.artifact import Artifact
from converters.sidecar import sidecar_path
from converters.deploy_job.check_runs import check_reference_finite, run_artifact
from converters.deploy_job.manifest import build_manifest, write_manifest
from converters.deploy_job.state import DeployState
from msg_model.spec import load_model

logger = logging.getLogger(__name__)

# (target, precision) of the synthesis and mapping models that deploy writes.
SYNTHESIS_VARIANTS = (("coreml", "fp16"), ("tflite", "fp32"))
MAPPING_VARIANTS = (("tflite", "fp32"), ("coreml", "fp16"))


def load_step(state: DeployState) -> None:
    """Load and fuse the model named by the spec."""
    options = state.options
    state.model = load_model(options.model, trust_checkpoint=options.trust_checkpoint, cache_dir=options.cache_dir)
    check_reference_finite(state.model)


def convert_synthesis_step(state: DeployState) -> None:
    """Convert the synthesis network (input w, float image output) for each target."""
    model = state.require_model()
    for target, precision in SYNTHESIS_VARIANTS:
        state.artifacts.append(convert(model, target=target, precision=precision, out_dir=state.work_dir))


def convert_mapping_step(state: DeployState) -> None:
    """Convert the mapping network (z, psi -> w) for each target."""
    model = state.require_model()
    for target, precision in MAPPING_VARIANTS:
        state.artifacts.append(convert_mapping(model, target=target, precision=precision, out_dir=state.work_dir))


def check_run_step(state: DeployState) -> None:
    """Run every artifact once (LiteRT interpreter, CoreML runner when installed) against the fused model."""
    model = state.require_model()
    for artifact in state.artifacts:
        state.runs[artifact.path.name] = run_artifact(model, artifact, state.options.num_threads)


# (target, scheme) of the quantized synthesis models that deploy adds; each is validated like the rest.
QUANTIZED_VARIANTS = (("tflite", "int8w"), ("coreml", "int8w"), ("tflite", "int8-full"))


def artifact_from_sidecar(path: Path) -> Artifact:
    """Describe an artifact written by the quantization stage from its sidecar."""
    from converters import read_sidecar
    from msg_model.contract import TensorSpec

    fields = read_sidecar(path)

    def specs(entries: list[dict]) -> tuple[TensorSpec, ...]:
        return tuple(TensorSpec(e["name"], tuple(e["shape"]), e["dtype"], e.get("description", "")) for e in entries)

    return Artifact(
        path, sidecar_path(path), fields["kind"], fields["target"], fields["role"],
        specs(fields["inputs"]), specs(fields["outputs"]), fields["size_bytes"], fields["sha256"],
    )


def quantize_step(state: DeployState) -> None:
    """Add the int8-weight variants of both targets and the full-int8 TFLite variant.

    Each variant's compression audit must pass here; its quality is checked by the validate step.
    """
    if not state.options.quantized:
        return
    from quantization.options import QuantizeOptions
    from quantization.variants import build_variant

    model = state.require_model()
    workdir = state.work_dir / ".float-work"
    for target, scheme in QUANTIZED_VARIANTS:
        options = QuantizeOptions(target=target, scheme=scheme, validate=False, truncation_psi=state.options.truncation_psi)
        result = build_variant(model, options, out_dir=state.work_dir, workdir=workdir)
        state.artifacts.append(artifact_from_sidecar(result.path))
    shutil.rmtree(workdir, ignore_errors=True)


REPORT_FOLDER = "report"


def validate_step(state: DeployState) -> None:
    """Validate every artifact against the float model and write report/report.json and report.html.

    A failed validation does not stop the job: the folder is still written so the report can be
    read, and the deploy command exits non-zero.
    """
    if not state.options.validate:
        return
    from validation import validate, write_report

    options = state.options
    validation_options = options.validation_options()
    paths = [artifact.path for artifact in state.artifacts]
    result = validate(state.require_model(), paths, validation_options)
    state.validation = with_final_paths(result, Path(options.out_dir))
    write_report(state.validation, state.work_dir / REPORT_FOLDER)
    for failure in state.validation.failures:
        logger.error("validation failed: %s", failure.message)


def with_final_paths(result, folder: Path):
    """Return the result with artifact paths in the output folder rather than in the temporary one."""
    artifacts = tuple(
        dataclasses.replace(item, info=dataclasses.replace(item.info, path=folder / item.info.path.name)) for item in result.artifacts
    )
    return dataclasses.replace(result, artifacts=artifacts)


def validation_summary(state: DeployState) -> dict | None:
    if state.validation is None:
        return None
    return {
        "passed": state.validation.passed,
        "report": f"{REPORT_FOLDER}/report.html",
        "report_json": f"{REPORT_FOLDER}/report.json",
        "failures": [failure.message for failure in state.validation.failures],
        "artifacts": {
            result.info.path.name: {"kind": result.info.kind, "passed": result.passed, "runner": result.runner}
            for result in state.validation.artifacts
        },
    }


def manifest_step(state: DeployState) -> None:
    """Write manifest.json: artifacts, sizes, sha256, inputs, outputs, check runs, validation, source and versions."""
    state.manifest = build_manifest(state.require_model(), state.artifacts, state.runs, state.timings)
    state.manifest["validation"] = validation_summary(state)
    write_manifest(state.work_dir, state.manifest)
