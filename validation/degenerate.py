"""Checks that fail an artifact whose outputs are broken in ways PSNR alone may understate.

- flat image: an artifact image whose spread is near zero while the reference image has detail;
- clipped: an artifact image with far more pixels at 0 or 255 than the reference image;
- identical outputs: two seeds whose reference outputs differ but whose artifact outputs match.
"""

from __future__ import annotations

import numpy as np

from validation.failures import Failure

FLAT_STD = 1.0  # standard deviation of a uint8 image (0..255 units) below which it counts as flat
EXCESS_CLIPPED_FRACTION = 0.25  # extra fraction of values at 0 or 255 compared with the reference
IDENTICAL_RMS = 0.5  # RMS difference (0..255 units) of two fingerprints below which images count as identical
DISTINCT_RMS = 2.0  # the reference images of those two seeds must differ by more than this
FINGERPRINT_SIDE = 64
IDENTICAL_W_RELATIVE = 1e-6
DISTINCT_W_RELATIVE = 1e-3


def format_seeds_list(seeds: list[int], limit: int = 8) -> str:
    shown = ", ".join(str(seed) for seed in seeds[:limit])
    return shown + (f" and {len(seeds) - limit} more" if len(seeds) > limit else "")


def fingerprint(image: np.ndarray, side: int = FINGERPRINT_SIDE) -> np.ndarray:
    """Box-average a uint8 (3, H, W) image down to at most (3, side, side), as a flat float vector."""
    channels, height, width = image.shape
    step_y, step_x = max(1, height // side), max(1, width // side)
    cropped = image[:, : height - height % step_y, : width - width % step_x].astype(np.float32)
    pooled = cropped.reshape(channels, cropped.shape[1] // step_y, step_y, cropped.shape[2] // step_x, step_x)
    return pooled.mean(axis=(2, 4)).ravel()


def pairwise_rms(vectors: np.ndarray) -> np.ndarray:
    """RMS difference between every pair of rows, through the Gram matrix (N x N)."""
    vectors = vectors.astype(np.float64)
    squared = np.sum(vectors * vectors, axis=1)
    distances = squared[:, None] + squared[None, :] - 2.0 * vectors @ vectors.T
    return np.sqrt(np.maximum(distances, 0.0) / vectors.shape[1])


def identical_pairs(artifact: np.ndarray, reference: np.ndarray, same: float, distinct: float) -> list[tuple[int, int]]:
    """Index pairs (i < j) whose artifact rows are within `same` while their reference rows differ by more than `distinct`."""
    artifact_rms, reference_rms = pairwise_rms(artifact), pairwise_rms(reference)
    matches = (artifact_rms < same) & (reference_rms > distinct)
    rows, columns = np.nonzero(np.triu(matches, k=1))
    return list(zip(rows.tolist(), columns.tolist()))


def flat_and_clipped_failures(name: str, seeds: tuple[int, ...], samples: list[dict[str, float]]) -> list[Failure]:
    failures = []
    flat = [s for s, m in zip(seeds, samples) if m["image_std"] < FLAT_STD <= m["reference_image_std"]]
    if flat:
        worst = min(m["image_std"] for s, m in zip(seeds, samples) if s in flat)
        failures.append(Failure(
            "degenerate.flat_image",
            f"{name}: flat image (standard deviation {worst:.3f} < {FLAT_STD} on 0..255) for seeds {format_seeds_list(flat)}, "
            f"while the reference images have detail",
            worst,
            FLAT_STD,
        ))

    excess = [m["clipped_fraction"] - m["reference_clipped_fraction"] for m in samples]
    clipped = [s for s, e in zip(seeds, excess) if e > EXCESS_CLIPPED_FRACTION]
    if clipped:
        worst = max(excess)
        failures.append(Failure(
            "degenerate.clipped",
            f"{name}: {worst:.1%} more values at 0 or 255 than the reference (threshold {EXCESS_CLIPPED_FRACTION:.0%}) "
            f"for seeds {format_seeds_list(clipped)}",
            worst,
            EXCESS_CLIPPED_FRACTION,
        ))
    return failures


def degenerate_image_failures(
    name: str, seeds: tuple[int, ...], samples: list[dict[str, float]], artifact_prints: np.ndarray, reference_prints: np.ndarray
) -> list[Failure]:
    """Failures for flat, clipped and identical images; `*_prints` are `fingerprint` rows in seed order."""
    failures = flat_and_clipped_failures(name, seeds, samples)
    pairs = identical_pairs(artifact_prints, reference_prints, IDENTICAL_RMS, DISTINCT_RMS)
    if pairs:
        shown = ", ".join(f"{seeds[i]} and {seeds[j]}" for i, j in pairs[:4])
        failures.append(Failure(
            "degenerate.identical_images",
            f"{name}: the same image for different latents (seeds {shown}; {len(pairs)} pairs), "
            f"while the reference images differ",
            float(len(pairs)),
            0.0,
        ))
    return failures


def degenerate_w_failures(name: str, seeds: tuple[int, ...], artifact_w: np.ndarray, reference_w: np.ndarray) -> list[Failure]:
    """Return a failure when a mapping artifact gives the same w for seeds whose reference w differ."""
    scale = float(np.sqrt(np.mean(reference_w.astype(np.float64) ** 2))) or 1.0
    pairs = identical_pairs(artifact_w / scale, reference_w / scale, IDENTICAL_W_RELATIVE, DISTINCT_W_RELATIVE)
    if not pairs:
        return []
    shown = ", ".join(f"{seeds[i]} and {seeds[j]}" for i, j in pairs[:4])
    return [Failure(
        "degenerate.identical_w",
        f"{name}: the same w for different z (seeds {shown}; {len(pairs)} pairs), while the reference w differ",
        float(len(pairs)),
        0.0,
    )]
