"""Ops that change spatial size: pad, crop, upsample_nearest_neighbor.

Semantics from coremltools 9.0 `mil/ops/defs/iOS15/tensor_operation.py` (pad) and
`image_resizing.py` (crop, upsample_nearest_neighbor).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from converters.coreml_runner.kernels.arguments import OpArguments


def border_indices(size: int, before: int, after: int, mode: str) -> torch.Tensor:
    """Source index of each padded position for `reflect` (no edge repeat) or `replicate` padding."""
    positions = torch.arange(-before, size + after, dtype=torch.int64)
    if mode == "replicate":
        return positions.clamp(0, size - 1)
    period = 2 * (size - 1)
    folded = torch.remainder(positions, period) if period > 0 else torch.zeros_like(positions)
    return torch.where(folded < size, folded, period - folded)


def pad(args: OpArguments) -> torch.Tensor:
    """Pad the last len(pad) / 2 axes; pad[2i], pad[2i+1] go before and after the i-th of them."""
    x = args.tensor("x")
    pads = args.int_list("pad")
    mode = args.string("mode", "constant")
    first_axis = x.ndim - len(pads) // 2

    if mode == "constant":
        value = args.float_value("constant_val", 0.0)
        # F.pad lists the last axis first.
        pairs = [pads[i : i + 2] for i in range(0, len(pads), 2)]
        return F.pad(x, [p for pair in reversed(pairs) for p in pair], value=value)
    if mode not in ("reflect", "replicate"):
        raise args.unsupported(f"mode={mode!r}")

    result = x
    for i in range(len(pads) // 2):
        axis = first_axis + i
        before, after = pads[2 * i], pads[2 * i + 1]
        if before or after:
            result = result.index_select(axis, border_indices(result.shape[axis], before, after, mode))
    return result


def crop(args: OpArguments) -> torch.Tensor:
    x = args.tensor("x")
    top, bottom = args.int_list("crop_height")
    left, right = args.int_list("crop_width")
    return x[..., top : x.shape[-2] - bottom, left : x.shape[-1] - right]


def upsample_nearest_neighbor(args: OpArguments) -> torch.Tensor:
    """Nearest-neighbour upsampling of the last two axes; output size floor(size * scale)."""
    x = args.tensor("x")
    scale_height = args.float_value("scale_factor_height", 1.0)
    scale_width = args.float_value("scale_factor_width", 1.0)
    if scale_height.is_integer() and scale_width.is_integer():
        return x.repeat_interleave(int(scale_height), dim=-2).repeat_interleave(int(scale_width), dim=-1)

    # NOTE: for fractional scales the source index is floor(destination / scale), as in
    # PyTorch's "nearest" mode. The op definition does not say which pixel Core ML picks.
    rows = _source_indices(x.shape[-2], scale_height)
    columns = _source_indices(x.shape[-1], scale_width)
    return x.index_select(-2, rows).index_select(-1, columns)


def _source_indices(size: int, scale: float) -> torch.Tensor:
    output_size = math.floor(size * scale)
    indices = torch.floor(torch.arange(output_size, dtype=torch.float64) / scale).to(torch.int64)
    return indices.clamp(max=size - 1)


KERNELS = {"pad": pad, "crop": crop, "upsample_nearest_neighbor": upsample_nearest_neighbor}
