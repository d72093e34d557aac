"""Draw images from seeds with a loaded model, and save them as a picture grid or raw floats."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from msg_model.atomic import atomic_path
from msg_model.errors import InvalidInputError
from msg_model.generator import z_from_seed
from msg_model.spec import LoadedModel


def latents_for_seeds(model: LoadedModel, seeds: list[int], truncation_psi: float) -> torch.Tensor:
    """w (N, style_dim) for each seed: z as NVlabs draws it, mapped and truncated.

    Each seed is mapped alone, because a batched matrix product rounds differently (w moved by about
    1e-6 on the released model), and a seed's image should not depend on the other seeds listed.
    """
    psi = torch.full((1, 1), float(truncation_psi))
    with torch.no_grad():
        return torch.cat([model.mapping(z_from_seed(seed, model.config.style_dim), psi) for seed in seeds])


@torch.no_grad()
def draw_images(model: LoadedModel, seeds: list[int], truncation_psi: float, progress=None) -> np.ndarray:
    """Float images (N, 3, H, W) in the model's range, drawn one seed at a time to bound memory."""
    ws = latents_for_seeds(model, seeds, truncation_psi)
    images = []
    for index in range(len(seeds)):
        images.append(model.synthesis(ws[index : index + 1]).numpy())
        if progress is not None:
            progress()
    return np.concatenate(images)


def to_uint8(images: np.ndarray) -> np.ndarray:
    """Map [-1, 1] floats to uint8 the way an app does: round(clip((x + 1) * 127.5, 0, 255))."""
    return np.clip(np.rint((images + 1.0) * 127.5), 0, 255).astype(np.uint8)


def image_grid(images: np.ndarray, columns: int | None = None, tile_size: int | None = None) -> Image.Image:
    """Arrange (N, 3, H, W) float images into one RGB picture, row-major."""
    count = images.shape[0]
    columns = columns or min(count, 4)
    rows = math.ceil(count / columns)
    tiles = [Image.fromarray(tile.transpose(1, 2, 0)) for tile in to_uint8(images)]
    if tile_size:
        tiles = [tile.resize((tile_size, tile_size), Image.LANCZOS) for tile in tiles]
    width, height = tiles[0].size
    grid = Image.new("RGB", (columns * width, rows * height))
    for index, tile in enumerate(tiles):
        grid.paste(tile, ((index % columns) * width, (index // columns) * height))
    return grid


def save_images(images: np.ndarray, path: Path, columns: int | None = None, tile_size: int | None = None) -> Path:
    """Write an `.npy` of raw floats, or a picture grid in the format PIL infers from the suffix."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".npy":
        with atomic_path(path) as temporary:
            with open(temporary, "wb") as handle:
                np.save(handle, images.astype(np.float32))
        return path
    if suffix not in (".png", ".jpg", ".jpeg", ".webp"):
        raise InvalidInputError(f"unsupported output suffix {path.suffix!r} for {path}; use .png, .jpg, .webp or .npy")
    grid = image_grid(images, columns, tile_size)
    with atomic_path(path) as temporary:
        grid.save(temporary, format=Image.registered_extensions()[suffix])
    return path
