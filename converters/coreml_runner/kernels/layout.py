"""Ops that move elements without computing: reshape, transpose, expand_dims, squeeze, pixel (un)shuffle.

Semantics from coremltools 9.0 `mil/ops/defs/iOS15/tensor_transformation.py` and its iOS16/17 versions.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from converters.coreml_runner.kernels.arguments import OpArguments


def reshape(args: OpArguments) -> torch.Tensor:
    """Reshape; in `shape`, 0 copies the input dimension (when the ranks match) and -1 is inferred."""
    x = args.tensor("x")
    shape = args.int_list("shape")
    if 0 in shape:
        if len(shape) != x.ndim:
            raise ValueError(f"reshape of {tuple(x.shape)} to {shape}: a 0 needs the input rank {x.ndim}")
        shape = [x.shape[axis] if size == 0 else size for axis, size in enumerate(shape)]
    if shape.count(-1) == 1:
        known = math.prod(size for size in shape if size != -1)
        shape[shape.index(-1)] = x.numel() // known
    return x.reshape(shape)


def transpose(args: OpArguments) -> torch.Tensor:
    return args.tensor("x").permute(args.int_list("perm"))


def expand_dims(args: OpArguments) -> torch.Tensor:
    """Insert size-1 axes; negative axes count from the end of the output rank."""
    x = args.tensor("x")
    axes = args.int_list("axes")
    output_rank = x.ndim + len(axes)
    shape = list(x.shape)
    for axis in sorted(axis + output_rank if axis < 0 else axis for axis in axes):
        shape.insert(axis, 1)
    return x.reshape(shape)


def squeeze(args: OpArguments) -> torch.Tensor:
    """Drop size-1 axes: all of them, or those listed in `axes` that have size 1 (PyTorch rule)."""
    x = args.tensor("x")
    axes = args.int_list("axes", None)
    if axes is None:
        return x.reshape([size for size in x.shape if size != 1])
    dropped = {axis + x.ndim if axis < 0 else axis for axis in axes}
    return x.reshape([size for axis, size in enumerate(x.shape) if not (axis in dropped and size == 1)])


def pixel_shuffle(args: OpArguments) -> torch.Tensor:
    return F.pixel_shuffle(args.tensor("x"), args.int_value("upscale_factor"))


def pixel_unshuffle(args: OpArguments) -> torch.Tensor:
    return F.pixel_unshuffle(args.tensor("x"), args.int_value("downscale_factor"))


def identity(args: OpArguments) -> torch.Tensor:
    return args.tensor("x")


def shape(args: OpArguments) -> torch.Tensor:
    return torch.tensor(list(args.tensor("x").shape), dtype=torch.int64)


KERNELS = {
    "reshape": reshape,
    "transpose": transpose,
    "expand_dims": expand_dims,
    "squeeze": squeeze,
    "pixel_shuffle": pixel_shuffle,
    "pixel_unshuffle": pixel_unshuffle,
    "identity": identity,
    "shape": shape,
}
