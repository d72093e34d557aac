"""Activation MIL ops, as defined in coremltools 9.0 `mil/ops/defs/iOS15/activation.py`.

The iOS17 versions of these ops only allow more parameter types.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from converters.coreml_runner.kernels.arguments import OpArguments

GELU_SIGMOID_FACTOR = 1.702


def _per_channel(values: torch.Tensor, rank: int) -> torch.Tensor:
    """Shape a (C,) parameter to broadcast along axis 1 of a tensor of `rank` dimensions."""
    return values.reshape((1, -1) + (1,) * (rank - 2))


def relu(args: OpArguments) -> torch.Tensor:
    return torch.relu(args.tensor("x"))


def relu6(args: OpArguments) -> torch.Tensor:
    return torch.clamp(args.tensor("x"), 0.0, 6.0)


def leaky_relu(args: OpArguments) -> torch.Tensor:
    """x where x >= 0, else alpha * x (F.leaky_relu gives the same values, in one pass)."""
    return F.leaky_relu(args.tensor("x"), args.float_value("alpha"))


def prelu(args: OpArguments) -> torch.Tensor:
    x = args.tensor("x")
    alpha = _per_channel(args.tensor("alpha"), x.ndim)
    return torch.where(x > 0, x, x * alpha)


def elu(args: OpArguments) -> torch.Tensor:
    x = args.tensor("x")
    return torch.where(x > 0, x, args.float_value("alpha") * torch.expm1(x))


def sigmoid(args: OpArguments) -> torch.Tensor:
    return torch.sigmoid(args.tensor("x"))


def sigmoid_hard(args: OpArguments) -> torch.Tensor:
    x = args.tensor("x")
    return torch.clamp(args.float_value("alpha") * x + args.float_value("beta"), 0.0, 1.0)


def silu(args: OpArguments) -> torch.Tensor:
    return F.silu(args.tensor("x"))


def gelu(args: OpArguments) -> torch.Tensor:
    x = args.tensor("x")
    mode = args.string("mode", "EXACT")
    if mode == "EXACT":
        return F.gelu(x)
    if mode == "TANH_APPROXIMATION":
        return F.gelu(x, approximate="tanh")
    if mode == "SIGMOID_APPROXIMATION":
        return x * torch.sigmoid(GELU_SIGMOID_FACTOR * x)
    raise args.unsupported(f"mode={mode!r}")


def softplus(args: OpArguments) -> torch.Tensor:
    return F.softplus(args.tensor("x"))


def softplus_parametric(args: OpArguments) -> torch.Tensor:
    x = args.tensor("x")
    alpha = _per_channel(args.tensor("alpha"), x.ndim)
    beta = _per_channel(args.tensor("beta"), x.ndim)
    return alpha * F.softplus(x * beta)


def softsign(args: OpArguments) -> torch.Tensor:
    x = args.tensor("x")
    return x / (1 + torch.abs(x))


def softmax(args: OpArguments) -> torch.Tensor:
    return torch.softmax(args.tensor("x"), dim=args.int_value("axis", -1))


def scaled_tanh(args: OpArguments) -> torch.Tensor:
    return args.float_value("alpha") * torch.tanh(args.float_value("beta") * args.tensor("x"))


def linear_activation(args: OpArguments) -> torch.Tensor:
    return args.float_value("alpha") * args.tensor("x") + args.float_value("beta")


def clamped_relu(args: OpArguments) -> torch.Tensor:
    """min(beta, x) where x >= 0, else min(beta, alpha * x)."""
    x = args.tensor("x")
    beta = args.float_value("beta")
    return torch.clamp(torch.where(x >= 0, x, args.float_value("alpha") * x), max=beta)


def thresholded_relu(args: OpArguments) -> torch.Tensor:
    x = args.tensor("x")
    return torch.where(x >= args.float_value("alpha"), x, torch.zeros_like(x))


KERNELS = {
    "relu": relu,
    "relu6": relu6,
    "leaky_relu": leaky_relu,
    "prelu": prelu,
    "elu": elu,
    "sigmoid": sigmoid,
    "sigmoid_hard": sigmoid_hard,
    "silu": silu,
    "gelu": gelu,
    "softplus": softplus,
    "softplus_parametric": softplus_parametric,
    "softsign": softsign,
    "softmax": softmax,
    "scaled_tanh": scaled_tanh,
    "linear_activation": linear_activation,
    "clamped_relu": clamped_relu,
    "thresholded_relu": thresholded_relu,
}
