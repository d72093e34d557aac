"""Single-level 2-D Haar wavelet transform in the convention of the official checkpoint.

MobileStyleGAN was trained with pytorch_wavelets' `DWTForward`/`DWTInverse(wave="db1",
mode="zero")`. For even sizes that transform is the orthonormal Haar transform below. The high
bands come in the order pytorch_wavelets stacks them on dim 2: `b0` pairs rows (low-pass along
width, high-pass along height), `b1` pairs columns, `b2` is the diagonal band.

The inverse is written as sums and one `pixel_shuffle`: grouped transposed convolutions and
resize-based forms convert badly to TFLite, and shape queries break CoreML conversion.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def haar_dwt(image: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Split (B, C, H, W) into the low band (B, C, H/2, W/2) and high bands (B, C, 3, H/2, W/2)."""
    if image.ndim != 4 or image.shape[-1] % 2 or image.shape[-2] % 2:
        raise ValueError(f"haar_dwt expects (B, C, H, W) with even H and W, got {tuple(image.shape)}")
    x00 = image[..., 0::2, 0::2]
    x01 = image[..., 0::2, 1::2]
    x10 = image[..., 1::2, 0::2]
    x11 = image[..., 1::2, 1::2]

    low = (x00 + x01 + x10 + x11) * 0.5
    band0 = (x00 + x01 - x10 - x11) * 0.5
    band1 = (x00 - x01 + x10 - x11) * 0.5
    band2 = (x00 - x01 - x10 + x11) * 0.5
    return low, torch.stack([band0, band1, band2], dim=2)


def haar_idwt_bands(
    low: torch.Tensor, band0: torch.Tensor, band1: torch.Tensor, band2: torch.Tensor
) -> torch.Tensor:
    """Rebuild (B, C, 2H, 2W) from four (B, C, H, W) bands."""
    low_plus_0 = low + band0
    low_minus_0 = low - band0
    sum_12 = band1 + band2
    diff_12 = band1 - band2

    # Each output pixel of a 2x2 cell, in pixel_shuffle order (row-major within the cell).
    top_left = (low_plus_0 + sum_12) * 0.5
    top_right = (low_plus_0 - sum_12) * 0.5
    bottom_left = (low_minus_0 + diff_12) * 0.5
    bottom_right = (low_minus_0 - diff_12) * 0.5

    cells = torch.stack([top_left, top_right, bottom_left, bottom_right], dim=2)
    return F.pixel_shuffle(cells.flatten(1, 2), 2)


def haar_idwt(low: torch.Tensor, high: torch.Tensor) -> torch.Tensor:
    """Inverse of `haar_dwt`: low (B, C, H, W) and high (B, C, 3, H, W) to (B, C, 2H, 2W)."""
    if high.ndim != 5 or high.shape[2] != 3 or high.shape[:2] != low.shape[:2] or high.shape[3:] != low.shape[2:]:
        raise ValueError(
            f"haar_idwt expects low (B, C, H, W) and high (B, C, 3, H, W), "
            f"got {tuple(low.shape)} and {tuple(high.shape)}"
        )
    return haar_idwt_bands(low, high[:, :, 0], high[:, :, 1], high[:, :, 2])


def split_wavelet_channels(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Split (B, 4C, H, W) in the official layout: C low channels, then C groups of 3 high bands."""
    quarter = x.shape[1] // 4
    low = x[:, :quarter]
    high = x[:, quarter:].unflatten(1, (quarter, 3))
    return low, high


def wavelet_channels_to_image(x: torch.Tensor) -> torch.Tensor:
    """Inverse DWT of a tensor in the official channel layout (see `split_wavelet_channels`)."""
    low, high = split_wavelet_channels(x)
    return haar_idwt(low, high)
