"""Calibration latents: drawn the way deployment draws them, and never the validation latents."""

from __future__ import annotations

import torch

from msg_model.drawing import latents_for_seeds
from msg_model.errors import InvalidInputError
from msg_model.spec import LoadedModel

# Validation and `msg generate` use small seeds (0-7 by default, at most a few thousand for FID).
# Calibration seeds start far above them, so the two sets never overlap.
CALIBRATION_SEED_BASE = 1_000_000_000
MIN_CALIBRATION_SAMPLES = 8


def calibration_seeds(count: int) -> list[int]:
    return list(range(CALIBRATION_SEED_BASE, CALIBRATION_SEED_BASE + count))


def check_calibration_ws(ws: torch.Tensor, minimum: int = MIN_CALIBRATION_SAMPLES) -> torch.Tensor:
    """Raise unless `ws` is a finite (N, style_dim) batch with at least `minimum` samples."""
    if ws.ndim != 2:
        raise InvalidInputError(f"calibration latents must be (N, style_dim), got shape {tuple(ws.shape)}")
    if ws.shape[0] < minimum:
        raise InvalidInputError(f"{ws.shape[0]} calibration samples are too few; use at least {minimum}")
    if not torch.isfinite(ws).all():
        raise InvalidInputError("calibration latents contain NaN or Inf; check the mapping network and truncation")
    return ws


def calibration_ws(model: LoadedModel, count: int, truncation_psi: float) -> torch.Tensor:
    """w for `count` calibration seeds: z through the mapping network with the deployment truncation."""
    if count < MIN_CALIBRATION_SAMPLES:
        raise InvalidInputError(f"--calibration-samples {count} is too few; use at least {MIN_CALIBRATION_SAMPLES}")
    return check_calibration_ws(latents_for_seeds(model, calibration_seeds(count), truncation_psi))
