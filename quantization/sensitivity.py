"""Sensitivity analysis and the mixed-precision search for full int8 TFLite.

Each op group (see `quantization.tflite_groups`) is quantized alone, everything else float, and the
image PSNR against the float32 .tflite is measured on a few latents (the worst of them counts,
as in validation): that is the group's sensitivity. The search then keeps the most sensitive
groups in float. It assumes the groups' errors add up (in mean squared error) to pick how many,
measures the real recipe, and adds one more group at a time until the target PSNR is reached.

The latents come from their own seed range, disjoint from validation seeds (0 and up) and from
calibration seeds, so the recipe is not tuned on the images it is judged by.
"""

from __future__ import annotations

import dataclasses
import logging
import math
from typing import Callable

import numpy as np
import torch

from msg_model.drawing import latents_for_seeds
from msg_model.spec import LoadedModel
from quantization.tflite_quantize import FloatModel, quantize_content
from quantization.tflite_recipe import ALWAYS_FLOAT, TFLiteRecipe
from validation.images import float_to_uint8
from validation.metrics import psnr_db

logger = logging.getLogger(__name__)

SENSITIVITY_SEED_BASE = 1_500_000_000
Progress = Callable[[str], None]


def sensitivity_ws(model: LoadedModel, count: int, truncation_psi: float) -> torch.Tensor:
    seeds = list(range(SENSITIVITY_SEED_BASE, SENSITIVITY_SEED_BASE + count))
    return latents_for_seeds(model, seeds, truncation_psi)


def run_tflite(content: bytes, input_name: str, inputs: list[np.ndarray]) -> list[np.ndarray]:
    """Images of a .tflite flatbuffer for each input, with the LiteRT interpreter (2 threads)."""
    from ai_edge_litert.interpreter import Interpreter

    runner = Interpreter(model_content=content, num_threads=2).get_signature_runner("serving_default")
    (output_name,) = runner.get_output_details()
    return [np.array(runner(**{input_name: value})[output_name], copy=True) for value in inputs]


def worst_psnr(reference: list[np.ndarray], images: list[np.ndarray]) -> float:
    """Return the lowest PSNR over the latents: validation gates on the worst seed, so the search does too."""
    return float(min(psnr_db(float_to_uint8(a[0]), float_to_uint8(b[0])) for a, b in zip(reference, images)))


def psnr_to_error(psnr: float) -> float:
    """Mean squared error on [0, 1]-scaled pixels for a PSNR in dB (infinite PSNR gives 0)."""
    return 0.0 if math.isinf(psnr) else 10.0 ** (-psnr / 10.0)


@dataclasses.dataclass
class RecipeEvaluator:
    """Quantizes a float model with a recipe and measures its PSNR against the float model's own images."""

    model: FloatModel
    calibration: dict
    inputs: list[np.ndarray]
    reference: list[np.ndarray] = dataclasses.field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.reference:
            self.reference = run_tflite(self.model.path.read_bytes(), self.model.input_name, self.inputs)

    def psnr(self, recipe: TFLiteRecipe) -> float:
        content = quantize_content(self.model, recipe, self.calibration).content
        return worst_psnr(self.reference, run_tflite(content, self.model.input_name, self.inputs))


def candidate_groups(model: FloatModel) -> list[str]:
    """Groups the search may keep in float; the always-float groups are not candidates."""
    return [group for group in model.groups if group not in ALWAYS_FLOAT]


def group_sensitivity(evaluator: RecipeEvaluator, base: TFLiteRecipe, progress: Progress | None = None) -> dict[str, float]:
    """Worst-latent PSNR (dB) with only one group quantized, for each candidate group."""
    candidates = candidate_groups(evaluator.model)
    result = {}
    for index, group in enumerate(candidates):
        others = tuple(name for name in candidates if name != group)
        recipe = dataclasses.replace(base, float_groups=ALWAYS_FLOAT + others)
        result[group] = evaluator.psnr(recipe)
        message = f"sensitivity {index + 1}/{len(candidates)}: {group} alone in int8 gives {result[group]:.2f} dB"
        if progress:
            progress(message)
        else:
            logger.info("%s", message)
    return result


def estimated_float_count(order: list[str], sensitivity: dict[str, float], target_psnr_db: float) -> int:
    """Fewest of the most sensitive groups to keep float so the other groups' summed errors meet the target."""
    budget = psnr_to_error(target_psnr_db)
    for count in range(len(order) + 1):
        if sum(psnr_to_error(sensitivity[group]) for group in order[count:]) <= budget:
            return count
    return len(order)


def with_float_groups(base: TFLiteRecipe, groups: list[str], target_psnr_db: float, sensitivity: dict[str, float]) -> TFLiteRecipe:
    return dataclasses.replace(base, float_groups=ALWAYS_FLOAT + tuple(groups), target_psnr_db=target_psnr_db, sensitivity=sensitivity)


def search_recipe(
    evaluator: RecipeEvaluator, base: TFLiteRecipe, target_psnr_db: float, progress: Progress | None = None
) -> TFLiteRecipe:
    """Find the recipe with the fewest float groups (most sensitive first) whose measured PSNR meets the target.

    Forward: keep the estimated number of most sensitive groups in float, then one more at a time
    until the target is met. Backward: try returning each kept group to int8, least sensitive
    first, and keep the change when the target still holds. When even all groups in float miss
    the target, that recipe is returned with its measured PSNR and validation reports the miss.
    """
    report = progress or (lambda message: None)
    sensitivity = group_sensitivity(evaluator, base, progress)
    order = sorted(sensitivity, key=lambda group: sensitivity[group])
    count = estimated_float_count(order, sensitivity, target_psnr_db)
    measured = evaluator.psnr(with_float_groups(base, order[:count], target_psnr_db, sensitivity))
    report(f"{count} groups in float: {measured:.2f} dB (target {target_psnr_db:.2f} dB)")
    while measured < target_psnr_db and count < len(order):
        count += 1
        measured = evaluator.psnr(with_float_groups(base, order[:count], target_psnr_db, sensitivity))
        report(f"{count} groups in float: {measured:.2f} dB (target {target_psnr_db:.2f} dB)")

    kept = order[:count]
    if measured >= target_psnr_db:
        for group in reversed(order[:count]):
            trial = [name for name in kept if name != group]
            trial_psnr = evaluator.psnr(with_float_groups(base, trial, target_psnr_db, sensitivity))
            if trial_psnr >= target_psnr_db:
                kept, measured = trial, trial_psnr
                report(f"{group} back to int8: {measured:.2f} dB")
    recipe = with_float_groups(base, kept, target_psnr_db, sensitivity)
    return dataclasses.replace(recipe, measured={"psnr_db": round(measured, 3), "latents": len(evaluator.inputs)})
