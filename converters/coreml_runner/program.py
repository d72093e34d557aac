"""The ML program of a Core ML model, read from its spec: functions, operations, values and constants.

Every operation input becomes a list of value names. An input bound inline (a `value` binding)
and an attribute other than `name` (iOS16-style constexpr ops keep their tensors there) become
constants with generated names, so the interpreter and the kernels see one kind of argument.
"""

from __future__ import annotations

import dataclasses

from coremltools.proto import MIL_pb2

from converters.coreml_runner.constants import BlobFiles, Constant, decode_value, tensor_shape
from converters.coreml_runner.mil_types import mil_type
from msg_model.errors import InvalidInputError


@dataclasses.dataclass(frozen=True)
class OpLocation:
    """Position of an operation in the program: function, block (named by its opset) and index in the block."""

    function: str
    block: str
    index: int

    def __str__(self) -> str:
        return f"function '{self.function}', block '{self.block}', op {self.index}"


@dataclasses.dataclass(frozen=True)
class ValueInfo:
    """A named value with its declared MIL type name (`fp16`, `int32`, ...) and shape (None: dynamic)."""

    name: str
    type_name: str
    shape: tuple[int | None, ...] | None


@dataclasses.dataclass(frozen=True)
class Operation:
    """One MIL operation. `inputs` maps each parameter to the names of the values bound to it."""

    type: str
    name: str
    inputs: dict[str, tuple[str, ...]]
    outputs: tuple[ValueInfo, ...]
    location: OpLocation
    has_nested_blocks: bool = False


@dataclasses.dataclass(frozen=True)
class Function:
    """A function of the program, its operations in order and every constant they use."""

    name: str
    opset: str
    inputs: tuple[ValueInfo, ...]
    outputs: tuple[str, ...]
    operations: tuple[Operation, ...]
    constants: dict[str, Constant]
    values: dict[str, ValueInfo]


def value_info(named: MIL_pb2.NamedValueType) -> ValueInfo:
    kind = named.type.WhichOneof("type")
    if kind != "tensorType":
        return ValueInfo(named.name, kind or "unknown", None)
    tensor_type = named.type.tensorType
    return ValueInfo(named.name, mil_type(tensor_type.dataType).name, tensor_shape(tensor_type))


def default_function_name(spec) -> str:
    return spec.description.defaultFunctionName or "main"


def load_function(spec, blob_files: BlobFiles, function_name: str | None = None) -> Function:
    """Read one function of an ML program spec, decoding every constant it uses."""
    if spec.WhichOneof("Type") != "mlProgram":
        raise InvalidInputError(
            f"the model is a Core ML {spec.WhichOneof('Type')}, not an ML program; "
            "convert it with convert_to='mlprogram' to run it in the reference runner"
        )
    function_name = function_name or default_function_name(spec)
    functions = spec.mlProgram.functions
    if function_name not in functions:
        raise InvalidInputError(f"function {function_name!r} not found in the program; it has {', '.join(functions)}")
    function_spec = functions[function_name]
    block = function_spec.block_specializations[function_spec.opset]

    constants: dict[str, Constant] = {}
    values = {info.name: info for info in map(value_info, function_spec.inputs)}
    operations = []
    for index, op_spec in enumerate(block.operations):
        location = OpLocation(function_name, function_spec.opset, index)
        operation = _load_operation(op_spec, location, constants, blob_files)
        operations.append(operation)
        values.update((output.name, output) for output in operation.outputs)

    return Function(
        name=function_name,
        opset=function_spec.opset,
        inputs=tuple(value_info(named) for named in function_spec.inputs),
        outputs=tuple(block.outputs),
        operations=tuple(operations),
        constants=constants,
        values=values,
    )


def _load_operation(op_spec, location: OpLocation, constants: dict[str, Constant], blob_files: BlobFiles) -> Operation:
    outputs = tuple(value_info(output) for output in op_spec.outputs)
    label = outputs[0].name if outputs else f"op{location.index}"
    inputs: dict[str, tuple[str, ...]] = {}

    if op_spec.type == "const":
        constants[label] = decode_value(op_spec.attributes["val"], blob_files)
    for parameter, argument in op_spec.inputs.items():
        names = []
        for position, binding in enumerate(argument.arguments):
            if binding.WhichOneof("binding") == "name":
                names.append(binding.name)
                continue
            generated = f"{label}::{parameter}[{position}]"
            constants[generated] = decode_value(binding.value, blob_files)
            names.append(generated)
        inputs[parameter] = tuple(names)
    for parameter, value in op_spec.attributes.items():
        if parameter in ("name", "val") or parameter in inputs:
            continue
        generated = f"{label}::{parameter}"
        constants[generated] = decode_value(value, blob_files)
        inputs[parameter] = (generated,)

    name = label
    if "name" in op_spec.attributes:
        name = op_spec.attributes["name"].immediateValue.tensor.strings.values[0]
    return Operation(
        type=op_spec.type,
        name=name,
        inputs=inputs,
        outputs=outputs,
        location=location,
        has_nested_blocks=len(op_spec.blocks) > 0,
    )
