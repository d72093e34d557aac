"""Post-processing baked into a converted model so that apps need no pixel code.

- `float`: the raw image (1, 3, H, W) float32, nominally in [-1, 1];
- `uint8`: RGB 0..255 integers, NCHW: round(clamp((x + 1) * 127.5, 0, 255)). TFLite gives a uint8
  tensor. CoreML ML programs reject uint8 model outputs (coremltools 9.0: "dtype=uint8 is
  unsupported for inputs/outputs of the model"), so CoreML gives int32 with the same values;
- `image`: CoreML only, a `ct.ImageType` RGB output (a CVPixelBuffer in Swift). coremltools
  requires such outputs to be (1, 3, H, W) in 0..255 and allows no scale or bias on them, so the
  model produces clamp((x + 1) * 127.5, 0, 255) as float and CoreML turns it into pixels.
"""

from __future__ import annotations

import torch
import torch.nn as nn

PIXEL_SCALE = 127.5  # [-1, 1] -> [0, 255]


def to_pixel_range(image: torch.Tensor) -> torch.Tensor:
    """Map an image from [-1, 1] to [0, 255], clamped, still float."""
    return torch.clamp((image + 1.0) * PIXEL_SCALE, 0.0, 255.0)


class ImageOutput(nn.Module):
    """Turn the synthesis output into the requested image output; `integer_dtype` is used for `uint8`."""

    def __init__(self, mode: str, integer_dtype: torch.dtype = torch.uint8):
        super().__init__()
        if mode not in ("float", "uint8", "image"):
            raise ValueError(f"invalid image output mode {mode!r}; expected float, uint8 or image")
        self.mode = mode
        self.integer_dtype = integer_dtype

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        if self.mode == "float":
            return image
        pixels = to_pixel_range(image)
        if self.mode == "image":
            return pixels
        return torch.round(pixels).to(self.integer_dtype)


def output_dtype(mode: str, target: str) -> str:
    """Return the numpy dtype name of the `image` output for an image output mode and target."""
    if mode == "uint8":
        return "uint8" if target == "tflite" else "int32"
    if mode == "image":
        return "uint8"  # 8 bits per channel in the CVPixelBuffer
    return "float32"


def describe_image(mode: str, target: str, side: int) -> str:
    """Describe the `image` output for the model metadata and the sidecar."""
    if mode == "float":
        return f"RGB image (1, 3, {side}, {side}) float32, NCHW, nominally in [-1, 1]; pixel = clamp((x + 1) * 127.5, 0, 255)"
    if mode == "image":
        return f"RGB image {side}x{side} (CVPixelBuffer), values 0..255"
    dtype = output_dtype(mode, target)
    return f"RGB image (1, 3, {side}, {side}) {dtype}, NCHW, values 0..255 (clamped and rounded in the model)"
