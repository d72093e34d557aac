"""The mean w for truncation, computed from a mapping network and cached as a small `.npy` file."""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

import numpy as np
import torch

from msg_model.atomic import atomic_path
from msg_model.generator import W_AVG_SAMPLES, W_AVG_SEED
from msg_model.mapping_fused import FusedMapping

logger = logging.getLogger(__name__)


@torch.no_grad()
def compute_w_avg(mapping: FusedMapping, num_samples: int = W_AVG_SAMPLES, seed: int = W_AVG_SEED) -> torch.Tensor:
    """Average `num_samples` mapped z drawn from `seed` into w_avg (1, style_dim), with the same draw as `Generator.compute_w_avg`."""
    generator = torch.Generator().manual_seed(seed)
    z = torch.randn(num_samples, mapping.config.style_dim, generator=generator)
    return mapping.map(z).mean(dim=0, keepdim=True)


def w_avg_cache_path(folder: Path, mapping_sha256: str, num_samples: int = W_AVG_SAMPLES, seed: int = W_AVG_SEED) -> Path:
    """Return the cache file for the w_avg of the mapping network whose files hash to `mapping_sha256`."""
    key = hashlib.sha256(f"{mapping_sha256}:{num_samples}:{seed}".encode()).hexdigest()
    return folder / f"w_avg-{key[:16]}.npy"


def read_cached(path: Path, style_dim: int) -> torch.Tensor | None:
    if not path.is_file():
        return None
    try:
        value = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as error:
        logger.warning("ignoring unreadable w_avg cache %s: %s", path, error)
        return None
    if value.shape != (1, style_dim) or value.dtype != np.float32 or not np.isfinite(value).all():
        logger.warning("ignoring w_avg cache %s: shape %s, dtype %s, expected finite float32 (1, %d)", path, value.shape, value.dtype, style_dim)
        return None
    return torch.from_numpy(value)


def write_cache(path: Path, w_avg: torch.Tensor) -> None:
    try:
        with atomic_path(path) as temporary, open(temporary, "wb") as handle:
            np.save(handle, w_avg.numpy().astype(np.float32), allow_pickle=False)
    except OSError as error:
        logger.warning("could not cache w_avg at %s (%s); it will be computed again next time", path, error)


def cached_w_avg(mapping: FusedMapping, folder: Path, mapping_sha256: str) -> torch.Tensor:
    """Read w_avg from `folder`, or compute it and try to store it there. A read-only folder only costs the recomputation."""
    path = w_avg_cache_path(folder, mapping_sha256)
    w_avg = read_cached(path, mapping.config.style_dim)
    if w_avg is None:
        logger.info("computing w_avg from %d mapped z (seed %d)", W_AVG_SAMPLES, W_AVG_SEED)
        w_avg = compute_w_avg(mapping)
        write_cache(path, w_avg)
    return w_avg
