"""Keep a statically quantized .tflite inside LiteRT's XNNPACK delegate.

XNNPACK (the CPU delegate LiteRT applies by default, on phones too) accepts an int8 ADD or SUB only
when each input's scale divided by the output's scale lies in [1/1024, 256) (`VisitAddNode` and
`VisitSubNode` in tensorflow/lite/delegates/xnnpack/xnnpack_delegate.cc). A baked noise map whose
strength is tiny gets a calibrated scale thousands of times below the activation it is added to,
so XNNPACK rejects that ADD. LiteRT then runs it with its own kernel, on a full-size activation map
broadcast over channels, and splits the graph into extra delegate partitions. On the released
FFHQ model that made full int8 slower than float32.

An input that small changes the int8 output by less than a quarter of a step. Raising its scale to
the limit therefore costs no visible quality. The op that produces the input still computes it in
int8 and only requantizes it more coarsely.
"""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path

import numpy as np

logger = logging.getLogger(__name__)

MIN_ADD_SCALE_RATIO = 1.0 / 1024.0  # XNNPACK's lower bound on input scale / output scale for ADD and SUB
RATIO_MARGIN = 1.01  # stays clear of the bound after float32 rounding of the ratio

# Ops that requantize their output to the output tensor's own scale, so that scale may change.
# Ops that pass int8 bytes through (RESHAPE, SLICE, CONCATENATION, TRANSPOSE) need equal scales.
REQUANTIZING_OPS = ("ADD", "SUB", "MUL", "CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED", "QUANTIZE", "LEAKY_RELU")
ELEMENTWISE_OPS = ("ADD", "SUB", "MUL")  # ops that read each input with its own scale


@dataclasses.dataclass(frozen=True)
class ScaleFit:
    content: bytes
    raised: tuple[str, ...]  # tensors whose scale was raised to XNNPACK's limit
    left: tuple[str, ...]  # ADD and SUB outputs still outside the limit, with the reason


def op_name(model, operator) -> str:
    from ai_edge_litert.tools import flatbuffer_utils

    return flatbuffer_utils.opcode_to_name(model, operator.opcodeIndex)


def first_scale(tensor) -> float | None:
    quantization = tensor.quantization
    if quantization is None or quantization.scale is None or len(quantization.scale) != 1:
        return None
    return float(quantization.scale[0])


def tensor_name(tensor) -> str:
    return tensor.name.decode() if isinstance(tensor.name, bytes) else str(tensor.name)


def fit_subgraph(model, subgraph) -> tuple[list[str], list[str]]:
    """Raise the scales of too-small ADD and SUB inputs in place and return (raised, left)."""
    from ai_edge_litert import schema_py_generated as schema

    names = [op_name(model, operator) for operator in subgraph.operators]
    producers = {tensor: index for index, operator in enumerate(subgraph.operators) for tensor in operator.outputs}
    readers: dict[int, list[int]] = {}
    for index, operator in enumerate(subgraph.operators):
        for tensor in operator.inputs:
            readers.setdefault(tensor, []).append(index)

    raised, left = [], []
    for index, operator in enumerate(subgraph.operators):
        output = subgraph.tensors[operator.outputs[0]]
        if names[index] not in ("ADD", "SUB") or output.type != schema.TensorType.INT8:
            continue
        output_scale = first_scale(output)
        for source in operator.inputs:
            tensor = subgraph.tensors[source]
            scale = first_scale(tensor)
            if output_scale is None or scale is None or scale / output_scale >= MIN_ADD_SCALE_RATIO:
                continue
            producer = producers.get(source)
            movable = (
                producer is not None
                and names[producer] in REQUANTIZING_OPS
                and source not in subgraph.outputs
                and all(names[reader] in ELEMENTWISE_OPS for reader in readers[source])
            )
            if not movable:
                left.append(f"{tensor_name(output)}: input {tensor_name(tensor)} is not requantized by its producer")
                continue
            tensor.quantization.scale = np.array([output_scale * MIN_ADD_SCALE_RATIO * RATIO_MARGIN], dtype=np.float32)
            raised.append(tensor_name(tensor))
    return raised, left


def fit_add_scales(content: bytes) -> ScaleFit:
    """Return the model with every too-small ADD and SUB input scale raised to XNNPACK's limit.

    The zero points stay: the range of a raised tensor only grows, so its values still fit in int8.
    """
    from ai_edge_litert.tools import flatbuffer_utils

    model = flatbuffer_utils.read_model_from_bytearray(bytearray(content))
    raised, left = [], []
    for subgraph in model.subgraphs:
        subgraph_raised, subgraph_left = fit_subgraph(model, subgraph)
        raised += subgraph_raised
        left += subgraph_left
    if not raised:
        return ScaleFit(content, (), tuple(left))
    logger.debug("XNNPACK scale limits: %d input scales raised, %d ADD or SUB ops left outside", len(raised), len(left))
    return ScaleFit(bytes(flatbuffer_utils.convert_object_to_bytearray(model)), tuple(raised), tuple(left))


def xnnpack_partitions(path: Path) -> int:
    """Count the XNNPACK partitions LiteRT makes of `path`: 1 when every op runs in the delegate.

    Each op XNNPACK rejects runs in LiteRT's own kernels and may split the graph into more
    partitions. The interpreter lists one DELEGATE node per partition.
    """
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_path=str(path), num_threads=1)
    interpreter.allocate_tensors()
    # NOTE: ai-edge-litert 2.3.0 lists nodes only through the private `_get_ops_details`.
    return sum(1 for op in interpreter._get_ops_details() if op["op_name"] == "DELEGATE")
