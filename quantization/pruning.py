"""`prune()`: the pruning entry point shared by the CLI and `msg deploy`."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from msg_model.errors import InvalidInputError
from msg_model.fused_file import save_fused_model
from msg_model.spec import LoadedModel
from msg_model.stats import fused_stats
from msg_model.truncation import check_truncation_psi
from quantization.calibration import calibration_ws
from quantization.channel_pruning import prune_channels
from quantization.magnitude_pruning import prune_magnitude


@dataclasses.dataclass(frozen=True)
class PruneOptions:
    sparsity: float
    structured: bool = False
    calibration_samples: int = 64
    truncation_psi: float = 0.5

    def __post_init__(self) -> None:
        if not 0.0 < self.sparsity < 1.0:
            raise InvalidInputError(f"--sparsity must be between 0 and 1 (exclusive), got {self.sparsity}; for example 0.25")
        if self.calibration_samples < 1:
            raise InvalidInputError(f"invalid --calibration-samples {self.calibration_samples}; expected 1 or more, for example 64")
        check_truncation_psi(self.truncation_psi)

    @property
    def suffix(self) -> str:
        """Kind suffix of pruned artifacts, for example `-pruned25` or `-pruned25ch`."""
        return f"-pruned{round(self.sparsity * 100)}" + ("ch" if self.structured else "")


@dataclasses.dataclass(frozen=True)
class PruneResult:
    path: Path
    parameters_before: int
    parameters_after: int
    nonzero_after: int
    macs_before: int
    macs_after: int


def prune(model: LoadedModel, options: PruneOptions, out: Path) -> PruneResult:
    """Prune the fused synthesis of `model`, save it as a fused model file, and report its cost."""
    if options.structured:
        ws = calibration_ws(model, options.calibration_samples, options.truncation_psi)
        pruned = prune_channels(model.synthesis, options.sparsity, ws)
    else:
        pruned = prune_magnitude(model.synthesis, options.sparsity)
    save_fused_model(pruned, model.mapping, out, source=f"{model.spec} ({options.suffix.lstrip('-')})")

    before, after = fused_stats(model.synthesis), fused_stats(pruned)
    nonzero = sum(int((p != 0).sum()) for p in pruned.parameters())
    return PruneResult(Path(out), before.parameters, after.parameters, nonzero, before.macs, after.macs)
