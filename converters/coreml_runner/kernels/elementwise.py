"""Elementwise MIL ops: unary math, binary arithmetic and comparison, clip, threshold and cast.

Semantics follow the op definitions in coremltools 9.0 (`mil/ops/defs/iOS15/elementwise_unary.py`,
`elementwise_binary.py` and their iOS17 versions). Binary ops broadcast like numpy.
"""

from __future__ import annotations

import torch

from converters.coreml_runner.kernels.arguments import OpArguments

# Default epsilons of the ops that add one before the function (iOS15 definitions).
RSQRT_EPSILON = 1e-12
INVERSE_EPSILON = 1e-4
LOG_EPSILON = 1e-45

UNARY_FUNCTIONS = {
    "abs": torch.abs,
    "acos": torch.acos,
    "asin": torch.asin,
    "atan": torch.atan,
    "atanh": torch.atanh,
    "ceil": torch.ceil,
    "cos": torch.cos,
    "cosh": torch.cosh,
    "erf": torch.erf,
    "exp": torch.exp,
    "exp2": torch.exp2,
    "floor": torch.floor,
    "logical_not": torch.logical_not,
    "round": torch.round,
    "sign": torch.sign,
    "sin": torch.sin,
    "sinh": torch.sinh,
    "sqrt": torch.sqrt,
    "square": torch.square,
    "tan": torch.tan,
    "tanh": torch.tanh,
}

BINARY_FUNCTIONS = {
    "add": torch.add,
    "sub": torch.sub,
    "mul": torch.mul,
    "real_div": torch.true_divide,
    "floor_div": torch.floor_divide,
    "mod": torch.remainder,  # Python's `%`: the result has the sign of y
    "pow": torch.pow,
    "maximum": torch.maximum,
    "minimum": torch.minimum,
    "equal": torch.eq,
    "not_equal": torch.ne,
    "greater": torch.gt,
    "greater_equal": torch.ge,
    "less": torch.lt,
    "less_equal": torch.le,
    "logical_and": torch.logical_and,
    "logical_or": torch.logical_or,
    "logical_xor": torch.logical_xor,
}


def _epsilon(args: OpArguments, default: float) -> float:
    """Return the op's epsilon, or else the default rounded to the output type (1e-12 becomes 0 in float16).

    coremltools writes the epsilon into the programs it converts, so the default applies only to
    programs from other producers.
    """
    if args.has("epsilon"):
        return args.float_value("epsilon")
    if args.output().type_name == "fp16":
        return float(torch.tensor(default, dtype=torch.float16))
    return default


def unary_kernel(function):
    def kernel(args: OpArguments) -> torch.Tensor:
        return function(args.tensor("x"))

    return kernel


def binary_kernel(function):
    def kernel(args: OpArguments) -> torch.Tensor:
        return function(args.tensor("x"), args.tensor("y"))

    return kernel


def rsqrt(args: OpArguments) -> torch.Tensor:
    return torch.rsqrt(args.tensor("x") + _epsilon(args, RSQRT_EPSILON))


def inverse(args: OpArguments) -> torch.Tensor:
    return torch.reciprocal(args.tensor("x") + _epsilon(args, INVERSE_EPSILON))


def log(args: OpArguments) -> torch.Tensor:
    return torch.log(args.tensor("x") + _epsilon(args, LOG_EPSILON))


def clip(args: OpArguments) -> torch.Tensor:
    """min(max(x, alpha), beta), in that order, as the op definition computes it."""
    x = args.tensor("x")
    return torch.clamp(torch.clamp(x, min=args.float_value("alpha")), max=args.float_value("beta"))


def threshold(args: OpArguments) -> torch.Tensor:
    return torch.clamp(args.tensor("x"), min=args.float_value("alpha"))


def real_div(args: OpArguments) -> torch.Tensor:
    x, y = args.tensor("x"), args.tensor("y")
    if not x.is_floating_point() and not y.is_floating_point():
        # NOTE: integer real_div is truncated toward zero here, like a C cast; the op
        # definition does not say how Core ML rounds it.
        return torch.div(x, y, rounding_mode="trunc")
    return torch.true_divide(x, y)


def cast(args: OpArguments) -> torch.Tensor:
    """Convert to the `dtype` parameter; float to integer truncates toward zero (numpy `astype`)."""
    x = args.tensor("x")
    dtype = args.string("dtype")
    if dtype in ("fp16", "fp32", "fp64", "bf16"):
        return x.to(torch.float32)
    if dtype == "bool":
        return x != 0
    if dtype in ("int8", "uint8", "int16", "uint16", "int32", "int64"):
        return x.to(torch.int64) if not x.is_floating_point() else torch.trunc(x).to(torch.int64)
    raise args.unsupported(f"dtype={dtype!r}")


KERNELS = {
    **{name: unary_kernel(function) for name, function in UNARY_FUNCTIONS.items()},
    **{name: binary_kernel(function) for name, function in BINARY_FUNCTIONS.items()},
    "real_div": real_div,
    "rsqrt": rsqrt,
    "inverse": inverse,
    "log": log,
    "clip": clip,
    "threshold": threshold,
    "cast": cast,
}
