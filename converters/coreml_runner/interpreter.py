"""The reference runner: executes one function of an ML program op by op with PyTorch CPU kernels.

When the model loads, constants are decoded and every `constexpr_*` op (compressed weights) is
decompressed once. `predict` then runs the remaining ops in program order, rounds each result to
its declared type (see `precision` for the float16 emulation and where it differs from a device)
and frees each value after its last use. Any value can be requested by name, and `trace`
yields every op result in order, for finding the first op where two runs diverge.
"""

from __future__ import annotations

import dataclasses
import logging
from collections import ChainMap
from collections.abc import Iterator, Mapping

import numpy as np
import torch

from converters.coreml_runner.constants import BlobFiles, Constant
from converters.coreml_runner.errors import unsupported_operation
from converters.coreml_runner.images import image_features, image_to_program, program_to_image
from converters.coreml_runner.kernels import VALUE_PRESERVING_OPS, constexpr_kernels, runtime_kernels
from converters.coreml_runner.kernels.arguments import OpArguments
from converters.coreml_runner.mil_types import MIL_TYPES_BY_NAME, torch_storage_dtype
from converters.coreml_runner.model_files import ModelFiles
from converters.coreml_runner.precision import Float16Rounding, constant_to_torch, round_to_type, to_numpy
from converters.coreml_runner.program import Function, Operation, OpLocation, ValueInfo, load_function
from msg_model.errors import InvalidInputError

logger = logging.getLogger(__name__)

REFERENCE_LABEL = "reference runner (Linux)"


@dataclasses.dataclass(frozen=True)
class TraceRecord:
    """One op result from `ReferenceRunner.trace`, as a numpy array of its declared type."""

    location: OpLocation
    op_type: str
    name: str
    value: np.ndarray


class ReferenceRunner:
    """Runs an ML program on Linux; `predict` takes and returns numpy arrays by feature name.

    `compute_units` is recorded but changes nothing: the reference runner always computes the
    same way. Image outputs come back as float32 (1, 3, H, W) RGB arrays in 0..255.
    """

    label = REFERENCE_LABEL

    def __init__(self, function: Function, description=None, compute_units: str = "cpu_only"):
        self.function = function
        self.compute_units = compute_units
        self._image_inputs = image_features(description.input) if description is not None else {}
        self._image_outputs = image_features(description.output) if description is not None else {}
        self._kernels = runtime_kernels()
        self._rounding = Float16Rounding()
        self._check_supported()

        self._constants: dict[str, Constant] = dict(function.constants)
        self._decompress_weights()
        self._runtime_ops = tuple(op for op in function.operations if op.type in self._kernels)
        self._tensors = self._constant_tensors()
        self._free_after = self._last_uses()
        logger.info("reference runner: %d ops to run, %d constants", len(self._runtime_ops), len(self._constants))

    @classmethod
    def from_files(cls, files: ModelFiles, compute_units: str = "cpu_only", function_name: str | None = None):
        function = load_function(files.spec, BlobFiles(files.model_dir), function_name)
        return cls(function, files.spec.description, compute_units)

    @property
    def input_names(self) -> list[str]:
        return [info.name for info in self.function.inputs]

    @property
    def output_names(self) -> list[str]:
        return list(self.function.outputs)

    @property
    def intermediate_names(self) -> list[str]:
        """Names of every op output that `predict(..., outputs=[...])` can return, in program order."""
        return [info.name for op in self._runtime_ops for info in op.outputs]

    def predict(self, inputs: Mapping[str, object], outputs: list[str] | None = None) -> dict[str, np.ndarray]:
        """Run the program; return the model outputs, or the values named in `outputs`."""
        names = list(outputs) if outputs is not None else self.output_names
        self._check_names(names)
        values = self._prepare_inputs(inputs)
        for _ in self._execute(values, keep=set(names)):
            pass
        return {name: self._result(name, values) for name in names}

    def trace(self, inputs: Mapping[str, object]) -> Iterator[TraceRecord]:
        """Run the program and yield each op result in order (memory is freed as the run goes on)."""
        values = self._prepare_inputs(inputs)
        for op, info, tensor in self._execute(values, keep=set(self.output_names)):
            yield TraceRecord(op.location, op.type, info.name, to_numpy(tensor, info.type_name))

    def _execute(self, values: dict[str, torch.Tensor], keep: set[str]):
        environment = ChainMap(values, self._tensors)
        with torch.inference_mode():
            for position, op in enumerate(self._runtime_ops):
                arguments = OpArguments(op, environment, self._constants)
                results = self._kernels[op.type](arguments)
                results = results if isinstance(results, tuple) else (results,)
                if len(results) != len(op.outputs):
                    raise RuntimeError(
                        f"op '{op.type}' ({op.location}) returned {len(results)} values, "
                        f"the program declares {len(op.outputs)}"
                    )
                for info, result in zip(op.outputs, results):
                    values[info.name] = _checked(self._round(op, info, result, arguments), op, info)
                    yield op, info, values[info.name]
                for name in self._free_after[position]:
                    if name not in keep:
                        values.pop(name, None)

    def _round(self, op: Operation, info: ValueInfo, result: torch.Tensor, arguments: OpArguments) -> torch.Tensor:
        """Round a result to its declared type, in place unless it shares memory with an input."""
        if op.type in VALUE_PRESERVING_OPS and result.dtype == torch_storage_dtype(info.type_name):
            return result
        shared = result.untyped_storage().data_ptr() in arguments.input_storage_pointers()
        return round_to_type(result, info.type_name, None if shared else self._rounding)

    def _check_supported(self) -> None:
        known = {"const", *constexpr_kernels(), *self._kernels}
        for op in self.function.operations:
            if op.has_nested_blocks or op.type not in known:
                raise unsupported_operation(op)

    def _decompress_weights(self) -> None:
        kernels = constexpr_kernels()
        for op in self.function.operations:
            if op.type not in kernels:
                continue
            results = kernels[op.type](self._constant_getter(op))
            results = results if isinstance(results, tuple) else (results,)
            for info, result in zip(op.outputs, results):
                self._constants[info.name] = _round_constant(result, info)

    def _constant_getter(self, op: Operation):
        def get(name: str, *default):
            if name not in op.inputs:
                if default:
                    return default[0]
                raise ValueError(f"required input {name!r} of op '{op.type}' ({op.location}) is missing")
            value_name = op.inputs[name][0]
            if value_name not in self._constants:
                raise ValueError(f"input {name!r} of op '{op.type}' ({op.location}) is not a constant")
            return np.asarray(self._constants[value_name])

        return get

    def _constant_tensors(self) -> dict[str, torch.Tensor]:
        """Torch copies of the constants that runtime ops read as tensors or that are outputs."""
        used = {name for op in self._runtime_ops for names in op.inputs.values() for name in names}
        used.update(self.function.outputs)
        tensors = {}
        for name in used:
            constant = self._constants.get(name)
            if isinstance(constant, np.ndarray) and constant.dtype != object:
                tensors[name] = constant_to_torch(constant)
        return tensors

    def _last_uses(self) -> list[list[str]]:
        """For each runtime op, the values no later op reads (they can be freed after it)."""
        last_use: dict[str, int] = {}
        for position, op in enumerate(self._runtime_ops):
            for info in op.outputs:
                last_use[info.name] = position
        for position, op in enumerate(self._runtime_ops):
            for names in op.inputs.values():
                for name in names:
                    if name in last_use:
                        last_use[name] = max(last_use[name], position)
        free_after: list[list[str]] = [[] for _ in self._runtime_ops]
        for name, position in last_use.items():
            if name not in self.function.outputs:
                free_after[position].append(name)
        return free_after

    def _check_names(self, names: list[str]) -> None:
        for name in names:
            if name not in self.function.values and name not in self._constants:
                raise InvalidInputError(
                    f"{name!r} is not a value of the program; use one of the output names {self.output_names} "
                    "or a name from intermediate_names"
                )

    def _prepare_inputs(self, inputs: Mapping[str, object]) -> dict[str, torch.Tensor]:
        unknown = sorted(set(inputs) - set(self.input_names))
        missing = [name for name in self.input_names if name not in inputs]
        if unknown or missing:
            raise InvalidInputError(
                f"inputs {sorted(inputs)} do not match the model inputs {self.input_names} "
                f"(missing {missing}, unknown {unknown})"
            )
        values = {}
        for info in self.function.inputs:
            value = inputs[info.name]
            if info.name in self._image_inputs:
                value = image_to_program(value, self._image_inputs[info.name])
            array = np.asarray(value)
            _check_input_shape(info, array.shape)
            if array.dtype.kind == "f":
                array = array.astype(np.float32)
            # A copy, so that no run can write into the caller's array.
            values[info.name] = round_to_type(torch.tensor(array), info.type_name)
        return values

    def _result(self, name: str, values: dict[str, torch.Tensor]) -> np.ndarray:
        info = self.function.values.get(name)
        if name in values:
            array = to_numpy(values[name], info.type_name)
        else:
            array = np.asarray(self._constants[name])
        if name in self._image_outputs and name in self.function.outputs:
            return program_to_image(array, self._image_outputs[name])
        return array


def _checked(tensor: torch.Tensor, op: Operation, info: ValueInfo) -> torch.Tensor:
    """Raise if a kernel result disagrees with the shape the program declares (a runner bug)."""
    if info.shape is not None and None not in info.shape and tuple(tensor.shape) != info.shape:
        raise RuntimeError(
            f"op '{op.type}' ({op.location}) produced shape {tuple(tensor.shape)} for '{info.name}', "
            f"the program declares {info.shape}"
        )
    return tensor


def _round_constant(value: np.ndarray, info: ValueInfo) -> np.ndarray:
    numpy_dtype = MIL_TYPES_BY_NAME[info.type_name].numpy_dtype
    return np.asarray(value).astype(numpy_dtype)


def _check_input_shape(info: ValueInfo, shape: tuple[int, ...]) -> None:
    if info.shape is None:
        return
    matches = len(shape) == len(info.shape) and all(e is None or e == f for e, f in zip(info.shape, shape))
    if not matches:
        expected = tuple("?" if size is None else size for size in info.shape)
        raise InvalidInputError(f"input {info.name!r} has shape {shape}; the model expects {expected}")
