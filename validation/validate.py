"""`validate()`: compare converted models with the float fused student on the same latents."""

from __future__ import annotations

import dataclasses
import datetime
import logging
import statistics
from pathlib import Path
from typing import Callable, Iterator

import numpy as np

from msg_model.errors import InvalidInputError
from msg_model.spec import LoadedModel
from validation.artifacts import ArtifactInfo, check_compatible, describe_artifact
from validation.failures import Failure
from validation.fid import FidBackend, FidResult, FidUnavailable, extract_features, fid_result, resolve_fid_backend
from validation.images import app_image, to_chw
from validation.latents import Latents, make_latents
from validation.options import ValidationOptions
from validation.paired import PairedOutcome, compare_images, compare_w, model_inputs, pick_output
from validation.reference import ReferenceModel
from validation.results import ArtifactResult, ReferenceInfo, ValidationResult
from validation.runners import Runner, RunnerError, TorchRunner, open_runner
from validation.seeds import format_seeds
from validation.thresholds import Thresholds, threshold_failures
from validation.versions import tool_versions

logger = logging.getLogger(__name__)

Progress = Callable[[str, int, int], None]  # (task description, completed, total)
NOT_RUN = FidResult("not computed", reason="the artifact could not be run", how_to_fix="fix the runner failure first")
SKIPPED = FidResult("not computed", reason="skipped because the artifact failed the paired checks", how_to_fix="fix the paired failures first")
MAPPING_FID = FidResult("not applicable", reason="a mapping artifact outputs w, not images")


@dataclasses.dataclass
class RunContext:
    """State shared by the artifacts of one run: the reference, latents and FID features per setting."""

    reference: ReferenceModel
    options: ValidationOptions
    fid_backend: FidBackend | FidUnavailable | None
    progress: Progress | None
    latents: dict[float, Latents] = dataclasses.field(default_factory=dict)
    fid_latents: dict[float, Latents] = dataclasses.field(default_factory=dict)
    reference_features: dict[tuple, np.ndarray] = dataclasses.field(default_factory=dict)

    def ticker(self, task: str, total: int) -> Callable[[int], None]:
        """Start reporting `task` and return the callback `tick(completed)` for its progress."""
        progress = self.progress
        if progress is None:
            return lambda completed: None
        progress(task, 0, total)
        return lambda completed: progress(task, completed, total)

    def latents_for(self, psi: float) -> Latents:
        if psi not in self.latents:
            self.latents[psi] = make_latents(self.reference.model, self.options.seeds, psi)
        return self.latents[psi]

    def fid_latents_for(self, psi: float) -> Latents:
        if psi not in self.fid_latents:
            self.fid_latents[psi] = make_latents(self.reference.model, range(self.options.fid_samples), psi)
        return self.fid_latents[psi]


def artifact_psi(info: ArtifactInfo, options: ValidationOptions) -> float:
    """Return the truncation psi for `info`: a generator artifact's baked psi, otherwise the option's."""
    return info.truncation_psi if info.role == "generator" else options.truncation_psi


def artifact_notes(info: ArtifactInfo, model: LoadedModel, options: ValidationOptions) -> list[str]:
    """List facts worth a line in the report: a different source model, a baked truncation."""
    notes = []
    source = info.sidecar.get("source_model")
    if source is not None and source != model.spec:
        notes.append(f"converted from {source!r}, validated against reference {model.spec!r}")
    source_sha256 = info.sidecar.get("source_sha256")
    if source_sha256 and model.source_sha256 and source_sha256 != model.source_sha256:
        notes.append(f"sidecar source_sha256 {source_sha256[:12]}... differs from the reference's {model.source_sha256[:12]}...")
    if info.role == "generator" and info.truncation_psi != options.truncation_psi:
        notes.append(f"truncation psi {info.truncation_psi} is baked into the artifact; the reference used the same psi")
    return notes


def app_images(
    info: ArtifactInfo, runner: Runner, latents: Latents, model: LoadedModel, notes: list[str], tick: Callable[[int], None]
) -> Iterator[np.ndarray]:
    """Yield the uint8 images (3, H, W) an app would show, one per latent, calling `tick(completed)` after each."""
    resolution = model.config.resolution
    for index in range(len(latents)):
        output = pick_output(runner.predict(model_inputs(info, latents, index, model.config.num_ws)), "image", notes)
        yield app_image(to_chw(output, resolution, resolution), info.image_output)[0]
        tick(index + 1)


def reference_features(info: ArtifactInfo, reference: Runner, latents: Latents, context: RunContext) -> np.ndarray:
    """FID features of the float images, computed once per truncation and noise setting."""
    key = (latents.truncation_psi, info.noise_mode, info.noise_seed, info.role)
    if key not in context.reference_features:
        tick = context.ticker("FID samples of the float model", len(latents))
        float_info = dataclasses.replace(info, image_output="float")
        images = app_images(float_info, reference, latents, context.reference.model, [], tick)
        context.reference_features[key] = extract_features(context.fid_backend, images)
    return context.reference_features[key]


def fid_for(info: ArtifactInfo, runner: Runner, reference: Runner, context: RunContext, notes: list[str]) -> FidResult:
    """FID and KID of the artifact's images against the float images on seeds 0 .. fid_samples - 1."""
    options, backend = context.options, context.fid_backend
    if info.role == "mapping":
        return MAPPING_FID
    if options.fid_samples == 0:
        return FidResult("not computed", reason="disabled with --fid-samples 0", how_to_fix="pass --fid-samples N (default 1000)")
    if isinstance(backend, FidUnavailable):
        return FidResult("not computed", reason=backend.reason, how_to_fix=backend.how_to_fix)

    latents = context.fid_latents_for(artifact_psi(info, options))
    expected = reference_features(info, reference, latents, context)
    tick = context.ticker(f"FID samples of {info.name}", len(latents))
    try:
        features = extract_features(backend, app_images(info, runner, latents, context.reference.model, notes, tick))
    except (RunnerError, ValueError) as error:
        return FidResult("not computed", reason=f"the artifact failed while drawing FID samples: {error}", how_to_fix="fix the artifact")
    return fid_result(backend, expected, features, context.reference.model.config.resolution, format_seeds(latents.seeds))


def fid_failures(info: ArtifactInfo, fid: FidResult, thresholds: Thresholds, options: ValidationOptions) -> list[Failure]:
    """Return a failure when FID was required but not computed, or when it exceeds `max_fid`."""
    name = f"{info.name} ({info.kind})"
    if fid.status == "not computed" and options.require_fid:
        return [Failure("fid", f"{name}: FID not computed ({fid.reason}), and --require-fid is set; {fid.how_to_fix}")]
    if fid.computed and thresholds.max_fid is not None and fid.fid > thresholds.max_fid:
        return [Failure("fid", f"{name}: FID {fid.fid:.3f} is above the maximum {thresholds.max_fid:.3f}", fid.fid, thresholds.max_fid)]
    return []


def result_builder(info: ArtifactInfo, thresholds: Thresholds, psi: float, seeds: tuple[int, ...], notes: list[str]):
    """A function that builds this artifact's ArtifactResult from what the run got to."""

    def build(runner: str, failures: list[Failure], outcome: PairedOutcome | None = None, fid: FidResult = NOT_RUN) -> ArtifactResult:
        outcome = outcome or PairedOutcome()
        return ArtifactResult(
            info=info,
            runner=runner,
            thresholds=thresholds,
            truncation_psi=psi,
            seeds=seeds,
            metrics=outcome.metrics,
            failures=tuple(failures),
            fid=fid,
            grid=tuple(outcome.grid),
            median_seconds_per_run=statistics.median(outcome.seconds) if outcome.seconds else None,
            notes=tuple(notes + outcome.notes),
        )

    return build


def validate_artifact(info: ArtifactInfo, thresholds: Thresholds, context: RunContext) -> ArtifactResult:
    """Run one artifact on the paired seeds, then on the FID samples, and judge it against `thresholds`."""
    options, model = context.options, context.reference.model
    psi = artifact_psi(info, options)
    latents = context.latents_for(psi)
    name = f"{info.name} ({info.kind})"
    build = result_builder(info, thresholds, psi, options.seeds, artifact_notes(info, model, options))
    try:
        runner = open_runner(info, threads=options.threads, xnnpack=options.xnnpack, compute_units=options.compute_units)
    except RunnerError as error:
        return build("not opened", [Failure("runner", f"{name}: {error}")])

    reference = TorchRunner(context.reference, info)
    tick = context.ticker(f"paired seeds of {info.name}", len(latents))
    try:
        if info.role == "mapping":
            outcome = compare_w(info, runner, reference, latents, tick)
        else:
            outcome = compare_images(info, runner, reference, latents, model.config.num_ws, options.grid_seeds, tick)
    except RunnerError as error:
        return build(runner.label, [Failure("runner", f"{name}: {error}")])

    failures = threshold_failures(name, thresholds, outcome.metrics, options.seeds) + outcome.failures
    if not failures:
        fid = fid_for(info, runner, reference, context, outcome.notes)
    elif info.role == "mapping":
        fid = MAPPING_FID
    else:
        fid = SKIPPED  # drawing FID samples of an artifact that already failed would only cost time
    failures += fid_failures(info, fid, thresholds, options)
    return build(runner.label, failures, outcome, fid)


def reference_info(model: LoadedModel) -> ReferenceInfo:
    return ReferenceInfo(
        spec=model.spec,
        source_sha256=model.source_sha256,
        description=model.description,
        config=dataclasses.asdict(model.config),
        runner=TorchRunner.label,
    )


def validate(
    reference: LoadedModel,
    artifacts: list[Path],
    options: ValidationOptions = ValidationOptions(),
    *,
    fid_backend: FidBackend | FidUnavailable | None = None,
    progress: Progress | None = None,
) -> ValidationResult:
    """Compare each artifact with `reference` on the same latents and frozen noise.

    Bad input (a missing artifact or sidecar, shapes that do not fit the reference, a kind without
    thresholds, unusable --fid-weights) raises InvalidInputError before any artifact runs. A broken
    artifact does not raise: it fails with named reasons in the result. `fid_backend` replaces
    the Inception network, for tests; `progress(task, completed, total)` reports long loops.
    """
    resolved = [Path(path).resolve() for path in artifacts]
    repeated = next((path for path in resolved if resolved.count(path) > 1), None)
    if repeated is not None:
        raise InvalidInputError(f"artifact {str(repeated)!r} is listed more than once; list each artifact once")
    infos = [describe_artifact(path) for path in artifacts]
    options.thresholds.check_keys({info.kind for info in infos}, {info.variant for info in infos})
    thresholds = [options.thresholds.for_artifact(info.kind, info.variant, info.role) for info in infos]
    reference_model = ReferenceModel(reference)
    for info in infos:
        check_compatible(info, reference.config, reference.spec)
        reference_model.synthesis_for(info.noise_mode, info.noise_seed)  # raises now when the noise cannot be matched
    if fid_backend is None and options.fid_samples > 0:
        fid_backend = resolve_fid_backend(options.fid_weights)

    context = RunContext(reference_model, options, fid_backend, progress)
    results = []
    for info, limits in zip(infos, thresholds):
        logger.info("validating %s (%s)", info.path, info.kind)
        result = validate_artifact(info, limits, context)
        logger.info("%s: %s", info.name, "passed" if result.passed else f"failed {len(result.failures)} checks")
        results.append(result)

    created = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
    return ValidationResult(reference_info(reference), options, tuple(results), tool_versions(), created)
