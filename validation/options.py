"""Options of a validation run."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from msg_model.errors import InvalidInputError
from msg_model.truncation import check_truncation_psi
from validation.thresholds import ThresholdTable

DEFAULT_SEEDS = tuple(range(8))
COMPUTE_UNITS = ("cpu_only", "cpu_and_gpu", "cpu_and_ne", "all")


@dataclasses.dataclass(frozen=True)
class ValidationOptions:
    """Options of `validate()`: what to compare and how.

    `seeds` give the paired latents; FID uses seeds 0 .. fid_samples - 1 (0 disables it).
    `threads` and `xnnpack` configure the LiteRT interpreter (threads also OpenVINO);
    `compute_units` is passed to the CoreML runner. The report shows `grid_seeds` seeds as images,
    with the absolute difference multiplied by `difference_gain`.
    """

    seeds: tuple[int, ...] = DEFAULT_SEEDS
    truncation_psi: float = 0.5
    threads: int = 2
    xnnpack: bool = True
    compute_units: str = "cpu_only"
    fid_samples: int = 1000
    fid_weights: Path | None = None
    require_fid: bool = False
    thresholds: ThresholdTable = ThresholdTable()
    grid_seeds: int = 3
    difference_gain: float = 10.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "seeds", tuple(int(seed) for seed in self.seeds))
        if not self.seeds:
            raise InvalidInputError("no seeds given; pass at least one, for example --seeds 0-7")
        check_truncation_psi(self.truncation_psi)
        if self.threads < 1:
            raise InvalidInputError(f"invalid --threads {self.threads}; expected 1 or more")
        if self.compute_units not in COMPUTE_UNITS:
            raise InvalidInputError(f"invalid compute units {self.compute_units!r}; expected one of {', '.join(COMPUTE_UNITS)}")
        if self.fid_samples < 0:
            raise InvalidInputError(f"invalid --fid-samples {self.fid_samples}; expected 0 (no FID) or more")
        if self.require_fid and self.fid_samples < 2:
            raise InvalidInputError(f"--require-fid needs --fid-samples of 2 or more, got {self.fid_samples}")
        if self.grid_seeds < 0:
            raise InvalidInputError(f"invalid grid seed count {self.grid_seeds}; expected 0 or more")
        if not self.difference_gain > 0:
            raise InvalidInputError(f"invalid difference gain {self.difference_gain}; expected a positive number")
