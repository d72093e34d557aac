"""Images for the HTML report: PNG data URIs, downscaled previews and difference heatmaps."""

from __future__ import annotations

import base64
import io

import numpy as np
from PIL import Image

PREVIEW_SIDE = 256


def png_data_uri(image: np.ndarray) -> str:
    """Encode a uint8 (H, W, 3) image as a `data:image/png;base64,...` URI, so the page fetches nothing."""
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, format="PNG", optimize=True)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def preview(image: np.ndarray, side: int = PREVIEW_SIDE) -> np.ndarray:
    """Return a uint8 (3, H, W) image as (H, W, 3), box-filtered down so its longer side is at most `side`."""
    hwc = np.ascontiguousarray(image.transpose(1, 2, 0))
    height, width = hwc.shape[:2]
    if max(height, width) <= side:
        return hwc
    scale = side / max(height, width)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return np.asarray(Image.fromarray(hwc).resize(size, Image.Resampling.BOX))


def block_max(values: np.ndarray, side: int) -> np.ndarray:
    """Downscale (H, W) by taking the maximum of each block, so one wrong pixel stays visible."""
    height, width = values.shape
    step = max(1, -(-max(height, width) // side))
    padded = np.zeros((-(-height // step) * step, -(-width // step) * step), dtype=values.dtype)
    padded[:height, :width] = values
    return padded.reshape(padded.shape[0] // step, step, padded.shape[1] // step, step).max(axis=(1, 3))


def hot_colormap(values: np.ndarray) -> np.ndarray:
    """Map uint8 (H, W) to RGB black -> red -> yellow -> white, each third of the range one step."""
    scaled = values.astype(np.float32) / 255.0
    channels = [np.clip(3.0 * scaled - offset, 0.0, 1.0) for offset in (0.0, 1.0, 2.0)]
    return (np.stack(channels, axis=-1) * 255.0).round().astype(np.uint8)


def difference_heatmap(reference: np.ndarray, artifact: np.ndarray, gain: float, side: int = PREVIEW_SIDE) -> np.ndarray:
    """|artifact - reference| of two uint8 (3, H, W) images, max over RGB, times `gain`, clipped at 255, as a heatmap."""
    difference = np.abs(artifact.astype(np.int16) - reference.astype(np.int16)).max(axis=0)
    amplified = np.clip(difference.astype(np.float32) * gain, 0, 255).astype(np.uint8)
    return hot_colormap(block_max(amplified, side))
