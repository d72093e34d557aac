"""Ops that select elements: slice_by_index, slice_by_size, split, gather, gather_along_axis.

Semantics from coremltools 9.0 `mil/ops/defs/iOS15/tensor_transformation.py`,
`tensor_operation.py` and `scatter_gather.py` (with the iOS16/17 versions of gather).
"""

from __future__ import annotations

import torch

from converters.coreml_runner.kernels.arguments import OpArguments

INT32_MAX = 2**31 - 1


def take_slice(x: torch.Tensor, axis: int, begin: int | None, end: int | None, stride: int) -> torch.Tensor:
    """x[..., begin:end:stride, ...] on `axis` with Python slice rules, negative strides included."""
    start, stop, step = slice(begin, end, stride).indices(x.shape[axis])
    if step > 0:
        return x[(slice(None),) * axis + (slice(start, stop, step),)]
    indices = torch.arange(start, stop, step, dtype=torch.int64)
    return x.index_select(axis, indices)


def slice_by_index(args: OpArguments) -> torch.Tensor:
    """numpy-style x[begin:end:stride] per axis; masks drop begin or end, squeeze_mask indexes one element."""
    x = args.tensor("x")
    rank = x.ndim
    begin = args.int_list("begin")
    end = args.int_list("end")
    stride = args.int_list("stride", [1] * rank)
    begin_mask = args.bool_list("begin_mask", [False] * rank)
    end_mask = args.bool_list("end_mask", [False] * rank)
    squeeze_mask = args.bool_list("squeeze_mask", [False] * rank)

    result = x
    for axis in range(rank):
        axis_begin = None if begin_mask[axis] else begin[axis]
        axis_end = None if end_mask[axis] else end[axis]
        axis_stride = stride[axis]
        if squeeze_mask[axis]:
            # The op definition selects the single element at begin (end ignored, stride "infinite").
            axis_end, axis_stride = None, INT32_MAX
        result = take_slice(result, axis, axis_begin, axis_end, axis_stride)
    squeezed = [size for axis, size in enumerate(result.shape) if not squeeze_mask[axis]]
    return result.reshape(squeezed)


def slice_by_size(args: OpArguments) -> torch.Tensor:
    """x[begin : begin + size] per axis; size -1 takes the rest; a negative begin counts from the end."""
    x = args.tensor("x")
    begin = args.int_list("begin")
    size = args.int_list("size")
    result = x
    for axis in range(x.ndim):
        start = begin[axis] + x.shape[axis] if begin[axis] < 0 else begin[axis]
        length = x.shape[axis] - start if size[axis] == -1 else size[axis]
        result = result.narrow(axis, start, length)
    return result


def split(args: OpArguments) -> tuple[torch.Tensor, ...]:
    x = args.tensor("x")
    axis = args.int_value("axis")
    sizes = args.int_list("split_sizes", None)
    if sizes is None:
        count = args.int_value("num_splits")
        sizes = [x.shape[axis] // count] * count
    return tuple(torch.split(x, sizes, dim=axis))


def gather(args: OpArguments) -> torch.Tensor:
    """x taken along `axis` at `indices` (negative indices allowed); `batch_dims` leading axes are shared."""
    x = args.tensor("x")
    indices = args.tensor("indices").to(torch.int64)
    axis = args.int_value("axis", 0)
    axis = axis + x.ndim if axis < 0 else axis
    batch_dims = args.int_value("batch_dims", 0)
    indices = torch.where(indices < 0, indices + x.shape[axis], indices)
    if batch_dims == 0:
        selected = x.index_select(axis, indices.reshape(-1))
        return selected.reshape(x.shape[:axis] + indices.shape + x.shape[axis + 1 :])

    batch_shape = x.shape[:batch_dims]
    flat_x = x.reshape((-1,) + x.shape[batch_dims:])
    flat_indices = indices.reshape((-1,) + indices.shape[batch_dims:])
    inner_axis = axis - batch_dims
    parts = []
    for item, item_indices in zip(flat_x, flat_indices):
        selected = item.index_select(inner_axis, item_indices.reshape(-1))
        parts.append(selected.reshape(item.shape[:inner_axis] + item_indices.shape + item.shape[inner_axis + 1 :]))
    return torch.stack(parts).reshape(batch_shape + parts[0].shape)


def gather_along_axis(args: OpArguments) -> torch.Tensor:
    x = args.tensor("x")
    indices = args.tensor("indices").to(torch.int64)
    axis = args.int_value("axis", 0)
    indices = torch.where(indices < 0, indices + x.shape[axis], indices)
    return torch.gather(x, axis, indices)


KERNELS = {
    "slice_by_index": slice_by_index,
    "slice_by_size": slice_by_size,
    "split": split,
    "gather": gather,
    "gather_along_axis": gather_along_axis,
}
