"""Activation quantization ops of iOS17 (coremltools 9.0 `mil/ops/defs/iOS17/quantization_ops.py`).

quantize:   q = clip(round(x / scale) + zero_point) to the range of `output_dtype` (int8 or uint8)
dequantize: x = scale * (q - zero_point)
`scale` and `zero_point` are scalars, or vectors along `axis`. `round` is half to even, as numpy's.
"""

from __future__ import annotations

import torch

from converters.coreml_runner.kernels.arguments import OpArguments

INTEGER_RANGES = {"int8": (-128, 127), "uint8": (0, 255)}


def broadcast_along_axis(parameter: torch.Tensor, rank: int, axis: int | None) -> torch.Tensor:
    """Shape a scalar or an (N,) vector so that it broadcasts along `axis` of a rank-`rank` tensor."""
    if parameter.ndim == 0 or axis is None:
        return parameter
    axis = axis + rank if axis < 0 else axis
    shape = [1] * rank
    shape[axis] = -1
    return parameter.reshape(shape)


def _scale_and_zero_point(args: OpArguments, rank: int):
    axis = args.int_value("axis", None)
    scale = broadcast_along_axis(args.tensor("scale").to(torch.float32), rank, axis)
    zero_point = args.optional_tensor("zero_point")
    if zero_point is not None:
        zero_point = broadcast_along_axis(zero_point.to(torch.float32), rank, axis)
    return scale, zero_point


def quantize(args: OpArguments) -> torch.Tensor:
    x = args.tensor("input")
    output_dtype = args.string("output_dtype")
    if output_dtype not in INTEGER_RANGES:
        raise args.unsupported(f"output_dtype={output_dtype!r}")
    scale, zero_point = _scale_and_zero_point(args, x.ndim)
    quantized = torch.round(x / scale)
    if zero_point is not None:
        quantized = quantized + zero_point
    low, high = INTEGER_RANGES[output_dtype]
    return torch.clamp(quantized, low, high).to(torch.int64)


def dequantize(args: OpArguments) -> torch.Tensor:
    q = args.tensor("input").to(torch.float32)
    scale, zero_point = _scale_and_zero_point(args, q.ndim)
    if zero_point is not None:
        q = q - zero_point
    return q * scale


KERNELS = {"quantize": quantize, "dequantize": dequantize}
