"""Decompression of compressed weights: the `constexpr_*` ops, evaluated once in numpy when a model loads.

Formulas from coremltools 9.0 `mil/ops/defs/iOS16/constexpr_ops.py` and `iOS18/compression.py`:
- affine_dequantize (iOS16): scale * (quantized_data - zero_point), scale and zero_point along `axis`;
- blockwise_shift_scale (iOS18): scale * (data - offset), each scale entry covering a block of
  data.shape[i] / scale.shape[i] elements on axis i;
- lut_to_dense (iOS16): packed `indices` bytes, a 1-D `lut` and the output `shape`;
- lut_to_dense (iOS18): unpacked indices and a `lut` of shape [g_0, ..., g_(r-1), 2^nbits,
  vector_size] with one palette per block. Vectors are laid along `vector_axis`;
- sparse_to_dense: zeros with `nonzero_data` written where the mask is set, in row-major order
  (iOS16: a packed mask plus `shape`, iOS18: a uint1 mask of the output shape);
- lut_to_sparse and sparse_blockwise_shift_scale (iOS18, joint compression) decompress only the
  nonzero data and return (mask, nonzero values) for a following sparse_to_dense;
- cast: float16 to float32.
Arithmetic is float32; the interpreter then rounds each output to its declared type.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from converters.coreml_runner.constants import unpack_bits

Getter = Callable[..., np.ndarray | None]


def block_repeat(values: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Repeat each entry of `values` over its block so that the result has `shape`."""
    for axis, (size, blocks) in enumerate(zip(shape, values.shape)):
        if size % blocks:
            raise ValueError(
                f"a compressed weight of shape {shape} has {blocks} blocks on axis {axis}, which does not divide it"
            )
        if size != blocks:
            values = np.repeat(values, size // blocks, axis=axis)
    return values


def along_axis(parameter: np.ndarray, rank: int, axis: int) -> np.ndarray:
    """Shape a scalar or vector parameter to broadcast along `axis`."""
    if parameter.ndim == 0:
        return parameter
    shape = [1] * rank
    shape[axis % rank] = -1
    return parameter.reshape(shape)


def affine_dequantize(get: Getter) -> np.ndarray:
    data = get("quantized_data").astype(np.float32)
    axis = int(get("axis"))
    zero_point = along_axis(get("zero_point").astype(np.float32), data.ndim, axis)
    scale = along_axis(get("scale").astype(np.float32), data.ndim, axis)
    return scale * (data - zero_point)


def shift_scale(data: np.ndarray, scale: np.ndarray, offset: np.ndarray | None) -> np.ndarray:
    data = data.astype(np.float32)
    if offset is not None:
        data = data - block_repeat(offset.astype(np.float32), data.shape)
    return block_repeat(scale.astype(np.float32), data.shape) * data


def blockwise_shift_scale(get: Getter) -> np.ndarray:
    return shift_scale(get("data"), get("scale"), get("offset", None))


def lut_lookup(indices: np.ndarray, lut: np.ndarray, vector_axis: int | None) -> np.ndarray:
    """Look up iOS18 palettes: each index reads the palette of its block, and vectors fill `vector_axis`."""
    rank = indices.ndim
    groups = lut.shape[:rank]
    palette_size, vector_size = lut.shape[rank:]
    group_index = np.zeros(indices.shape, dtype=np.int64)
    for axis, (size, count) in enumerate(zip(indices.shape, groups)):
        position = (np.arange(size) // (size // count)).reshape([-1 if a == axis else 1 for a in range(rank)])
        group_index = group_index * count + position
    values = lut.reshape(-1, palette_size, vector_size)[group_index, indices.astype(np.int64)]
    if vector_size == 1:
        return values[..., 0]
    if vector_axis is None:
        raise ValueError("a vector palette (vector size > 1) needs vector_axis")
    vector_axis = vector_axis % rank
    output_shape = list(indices.shape)
    output_shape[vector_axis] *= vector_size
    return np.moveaxis(values, -1, vector_axis + 1).reshape(output_shape)


def lut_to_dense(get: Getter) -> np.ndarray:
    lut = get("lut")
    shape = get("shape", None)
    if shape is not None:
        # iOS16: indices are packed bytes with log2(lut.size) bits each.
        bits = int(np.log2(lut.size))
        count = int(np.prod(shape))
        indices = unpack_bits(get("indices").tobytes(), bits, count, signed=False)
        return lut[indices].reshape([int(size) for size in shape])
    vector_axis = get("vector_axis", None)
    return lut_lookup(get("indices"), lut, None if vector_axis is None else int(vector_axis))


def scatter_nonzero(nonzero_data: np.ndarray, mask: np.ndarray) -> np.ndarray:
    dense = np.zeros(mask.shape, dtype=nonzero_data.dtype)
    dense[mask != 0] = nonzero_data
    return dense


def sparse_to_dense(get: Getter) -> np.ndarray:
    nonzero_data = get("nonzero_data")
    shape = get("shape", None)
    if shape is not None:
        # iOS16: a packed bit mask, one bit per element of `shape`.
        count = int(np.prod(shape))
        mask = unpack_bits(get("mask").tobytes(), 1, count, signed=False)
        return scatter_nonzero(nonzero_data, mask).reshape([int(size) for size in shape])
    return scatter_nonzero(nonzero_data, get("mask"))


def lut_to_sparse(get: Getter) -> tuple[np.ndarray, np.ndarray]:
    mask = get("indices_mask")
    lut = get("lut")
    vector_axis = get("vector_axis", None)
    vector_axis = None if vector_axis is None else int(vector_axis)
    indices = scatter_nonzero(get("indices_nonzero_data"), mask)
    dense = lut_lookup(indices, lut, vector_axis)
    if lut.shape[-1] > 1:
        mask = np.repeat(mask, lut.shape[-1], axis=vector_axis)
    return mask, dense[mask != 0]


def sparse_blockwise_shift_scale(get: Getter) -> tuple[np.ndarray, np.ndarray]:
    mask = get("data_mask")
    dense = shift_scale(scatter_nonzero(get("nonzero_data"), mask), get("scale"), get("offset", None))
    return mask, dense[mask != 0]


def cast(get: Getter) -> np.ndarray:
    return get("source_val").astype(np.float32)


KERNELS = {
    "constexpr_affine_dequantize": affine_dequantize,
    "constexpr_blockwise_shift_scale": blockwise_shift_scale,
    "constexpr_lut_to_dense": lut_to_dense,
    "constexpr_sparse_to_dense": sparse_to_dense,
    "constexpr_lut_to_sparse": lut_to_sparse,
    "constexpr_sparse_blockwise_shift_scale": sparse_blockwise_shift_scale,
    "constexpr_cast": cast,
}
