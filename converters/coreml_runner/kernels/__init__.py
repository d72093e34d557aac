"""PyTorch kernels of MIL ops, grouped by family, and the tables the interpreter looks them up in.

A runtime kernel takes an `OpArguments` and returns a float32, int64 or bool tensor, or a tuple
of them for ops with several outputs. The interpreter rounds each result to its declared type.
Constexpr kernels decompress weights in numpy once, when the model loads.
"""

from __future__ import annotations

from converters.coreml_runner.kernels import (
    activation,
    combine,
    constexpr,
    convolution,
    elementwise,
    indexing,
    layout,
    linear,
    quantization,
    reduction,
    resize,
)

# Ops that only move or repeat elements: their results are already exact in the declared type,
# because MIL gives them the type of their input, so the interpreter skips rounding them.
VALUE_PRESERVING_OPS = frozenset(
    {*layout.KERNELS, *indexing.KERNELS, "concat", "stack", "tile", "pad", "crop", "upsample_nearest_neighbor"}
)

RUNTIME_FAMILIES = (
    activation, combine, convolution, elementwise, indexing, layout, linear, quantization, reduction, resize,
)


def runtime_kernels() -> dict:
    """Map each supported runtime op type to its kernel."""
    table = {}
    for family in RUNTIME_FAMILIES:
        table.update(family.KERNELS)
    return table


def constexpr_kernels() -> dict:
    """Map each supported `constexpr_*` op type to its numpy decompression function."""
    return dict(constexpr.KERNELS)
