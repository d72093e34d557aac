"""How the reference runner emulates the precision of an ML program.

Every op computes in float32 from its inputs, and its result is rounded once to the declared
type of the op's output. A float16 constant or input is an exact float32 number, so a float16
program computes with the same float16 weights as a device. Rounding to float16 is IEEE round
to nearest even. Results of magnitude 65520 or more become +-inf (the largest float16 is 65504),
and an inf turns into NaN where it later meets 0 or another inf. Results of magnitude 2**-25 or
less (half the smallest subnormal, 2**-24 or about 6e-8) become 0. Subnormal results are kept.
Float16 overflow in a converted model therefore shows up here as it does on a device.

NOTE: this is an emulation, not Apple's runtime, and results can differ from a device:
- inside one op, Core ML may accumulate in float16 (on the GPU or the Neural Engine) or in
  another order. Long sums (conv, linear, matmul, reductions) can then differ by more than one
  float16 rounding of the output, and a partial sum can overflow on a device while the float32
  sum here does not;
- the Neural Engine and the GPU may flush float16 subnormals to zero and use their own
  approximations of exp, tanh, sigmoid, rsqrt and other transcendental functions;
- Core ML may fuse ops (for example conv + bias + activation) and round only the fused result,
  or run some float16 ops in float32 on the CPU;
- integer overflow and out-of-range casts are not emulated.
The expected agreement with a device is about one float16 rounding per op, not bit for bit. That
is an estimate: the runner has not been compared with Core ML on Apple hardware.
"""

from __future__ import annotations

import numpy as np
import torch

from converters.coreml_runner.mil_types import MIL_TYPES_BY_NAME, torch_storage_dtype


class Float16Rounding:
    """Rounds float32 tensors to float16 values in place, through one reused float16 buffer.

    Allocating two fresh full-size tensors per op (`x.to(float16).to(float32)`) costs about
    twice as long as the rounding itself on large activations.
    """

    def __init__(self):
        self._buffer = torch.empty(0, dtype=torch.float16)

    def round_in_place(self, value: torch.Tensor) -> torch.Tensor:
        if not value.is_contiguous() or value.dtype != torch.float32:
            return value.to(torch.float16).to(torch.float32)
        if self._buffer.numel() < value.numel():
            self._buffer = torch.empty(value.numel(), dtype=torch.float16)
        scratch = self._buffer[: value.numel()].view(value.shape)
        scratch.copy_(value)
        return value.copy_(scratch)


def round_to_type(value: torch.Tensor, type_name: str, rounding: Float16Rounding | None = None) -> torch.Tensor:
    """Round a kernel result to the declared MIL type and return it in its torch storage dtype.

    With `rounding`, a float16 result is rounded in place: pass it only for a tensor that no
    other value shares.
    """
    if type_name == "fp16":
        if rounding is not None:
            return rounding.round_in_place(value)
        return value.to(torch.float16).to(torch.float32)
    if type_name == "bf16":
        return value.to(torch.bfloat16).to(torch.float32)
    storage = torch_storage_dtype(type_name)
    if storage == torch.int64 and value.is_floating_point():
        value = torch.trunc(value)
    return value.to(storage)


def to_numpy(value: torch.Tensor, type_name: str) -> np.ndarray:
    """Return a runtime value as a numpy array of its declared type (float16 stays float16)."""
    mil_type = MIL_TYPES_BY_NAME.get(type_name)
    array = value.detach().cpu().numpy()
    if mil_type is None or mil_type.numpy_dtype is None:
        return array
    return array.astype(mil_type.numpy_dtype, copy=False)


def constant_to_torch(constant: np.ndarray) -> torch.Tensor:
    """Hold a decoded constant in its torch storage dtype (float32, int64 or bool)."""
    array = np.asarray(constant)
    if array.dtype.kind == "f":
        return torch.from_numpy(array.astype(np.float32))
    if array.dtype.kind == "b":
        return torch.from_numpy(array.copy())
    if array.dtype.kind in "iu":
        return torch.from_numpy(array.astype(np.int64))
    raise TypeError(f"a constant of numpy dtype {array.dtype} cannot be held as a tensor")
