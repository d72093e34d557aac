"""Paired metrics of an artifact output against the float reference on the same latent.

Images: PSNR and SSIM on uint8 images (what an app displays), max and mean absolute error on the
float [-1, 1] scale, count of non-finite values, plus the spread and clipped fraction that the
degenerate-output checks read. Mapping outputs: max, mean and relative error of w.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
from skimage.metrics import structural_similarity

from validation.images import app_image, float_to_uint8

UINT8_PEAK = 255.0


def psnr_db(reference: np.ndarray, artifact: np.ndarray, peak: float = UINT8_PEAK) -> float:
    """10 log10(peak^2 / MSE) in dB; infinity for identical images."""
    if reference.shape != artifact.shape:
        raise ValueError(f"PSNR needs images of the same shape, got {reference.shape} and {artifact.shape}")
    mse = float(np.mean((reference.astype(np.float64) - artifact.astype(np.float64)) ** 2))
    if mse == 0.0:
        return math.inf
    return 10.0 * math.log10(peak * peak / mse)


def ssim(reference: np.ndarray, artifact: np.ndarray) -> float:
    """SSIM of two uint8 (3, H, W) images: scikit-image's structural_similarity, data_range 255, RGB channels."""
    return float(
        structural_similarity(
            reference.transpose(1, 2, 0), artifact.transpose(1, 2, 0), channel_axis=2, data_range=UINT8_PEAK
        )
    )


def clipped_fraction(image: np.ndarray) -> float:
    """Fraction of uint8 values at 0 or 255."""
    return float(np.mean((image == 0) | (image == 255)))


@dataclasses.dataclass(frozen=True)
class ImagePair:
    """One seed's reference and artifact images, both (3, H, W)."""

    reference_uint8: np.ndarray
    artifact_uint8: np.ndarray
    metrics: dict[str, float]


def image_pair_metrics(reference: np.ndarray, artifact_output: np.ndarray, image_output: str) -> ImagePair:
    """Metrics of one artifact image (3, H, W) against the float reference image (3, H, W).

    For uint8 outputs the absolute errors are taken against the reference clamped to [-1, 1],
    because 0..255 cannot hold values outside that range.
    """
    artifact_uint8, artifact_float, nonfinite = app_image(artifact_output, image_output)
    reference_uint8 = float_to_uint8(reference)
    reference_float = reference if image_output == "float" else np.clip(reference, -1.0, 1.0)
    difference = np.abs(artifact_float.astype(np.float64) - reference_float.astype(np.float64))

    metrics = {
        "psnr_db": psnr_db(reference_uint8, artifact_uint8),
        "ssim": ssim(reference_uint8, artifact_uint8),
        "max_abs_error": float(difference.max()),
        "mean_abs_error": float(difference.mean()),
        "nonfinite_count": float(nonfinite),
        "image_std": float(artifact_uint8.std()),
        "reference_image_std": float(reference_uint8.std()),
        "clipped_fraction": clipped_fraction(artifact_uint8),
        "reference_clipped_fraction": clipped_fraction(reference_uint8),
    }
    return ImagePair(reference_uint8, artifact_uint8, metrics)


def w_pair_metrics(reference_w: np.ndarray, artifact_w: np.ndarray) -> dict[str, float]:
    """Errors of a mapping output w against the reference w, both (1, style_dim).

    The relative error is the L2 norm of the difference over the L2 norm of the reference w.
    """
    if reference_w.shape != artifact_w.shape:
        raise ValueError(f"mapping output w has shape {artifact_w.shape}; expected {reference_w.shape}")
    nonfinite = int(np.count_nonzero(~np.isfinite(artifact_w)))
    artifact = np.nan_to_num(artifact_w.astype(np.float64), nan=0.0, posinf=0.0, neginf=0.0)
    difference = np.abs(artifact - reference_w.astype(np.float64))
    norm = float(np.linalg.norm(reference_w.astype(np.float64)))
    return {
        "w_max_abs_error": float(difference.max()),
        "w_mean_abs_error": float(difference.mean()),
        "w_relative_error": float(np.linalg.norm(difference)) / norm if norm > 0 else math.inf,
        "nonfinite_count": float(nonfinite),
    }


@dataclasses.dataclass(frozen=True)
class MetricSummary:
    """One metric over all seeds: the per-seed values (in seed order) and their mean, min and max."""

    values: tuple[float, ...]
    mean: float
    min: float
    max: float


def summarize(values: list[float]) -> MetricSummary:
    array = np.asarray(values, dtype=np.float64)
    return MetricSummary(tuple(float(v) for v in values), float(array.mean()), float(array.min()), float(array.max()))


def summarize_samples(samples: list[dict[str, float]]) -> dict[str, MetricSummary]:
    """Summaries per metric name of per-seed metric dicts that share the same keys."""
    if not samples:
        return {}
    return {name: summarize([sample[name] for sample in samples]) for name in samples[0]}
