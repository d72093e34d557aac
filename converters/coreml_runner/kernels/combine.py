"""Ops that join or repeat tensors: concat, stack, tile, fill, fill_like.

Semantics from coremltools 9.0 `mil/ops/defs/iOS15/tensor_operation.py` (and iOS16 for fill_like).
"""

from __future__ import annotations

import numpy as np
import torch

from converters.coreml_runner.kernels.arguments import OpArguments


def concat(args: OpArguments) -> torch.Tensor:
    """Concatenate along `axis`; with `interleave` the inputs alternate element by element on that axis."""
    values = args.tensors("values")
    axis = args.int_value("axis")
    if not args.bool_value("interleave", False):
        return torch.cat(values, dim=axis)
    axis = axis + values[0].ndim if axis < 0 else axis
    return torch.stack(values, dim=axis + 1).flatten(axis, axis + 1)


def stack(args: OpArguments) -> torch.Tensor:
    return torch.stack(args.tensors("values"), dim=args.int_value("axis"))


def tile(args: OpArguments) -> torch.Tensor:
    return args.tensor("x").repeat(args.int_list("reps"))


def _fill_value(args: OpArguments) -> float:
    return float(np.asarray(args.array("value", 0.0)).item())


def fill(args: OpArguments) -> torch.Tensor:
    """Return a tensor of shape `shape` filled with `value` (default 0), rounded later to the declared type."""
    return torch.full(args.int_list("shape"), _fill_value(args))


def fill_like(args: OpArguments) -> torch.Tensor:
    return torch.full(list(args.tensor("ref_tensor").shape), _fill_value(args))


KERNELS = {"concat": concat, "stack": stack, "tile": tile, "fill": fill, "fill_like": fill_like}
