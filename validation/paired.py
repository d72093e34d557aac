"""Paired comparison: the artifact and the float reference on the same latents, seed by seed."""

from __future__ import annotations

import dataclasses
import time
from typing import Callable

import numpy as np

from validation.artifacts import ArtifactInfo
from validation.degenerate import degenerate_image_failures, degenerate_w_failures, fingerprint
from validation.failures import Failure
from validation.images import to_chw
from validation.latents import Latents, artifact_inputs
from validation.metrics import MetricSummary, image_pair_metrics, summarize_samples, w_pair_metrics
from validation.results import SampleImages
from validation.runners import Runner, RunnerError


@dataclasses.dataclass
class PairedOutcome:
    """Per-metric summaries over seeds, failures of the degenerate-output checks, and report images."""

    metrics: dict[str, MetricSummary] = dataclasses.field(default_factory=dict)
    failures: list[Failure] = dataclasses.field(default_factory=list)
    grid: list[SampleImages] = dataclasses.field(default_factory=list)
    seconds: list[float] = dataclasses.field(default_factory=list)
    notes: list[str] = dataclasses.field(default_factory=list)


def model_inputs(info: ArtifactInfo, latents: Latents, index: int, num_ws: int) -> dict[str, np.ndarray]:
    return artifact_inputs("z_psi" if info.role == "mapping" else info.input_kind, latents, index, num_ws)


def pick_output(outputs: dict[str, np.ndarray], name: str, notes: list[str]) -> np.ndarray:
    """Return the output called `name`, or the only output under another name (noted in the report)."""
    if name in outputs:
        return outputs[name]
    if len(outputs) == 1:
        (other, value), = outputs.items()
        note = f"the model's only output is named {other!r}, not {name!r}; it was compared as {name!r}"
        if note not in notes:
            notes.append(note)
        return value
    raise RunnerError(f"the model returns outputs {sorted(outputs)}; expected one named {name!r}")


def timed_predict(runner: Runner, inputs: dict[str, np.ndarray], outcome: PairedOutcome) -> dict[str, np.ndarray]:
    start = time.perf_counter()
    outputs = runner.predict(inputs)
    outcome.seconds.append(time.perf_counter() - start)
    return outputs


def compare_images(
    info: ArtifactInfo,
    runner: Runner,
    reference: Runner,
    latents: Latents,
    num_ws: int,
    grid_seeds: int,
    tick: Callable[[int], None] = lambda completed: None,
) -> PairedOutcome:
    """Image metrics per seed and the degenerate-output checks; the first `grid_seeds` seeds keep their images."""
    outcome = PairedOutcome()
    samples, artifact_prints, reference_prints = [], [], []
    for index, seed in enumerate(latents.seeds):
        inputs = model_inputs(info, latents, index, num_ws)
        expected = reference.predict(inputs)["image"][0]
        output = pick_output(timed_predict(runner, inputs, outcome), "image", outcome.notes)
        try:
            image = to_chw(output, expected.shape[1], expected.shape[2])
        except ValueError as error:
            outcome.failures.append(Failure("output_shape", f"{info.name} ({info.kind}): {error}"))
            return outcome

        pair = image_pair_metrics(expected, image, info.image_output)
        samples.append(pair.metrics)
        artifact_prints.append(fingerprint(pair.artifact_uint8))
        reference_prints.append(fingerprint(pair.reference_uint8))
        if index < grid_seeds:
            outcome.grid.append(SampleImages(seed, pair.reference_uint8, pair.artifact_uint8))
        tick(index + 1)

    outcome.metrics = summarize_samples(samples)
    outcome.failures += degenerate_image_failures(
        f"{info.name} ({info.kind})", latents.seeds, samples, np.stack(artifact_prints), np.stack(reference_prints)
    )
    return outcome


def compare_w(
    info: ArtifactInfo, runner: Runner, reference: Runner, latents: Latents, tick: Callable[[int], None] = lambda completed: None
) -> PairedOutcome:
    """w metrics per seed for a mapping artifact, and the identical-w check."""
    outcome = PairedOutcome()
    samples, artifact_ws, reference_ws = [], [], []
    for index in range(len(latents)):
        inputs = model_inputs(info, latents, index, num_ws=1)
        expected = reference.predict(inputs)["w"]
        output = np.asarray(pick_output(timed_predict(runner, inputs, outcome), "w", outcome.notes), dtype=np.float32)
        try:
            samples.append(w_pair_metrics(expected, output.reshape(expected.shape) if output.size == expected.size else output))
        except ValueError as error:
            outcome.failures.append(Failure("output_shape", f"{info.name} ({info.kind}): {error}"))
            return outcome
        artifact_ws.append(np.nan_to_num(output.ravel()))
        reference_ws.append(expected.ravel())
        tick(index + 1)

    outcome.metrics = summarize_samples(samples)
    outcome.failures += degenerate_w_failures(f"{info.name} ({info.kind})", latents.seeds, np.stack(artifact_ws), np.stack(reference_ws))
    return outcome
