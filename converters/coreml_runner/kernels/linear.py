"""`linear` (x @ weight.T + bias) and `matmul` (numpy matmul rules).

Semantics from coremltools 9.0 `mil/ops/defs/iOS15/linear.py`.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from converters.coreml_runner.kernels.arguments import OpArguments


def linear(args: OpArguments) -> torch.Tensor:
    return F.linear(args.tensor("x"), args.tensor("weight"), args.optional_tensor("bias"))


def matmul(args: OpArguments) -> torch.Tensor:
    x, y = args.tensor("x"), args.tensor("y")
    if args.bool_value("transpose_x", False) and x.ndim >= 2:
        x = x.transpose(-1, -2)
    if args.bool_value("transpose_y", False) and y.ndim >= 2:
        y = y.transpose(-1, -2)
    return torch.matmul(x, y)


KERNELS = {"linear": linear, "matmul": matmul}
