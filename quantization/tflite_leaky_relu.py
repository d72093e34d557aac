"""Run leaky ReLU in int8: fold the DEQUANTIZE -> LEAKY_RELU (float) -> QUANTIZE pattern into one int8 op.

ai-edge-quantizer 0.10 has no int8 rule for LEAKY_RELU, so a statically quantized model keeps every
leaky ReLU in float between a DEQUANTIZE and a QUANTIZE: three passes over each activation map
where one int8 pass would do. TFLite's LEAKY_RELU kernel (op version 2) and XNNPACK both take int8
input and output with their own scales, so the rewrite feeds the int8 tensor before the DEQUANTIZE
straight into LEAKY_RELU and writes the int8 tensor after the QUANTIZE. The result differs from the
float path only by integer rounding inside the kernel.
"""

from __future__ import annotations

import dataclasses
import logging

logger = logging.getLogger(__name__)

INT8_LEAKY_RELU_VERSION = 2  # TFLite op version of LEAKY_RELU with int8 tensors


@dataclasses.dataclass(frozen=True)
class FoldResult:
    content: bytes
    folded: int  # leaky ReLUs now computed in int8
    left_float: int  # leaky ReLUs left in float (not between a DEQUANTIZE and a QUANTIZE)


def consumers_of(subgraph) -> dict[int, list[int]]:
    """Tensor index -> indices of the operators that read it."""
    consumers: dict[int, list[int]] = {}
    for index, operator in enumerate(subgraph.operators):
        for tensor in operator.inputs:
            if tensor >= 0:
                consumers.setdefault(tensor, []).append(index)
    return consumers


def builtin_code(model, operator) -> int:
    from ai_edge_litert.tools import flatbuffer_utils

    return flatbuffer_utils.get_builtin_code_from_operator_code(model.operatorCodes[operator.opcodeIndex])


def fold_subgraph(model, subgraph, codes) -> tuple[int, int, set[int]]:
    """Rewrite one subgraph in place; return (folded, left in float, indices of operators to delete)."""
    producers = {tensor: index for index, operator in enumerate(subgraph.operators) for tensor in operator.outputs}
    consumers = consumers_of(subgraph)
    graph_outputs = set(subgraph.outputs)
    folded, left_float, removed = 0, 0, set()
    for index, operator in enumerate(subgraph.operators):
        if builtin_code(model, operator) != codes.LEAKY_RELU:
            continue
        source, result = operator.inputs[0], operator.outputs[0]
        dequantize = producers.get(source)
        readers = consumers.get(result, [])
        foldable = (
            dequantize is not None
            and builtin_code(model, subgraph.operators[dequantize]) == codes.DEQUANTIZE
            and len(readers) == 1
            and builtin_code(model, subgraph.operators[readers[0]]) == codes.QUANTIZE
            and result not in graph_outputs
        )
        if not foldable:
            left_float += 1
            continue
        quantize = readers[0]
        operator.inputs = [subgraph.operators[dequantize].inputs[0]]
        operator.outputs = [subgraph.operators[quantize].outputs[0]]
        removed.add(quantize)
        if consumers.get(source) == [index]:
            removed.add(dequantize)
        folded += 1
    return folded, left_float, removed


def fold_leaky_relu(content: bytes) -> FoldResult:
    """Return the model with every foldable float leaky ReLU computed in int8."""
    from ai_edge_litert import schema_py_generated as schema
    from ai_edge_litert.tools import flatbuffer_utils

    model = flatbuffer_utils.read_model_from_bytearray(bytearray(content))
    codes = schema.BuiltinOperator
    folded_total, float_total = 0, 0
    for subgraph in model.subgraphs:
        folded, left_float, removed = fold_subgraph(model, subgraph, codes)
        subgraph.operators = [op for index, op in enumerate(subgraph.operators) if index not in removed]
        folded_total += folded
        float_total += left_float
    if folded_total:
        for code in model.operatorCodes:
            if flatbuffer_utils.get_builtin_code_from_operator_code(code) == codes.LEAKY_RELU:
                code.version = max(code.version, INT8_LEAKY_RELU_VERSION)
    logger.debug("leaky ReLU: %d folded into int8, %d left in float", folded_total, float_total)
    return FoldResult(bytes(flatbuffer_utils.convert_object_to_bytearray(model)), folded_total, float_total)
