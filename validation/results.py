"""Results of a validation run: per artifact metrics, failures, FID, and the images for the report."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from validation.artifacts import ArtifactInfo
from validation.failures import Failure
from validation.fid import FidResult
from validation.metrics import MetricSummary
from validation.options import ValidationOptions
from validation.thresholds import Thresholds


@dataclasses.dataclass(frozen=True)
class SampleImages:
    """One seed's images for the report grid, uint8 (3, H, W)."""

    seed: int
    reference: np.ndarray
    artifact: np.ndarray


@dataclasses.dataclass(frozen=True)
class ArtifactResult:
    """The outcome for one artifact. It passed when `failures` is empty."""

    info: ArtifactInfo
    runner: str
    thresholds: Thresholds
    truncation_psi: float
    seeds: tuple[int, ...]
    metrics: dict[str, MetricSummary]
    failures: tuple[Failure, ...]
    fid: FidResult
    grid: tuple[SampleImages, ...] = ()
    median_seconds_per_run: float | None = None
    notes: tuple[str, ...] = ()

    @property
    def passed(self) -> bool:
        return not self.failures


@dataclasses.dataclass(frozen=True)
class ReferenceInfo:
    """The float model every artifact is compared with."""

    spec: str
    source_sha256: str | None
    description: str
    config: dict[str, Any]
    runner: str


@dataclasses.dataclass(frozen=True)
class ValidationResult:
    """All artifacts of one run, with the options, tool versions and creation time (ISO 8601)."""

    reference: ReferenceInfo
    options: ValidationOptions
    artifacts: tuple[ArtifactResult, ...]
    versions: dict[str, str]
    created: str

    @property
    def passed(self) -> bool:
        return all(artifact.passed for artifact in self.artifacts)

    @property
    def failures(self) -> list[Failure]:
        return [failure for artifact in self.artifacts for failure in artifact.failures]
