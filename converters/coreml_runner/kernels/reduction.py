"""Reductions from coremltools 9.0 `mil/ops/defs/iOS15/reduction.py`.

`axes` default to all axes and `keep_dims` to False. reduce_argmax and reduce_argmin take one
`axis` (default -1) and return the first index of a tie, as numpy does.
"""

from __future__ import annotations

import torch

from converters.coreml_runner.kernels.arguments import OpArguments


def _sum(x: torch.Tensor, dims: list[int], keep: bool) -> torch.Tensor:
    return torch.sum(x, dim=dims, keepdim=keep)


def _mean(x: torch.Tensor, dims: list[int], keep: bool) -> torch.Tensor:
    return torch.mean(x, dim=dims, keepdim=keep)


def _prod(x: torch.Tensor, dims: list[int], keep: bool) -> torch.Tensor:
    # torch.prod reduces one axis at a time; the last axis goes first so the others keep their index.
    for dim in sorted((d % x.ndim for d in dims), reverse=True):
        x = torch.prod(x, dim=dim, keepdim=keep)
    return x


def _max(x: torch.Tensor, dims: list[int], keep: bool) -> torch.Tensor:
    return torch.amax(x, dim=dims, keepdim=keep)


def _min(x: torch.Tensor, dims: list[int], keep: bool) -> torch.Tensor:
    return torch.amin(x, dim=dims, keepdim=keep)


def _l1_norm(x: torch.Tensor, dims: list[int], keep: bool) -> torch.Tensor:
    return _sum(torch.abs(x), dims, keep)


def _l2_norm(x: torch.Tensor, dims: list[int], keep: bool) -> torch.Tensor:
    return torch.sqrt(_sum(x * x, dims, keep))


def _sum_square(x: torch.Tensor, dims: list[int], keep: bool) -> torch.Tensor:
    return _sum(x * x, dims, keep)


def _log_sum(x: torch.Tensor, dims: list[int], keep: bool) -> torch.Tensor:
    return torch.log(_sum(x, dims, keep))


def _log_sum_exp(x: torch.Tensor, dims: list[int], keep: bool) -> torch.Tensor:
    return torch.logsumexp(x, dim=dims, keepdim=keep)


REDUCTIONS = {
    "reduce_sum": _sum,
    "reduce_mean": _mean,
    "reduce_prod": _prod,
    "reduce_max": _max,
    "reduce_min": _min,
    "reduce_l1_norm": _l1_norm,
    "reduce_l2_norm": _l2_norm,
    "reduce_sum_square": _sum_square,
    "reduce_log_sum": _log_sum,
    "reduce_log_sum_exp": _log_sum_exp,
}


def reduction_kernel(function):
    def kernel(args: OpArguments) -> torch.Tensor:
        x = args.tensor("x")
        axes = args.int_list("axes", None)
        dims = list(range(x.ndim)) if axes is None else axes
        return function(x, dims, args.bool_value("keep_dims", False))

    return kernel


def arg_reduction_kernel(function):
    def kernel(args: OpArguments) -> torch.Tensor:
        x = args.tensor("x")
        return function(x, dim=args.int_value("axis", -1), keepdim=args.bool_value("keep_dims", False))

    return kernel


KERNELS = {
    **{name: reduction_kernel(function) for name, function in REDUCTIONS.items()},
    "reduce_argmax": arg_reduction_kernel(torch.argmax),
    "reduce_argmin": arg_reduction_kernel(torch.argmin),
}
