"""Images as an app displays them: float [-1, 1] mapped to uint8 RGB, in (3, H, W) layout."""

from __future__ import annotations

import numpy as np


def float_to_uint8(image: np.ndarray) -> np.ndarray:
    """round(clamp((x + 1) * 127.5, 0, 255)) as uint8; non-finite values must be replaced first."""
    return np.rint(np.clip((image.astype(np.float32) + 1.0) * 127.5, 0.0, 255.0)).astype(np.uint8)


def uint8_to_float(image: np.ndarray) -> np.ndarray:
    """Map 0..255 back onto the [-1, 1] scale of the float model."""
    return image.astype(np.float32) / 127.5 - 1.0


def to_chw(output: np.ndarray, height: int, width: int) -> np.ndarray:
    """Bring an image output to (3, H, W).

    Accepts (1, 3, H, W), (3, H, W), and (H, W, 3) or (H, W, 4) as a CoreML image output may come
    back (the alpha channel is dropped). Raises ValueError naming the shape found and expected.
    """
    array = np.asarray(output)
    if array.ndim == 4 and array.shape[0] == 1:
        array = array[0]
    if array.shape == (3, height, width):
        return array
    if array.ndim == 3 and array.shape[:2] == (height, width) and array.shape[2] in (3, 4):
        return np.ascontiguousarray(array[:, :, :3].transpose(2, 0, 1))
    raise ValueError(f"image output has shape {tuple(np.shape(output))}; expected (1, 3, {height}, {width})")


def app_image(output: np.ndarray, image_output: str) -> tuple[np.ndarray, np.ndarray, int]:
    """Return (uint8 image, float image on the [-1, 1] scale, count of non-finite values) of one output.

    `image_output` is "float" (values in [-1, 1]) or "uint8"/"image" (values 0..255, rounded and
    clamped here when they arrive as floats). Non-finite values become 0 in both images, so the
    other metrics stay defined; the count reports them.
    """
    nonfinite = int(np.count_nonzero(~np.isfinite(output))) if np.issubdtype(output.dtype, np.floating) else 0
    finite = np.nan_to_num(output.astype(np.float32), nan=0.0, posinf=0.0, neginf=0.0) if nonfinite else output

    if image_output == "float":
        as_float = finite.astype(np.float32)
        return float_to_uint8(as_float), as_float, nonfinite
    as_uint8 = np.rint(np.clip(finite, 0, 255)).astype(np.uint8)
    return as_uint8, uint8_to_float(as_uint8), nonfinite
