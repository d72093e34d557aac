"""Compression audit of an .mlpackage, read from its ML program spec (no CoreML runtime needed).

Each weight of a conv or linear op is either a plain `const` (float16, not compressed) or the output
of a `constexpr_*` op that decompresses it when the model loads. Those ops are affine dequantize
(int8), LUT to dense (palettes), sparse to dense (pruned zeros), or their iOS18 forms. The stored bytes are those
of the constexpr op's tensors (quantized data, scales, palettes, indices, masks), counted at their
declared bit width. For W8A8 the audit also counts the activation quantize/dequantize ops.
"""

from __future__ import annotations

from pathlib import Path

from coremltools.proto import MIL_pb2

from converters.coreml_runner.mil_types import mil_type
from quantization.audit import CompressionAudit, LayerAudit
from quantization.coreml_compress import MIN_STORED_SPARSITY

WEIGHTED_OPS = ("conv", "linear", "conv_transpose")
FLOAT16_BYTES = 2
SCHEME_OPS = {
    "int8w": ("constexpr_affine_dequantize", "constexpr_blockwise_shift_scale"),
    "w8a8": ("constexpr_affine_dequantize", "constexpr_blockwise_shift_scale"),
    "pal6": ("constexpr_lut_to_dense",),
    "pal4": ("constexpr_lut_to_dense",),
    "sparse": ("constexpr_sparse_to_dense",),
}


def value_bytes(value: MIL_pb2.Value) -> int:
    """Stored size of a tensor value at its declared width (sub-byte types packed)."""
    tensor_type = value.type.tensorType
    count = 1
    for dimension in tensor_type.dimensions:
        count *= dimension.constant.size
    kind = mil_type(tensor_type.dataType)
    bits = kind.bits or (kind.numpy_dtype.itemsize * 8 if kind.numpy_dtype is not None else 8)
    return (count * bits + 7) // 8


def value_count(value: MIL_pb2.Value) -> int:
    count = 1
    for dimension in value.type.tensorType.dimensions:
        count *= dimension.constant.size
    return count


def type_name(value: MIL_pb2.Value) -> str:
    return mil_type(value.type.tensorType.dataType).name


class ProgramView:
    """The main function's ops, the op producing each value, and each value's declared type."""

    def __init__(self, spec, model_dir: Path | None = None):
        from converters.coreml_runner.constants import BlobFiles

        function = spec.mlProgram.functions[spec.description.defaultFunctionName or "main"]
        self.ops = list(function.block_specializations[function.opset].operations)
        self.producer = {output.name: op for op in self.ops for output in op.outputs}
        self.blob_files = BlobFiles(model_dir)

    def zero_fraction(self, value: MIL_pb2.Value) -> float:
        from converters.coreml_runner.constants import decode_value

        return float((decode_value(value, self.blob_files) == 0).mean())

    def stored_tensors(self, op) -> list[MIL_pb2.Value]:
        """Return the tensors a constexpr op stores: its attributes (iOS16 style) and its inputs (iOS18 style)."""
        values = [value for name, value in op.attributes.items() if name != "name" and value.type.WhichOneof("type") == "tensorType"]
        for argument in op.inputs.values():
            for binding in argument.arguments:
                if binding.WhichOneof("binding") == "value":
                    values.append(binding.value)
                elif binding.name in self.producer and self.producer[binding.name].type == "const":
                    values.append(self.producer[binding.name].attributes["val"])
        return values


def storage_label(op, view: ProgramView) -> str:
    tensors = {name: value for name, value in op.attributes.items() if name != "name"}
    if op.type == "constexpr_lut_to_dense" and "lut" in tensors:
        entries = value_count(tensors["lut"])
        bits = max(1, (entries - 1).bit_length())
        return f"uint{bits} palette ({entries} entries)"
    if op.type == "constexpr_affine_dequantize" and "quantized_data" in tensors:
        return f"{type_name(tensors['quantized_data'])}, scale per {'channel' if value_count(tensors['scale']) > 1 else 'tensor'}"
    if op.type == "constexpr_sparse_to_dense" and "nonzero_data" in tensors:
        return f"sparse {type_name(tensors['nonzero_data'])} (bit mask + non-zero values)"
    return op.type


def weight_row(weight_name: str, consumer: str, view: ProgramView, scheme: str, weight_threshold: int) -> tuple[LayerAudit, str | None]:
    op = view.producer.get(weight_name)
    if op is None:
        return LayerAudit(weight_name, consumer, "computed", 0, 0, False, "not a constant"), None
    output_type = op.outputs[0].type.tensorType
    count = 1
    for dimension in output_type.dimensions:
        count *= dimension.constant.size
    before = count * FLOAT16_BYTES
    if op.type == "const":
        value = op.attributes["val"]
        storage = type_name(value)
        if scheme == "float":
            return LayerAudit(weight_name, consumer, storage, before, value_bytes(value), False, "float model: no weight compression requested"), None
        if count <= weight_threshold:  # coremltools compresses only tensors larger than the threshold
            return LayerAudit(weight_name, consumer, storage, before, value_bytes(value), False, f"at most weight_threshold ({count} <= {weight_threshold} elements)"), None
        if scheme == "sparse":
            zeros = view.zero_fraction(value)
            if zeros < MIN_STORED_SPARSITY:
                return LayerAudit(weight_name, consumer, storage, before, value_bytes(value), False, f"not pruned ({zeros:.0%} zeros)"), None
        failure = f"{weight_name} ({consumer}, {count} elements) is stored as plain {storage}, expected {' or '.join(SCHEME_OPS[scheme])}"
        return LayerAudit(weight_name, consumer, storage, before, value_bytes(value), False, "unexpected: compression skipped"), failure
    stored = sum(value_bytes(value) for value in view.stored_tensors(op))
    expected = SCHEME_OPS.get(scheme, ())
    if scheme in ("pal6", "pal4") and consumer == "linear":
        expected = SCHEME_OPS["int8w"]  # the style matrix is int8 per channel in palettized variants
    failure = None if op.type in expected or scheme == "float" else f"{weight_name} is decompressed by {op.type}, expected {' or '.join(expected)}"
    return LayerAudit(weight_name, consumer, storage_label(op, view), before, stored, True), failure


def audit_coreml(path: Path, kind: str, scheme: str, weight_threshold: int, pruned: bool = False) -> CompressionAudit:
    """Audit an .mlpackage for `scheme` (int8w, pal6, pal4, w8a8, sparse, or float)."""
    from coremltools.models.utils import load_spec

    from converters.coreml_runner.model_files import root_model_path

    model_file = root_model_path(Path(path))
    view = ProgramView(load_spec(str(model_file)), model_file.parent)
    layers, failures = [], []
    for op in view.ops:
        if op.type not in WEIGHTED_OPS or "weight" not in op.inputs:
            continue
        weight_name = op.inputs["weight"].arguments[0].name
        row, failure = weight_row(weight_name, op.type, view, scheme, weight_threshold)
        layers.append(row)
        if failure:
            failures.append(failure)
    activations = {}
    if scheme == "w8a8":
        activations = {op_type: sum(op.type == op_type for op in view.ops) for op_type in ("quantize", "dequantize")}
        if activations["quantize"] == 0:
            failures.append("no activation quantize ops: activations were not quantized")
    if not any(layer.compressed for layer in layers) and scheme != "float":
        failures.append("no weight tensor is compressed")
    notes = ("zeroed weights of the pruned model are stored sparse (bit mask + non-zero values)",) if pruned and scheme == "sparse" else ()
    return CompressionAudit(Path(path).name, kind, scheme, tuple(layers), activations, notes, tuple(failures))
