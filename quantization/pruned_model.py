"""A pruned copy of a loaded model, ready for the converters, plus what pruning cost and saved."""

from __future__ import annotations

import dataclasses

from msg_model.spec import LoadedModel
from msg_model.stats import fused_stats
from quantization.calibration import calibration_ws
from quantization.channel_pruning import prune_channels
from quantization.magnitude_pruning import prune_magnitude


@dataclasses.dataclass(frozen=True)
class PrunedModel:
    model: LoadedModel  # the pruned model; its fused synthesis is what gets converted
    original: LoadedModel
    fraction: float
    structured: bool
    parameters_before: int
    parameters_after: int
    nonzero_after: int
    macs_before: int
    macs_after: int

    def describe(self) -> dict:
        return {
            "fraction": self.fraction,
            "structured": self.structured,
            "what": "hidden channels of every prunable layer" if self.structured else "smallest-magnitude weights of each large tensor",
            "parameters_before": self.parameters_before,
            "parameters_after": self.parameters_after,
            "nonzero_parameters_after": self.nonzero_after,
            "macs_before": self.macs_before,
            "macs_after": self.macs_after,
            "source_model": self.original.spec,
        }


def prune_loaded(model: LoadedModel, options) -> PrunedModel:
    """Prune `model`'s fused synthesis with the fraction and mode of `options` (a QuantizeOptions); the mapping network is kept."""
    if options.structured:
        ws = calibration_ws(model, options.calibration_samples, options.truncation_psi)
        synthesis = prune_channels(model.synthesis, options.prune, ws)
    else:
        synthesis = prune_magnitude(model.synthesis, options.prune)
    pruned = dataclasses.replace(
        model,
        spec=f"{model.spec} ({options.prune_suffix.lstrip('-')})",
        synthesis=synthesis,
        generator=None,  # the trainable form no longer matches the pruned weights
        description=f"{model.description or model.spec}, pruned ({options.prune_suffix.lstrip('-')})",
    )
    before, after = fused_stats(model.synthesis), fused_stats(synthesis)
    nonzero = sum(int((parameter != 0).sum()) for parameter in synthesis.parameters())
    return PrunedModel(pruned, model, options.prune, options.structured, before.parameters, after.parameters, nonzero, before.macs, after.macs)
