"""`conv` and `conv_transpose` for 1-3 spatial dimensions (coremltools 9.0 `mil/ops/defs/iOS15/conv.py`).

`pad` lists (before, after) per spatial dimension. `same` pads a total of
max(0, s * ceil(d / s) - d + k_eff - s) per dimension, with k_eff = (k - 1) * dilation + 1
(`_utils.aggregated_pad`). `same` puts an odd element after, `same_lower` before. This split
follows coremltools' op test `test_conv.py::test_padding_mode_stress`, which checks `same`
against PyTorch's padding="same" on Core ML; the op docstring puts it first for even kernels.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from converters.coreml_runner.kernels.arguments import OpArguments

CONV_FUNCTIONS = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}
CONV_TRANSPOSE_FUNCTIONS = {1: F.conv_transpose1d, 2: F.conv_transpose2d, 3: F.conv_transpose3d}


def same_padding(sizes, kernel, strides, dilations, lower: bool) -> list[int]:
    """(before, after) pairs, flattened, for pad_type `same` or `same_lower`."""
    pads = []
    for size, k, stride, dilation in zip(sizes, kernel, strides, dilations):
        effective = (k - 1) * dilation + 1
        total = max(0, stride * math.ceil(size / stride) - size + effective - stride)
        small, large = total // 2, total - total // 2
        pads += [large, small] if lower else [small, large]
    return pads


def _conv_parameters(args: OpArguments, spatial: int):
    strides = args.int_list("strides", [1] * spatial)
    dilations = args.int_list("dilations", [1] * spatial)
    groups = args.int_value("groups", 1)
    pad_type = args.string("pad_type", "valid")
    return strides, dilations, groups, pad_type


def conv(args: OpArguments) -> torch.Tensor:
    x = args.tensor("x")
    weight = args.tensor("weight")
    spatial = x.ndim - 2
    if spatial not in CONV_FUNCTIONS:
        raise args.unsupported(f"{spatial} spatial dimensions")
    strides, dilations, groups, pad_type = _conv_parameters(args, spatial)

    if pad_type == "valid":
        pads = [0] * (2 * spatial)
    elif pad_type == "custom":
        pads = args.int_list("pad", [0] * (2 * spatial))
    elif pad_type in ("same", "same_lower"):
        pads = same_padding(x.shape[2:], weight.shape[2:], strides, dilations, lower=pad_type == "same_lower")
    else:
        raise args.unsupported(f"pad_type={pad_type!r}")

    symmetric = all(pads[2 * i] == pads[2 * i + 1] for i in range(spatial))
    padding = [pads[2 * i] for i in range(spatial)] if symmetric else 0
    if not symmetric:
        # F.pad lists the last dimension first.
        x = F.pad(x, [p for i in reversed(range(spatial)) for p in (pads[2 * i], pads[2 * i + 1])])
    return CONV_FUNCTIONS[spatial](
        x, weight, args.optional_tensor("bias"), stride=strides, padding=padding, dilation=dilations, groups=groups
    )


def conv_transpose(args: OpArguments) -> torch.Tensor:
    """Transposed conv; weight is (C_in, C_out / groups, *K).

    The full ("valid") output is computed, then `custom` crops pad[2i] before and pad[2i+1]
    after, and `same` crops to d_in * stride.
    """
    x = args.tensor("x")
    weight = args.tensor("weight")
    spatial = x.ndim - 2
    if spatial not in CONV_TRANSPOSE_FUNCTIONS:
        raise args.unsupported(f"{spatial} spatial dimensions")
    strides, dilations, groups, pad_type = _conv_parameters(args, spatial)

    full = CONV_TRANSPOSE_FUNCTIONS[spatial](
        x, weight, args.optional_tensor("bias"), stride=strides, dilation=dilations, groups=groups
    )
    if pad_type == "valid":
        crops = [0] * (2 * spatial)
    elif pad_type == "custom":
        crops = args.int_list("pad", [0] * (2 * spatial))
    elif pad_type == "same":
        # NOTE: the split of an odd crop (smaller part first) follows TensorFlow's SAME
        # convention; the op definition gives only the output size d_in * stride.
        crops = []
        for size_in, size_full, stride in zip(x.shape[2:], full.shape[2:], strides):
            total = size_full - size_in * stride
            if total < 0:
                raise args.unsupported("pad_type='same' and a kernel smaller than the stride")
            crops += [total // 2, total - total // 2]
    else:
        raise args.unsupported(f"pad_type={pad_type!r}")

    if args.has("output_shape"):
        expected = args.int_list("output_shape")[2:]
        cropped = [full.shape[2 + i] - crops[2 * i] - crops[2 * i + 1] for i in range(spatial)]
        if cropped != expected:
            raise args.unsupported(f"output_shape {expected} different from the computed {cropped}")

    index = [slice(None), slice(None)]
    for i in range(spatial):
        index.append(slice(crops[2 * i], full.shape[2 + i] - crops[2 * i + 1]))
    return full[tuple(index)]


KERNELS = {"conv": conv, "conv_transpose": conv_transpose}
