"""Typed access to the inputs of one operation while the program runs."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import torch

from converters.coreml_runner.constants import Constant
from converters.coreml_runner.errors import UnsupportedOperationError, unsupported_operation
from converters.coreml_runner.program import Operation, ValueInfo

_MISSING = object()


class OpArguments:
    """The inputs of `operation`: runtime values are torch tensors, parameters come out as Python values.

    Floating tensors are float32 (float16 values included), integer tensors int64. A parameter
    read with `int_value`, `int_list` and so on may be a constant or a value computed at run time.
    """

    def __init__(self, operation: Operation, values: Mapping[str, object], constants: Mapping[str, Constant]):
        self.operation = operation
        self._values = values
        self._constants = constants

    def has(self, name: str) -> bool:
        return name in self.operation.inputs

    def output(self, index: int = 0) -> ValueInfo:
        return self.operation.outputs[index]

    def unsupported(self, detail: str) -> UnsupportedOperationError:
        """Build the one-line error for a parameter value that the runner does not implement (the caller raises it)."""
        return unsupported_operation(self.operation, detail)

    def input_storage_pointers(self) -> set[int]:
        """Storage addresses of every tensor input, to tell a fresh result from a view of an input."""
        pointers = set()
        for names in self.operation.inputs.values():
            for value_name in names:
                value = self._values.get(value_name)
                if isinstance(value, torch.Tensor):
                    pointers.add(value.untyped_storage().data_ptr())
        return pointers

    def tensor(self, name: str) -> torch.Tensor:
        names = self._names(name)
        if len(names) != 1:
            raise ValueError(f"input {name!r} of {self._where()} has {len(names)} values, expected 1")
        return self._values[names[0]]

    def optional_tensor(self, name: str) -> torch.Tensor | None:
        return self.tensor(name) if self.has(name) else None

    def tensors(self, name: str) -> list[torch.Tensor]:
        return [self._values[value_name] for value_name in self._names(name)]

    def array(self, name: str, default=_MISSING) -> np.ndarray:
        """Return the input as a numpy array; constants keep their declared dtype."""
        if not self.has(name):
            if default is _MISSING:
                raise ValueError(f"required input {name!r} of {self._where()} is missing")
            return default
        value_name = self._names(name)[0]
        if value_name in self._constants:
            return np.asarray(self._constants[value_name])
        return self._values[value_name].cpu().numpy()

    def int_value(self, name: str, default=_MISSING) -> int:
        return self._scalar(name, default, int)

    def float_value(self, name: str, default=_MISSING) -> float:
        return self._scalar(name, default, float)

    def bool_value(self, name: str, default=_MISSING) -> bool:
        return self._scalar(name, default, bool)

    def int_list(self, name: str, default=_MISSING) -> list[int]:
        value = self.array(name, None)
        if value is None:
            return self._default(name, default)
        return [int(item) for item in value.reshape(-1)]

    def bool_list(self, name: str, default=_MISSING) -> list[bool]:
        value = self.array(name, None)
        if value is None:
            return self._default(name, default)
        return [bool(item) for item in value.reshape(-1)]

    def string(self, name: str, default=_MISSING) -> str:
        if not self.has(name):
            return self._default(name, default)
        value = self._constants.get(self._names(name)[0])
        if not isinstance(value, str):
            raise ValueError(f"input {name!r} of {self._where()} must be a constant string")
        return value

    def _scalar(self, name: str, default, convert):
        value = self.array(name, None)
        if value is None:
            return self._default(name, default)
        if value.size != 1:
            raise ValueError(f"input {name!r} of {self._where()} must be a scalar, got shape {value.shape}")
        return convert(value.reshape(-1)[0])

    def _default(self, name: str, default):
        if default is _MISSING:
            raise ValueError(f"required input {name!r} of {self._where()} is missing")
        return default

    def _names(self, name: str) -> tuple[str, ...]:
        if name not in self.operation.inputs:
            raise ValueError(f"required input {name!r} of {self._where()} is missing")
        return self.operation.inputs[name]

    def _where(self) -> str:
        return f"op '{self.operation.type}' ({self.operation.location})"
