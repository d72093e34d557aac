"""Compression audit of a quantized .tflite, read with ai_edge_litert.tools.flatbuffer_utils.

Weights: for each CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED, the stored weight tensor (behind a
DEQUANTIZE op for weight-only storage), its type and its bytes. Activations (int8-full): which ops
compute in int8 and which in float, each float op with its reason, and how many XNNPACK partitions
LiteRT makes of the artifact and of its float model (more partitions mean int8 ops LiteRT runs
outside the delegate, with slower kernels).
"""

from __future__ import annotations

import collections
from pathlib import Path

import numpy as np

from quantization.audit import CompressionAudit, LayerAudit
from quantization.tflite_groups import read_ops, graph_input_names, group_ops
from quantization.tflite_xnnpack import xnnpack_partitions

WEIGHTED_OPS = ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED")
EDGE_OPS = ("QUANTIZE", "DEQUANTIZE")
FLOAT32_BYTES = 4


class TFLiteGraph:
    """The first subgraph of a .tflite: ops with names, tensor types and constant buffer sizes."""

    def __init__(self, path: Path):
        from ai_edge_litert import schema_py_generated as schema
        from ai_edge_litert.tools import flatbuffer_utils

        self.model = flatbuffer_utils.read_model(str(path))
        self.subgraph = self.model.subgraphs[0]
        self.type_names = {value: name for name, value in vars(schema.TensorType).items() if not name.startswith("_")}
        self.op_names = [flatbuffer_utils.opcode_to_name(self.model, op.opcodeIndex) for op in self.subgraph.operators]
        self.producer = {t: i for i, op in enumerate(self.subgraph.operators) for t in op.outputs}

    def tensor(self, index: int):
        return self.subgraph.tensors[index]

    def name(self, index: int) -> str:
        return self.tensor(index).name.decode()

    def type_name(self, index: int) -> str:
        return self.type_names[self.tensor(index).type].lower()

    def stored_bytes(self, index: int) -> int:
        data = self.model.buffers[self.tensor(index).buffer].data
        return 0 if data is None else len(data)

    def numel(self, index: int) -> int:
        shape = self.tensor(index).shape
        return int(np.prod(shape)) if shape is not None else 0

    def stored_weight(self, index: int) -> tuple[int, str]:
        """Return the constant tensor behind a weight input (through a DEQUANTIZE) and how it is stored."""
        producer = self.producer.get(index)
        if producer is not None and self.op_names[producer] == "DEQUANTIZE":
            source = self.subgraph.operators[producer].inputs[0]
            return source, f"{self.type_name(source)} (dequantized to float at load)"
        return index, self.type_name(index)


def float_group_of(float_path: Path) -> dict[str, str]:
    """Output tensor name -> op group, from the float model the artifact was quantized from."""
    ops = read_ops(float_path)
    groups = group_ops(ops, graph_input_names(float_path))
    return {name: group for group, members in groups.items() for op in members for name in op.outputs}


def weight_rows(graph: TFLiteGraph, group_of: dict[str, str], scheme: str, float_groups: tuple[str, ...]) -> tuple[list[LayerAudit], list[str]]:
    layers, failures = [], []
    for op, op_name in zip(graph.subgraph.operators, graph.op_names):
        if op_name not in WEIGHTED_OPS:
            continue
        weight, storage = graph.stored_weight(op.inputs[1])
        compressed = graph.type_name(weight) in ("int8", "int4")
        group = group_of.get(graph.name(op.outputs[0]), "")
        reason = ""
        if not compressed:
            if group == "noise":
                reason = "baked noise map's identity convolution (a single weight)"
            else:
                reason = f"unexpected: {op_name} weight stored as {storage}"
                failures.append(f"{graph.name(weight)} ({op_name}, group {group or 'unknown'}) is stored as {storage}, expected int8")
        layers.append(LayerAudit(graph.name(weight), op_name, storage, graph.numel(weight) * FLOAT32_BYTES, graph.stored_bytes(weight), compressed, reason))
    return layers, failures


def activation_summary(graph: TFLiteGraph, group_of: dict[str, str], float_groups: tuple[str, ...]) -> tuple[dict, list[str]]:
    """int8-full: op counts by compute type, and every float op outside the recipe's float groups."""
    counts: collections.Counter[str] = collections.Counter()
    float_reasons: collections.Counter[str] = collections.Counter()
    failures = []
    for op, op_name in zip(graph.subgraph.operators, graph.op_names):
        if op_name in EDGE_OPS:
            counts[op_name] += 1
            continue
        output_type = graph.type_name(op.outputs[0])
        counts[f"{output_type} ops"] += 1
        if output_type != "float32":
            continue
        group = group_of.get(graph.name(op.outputs[0]), "")
        if group in float_groups:
            float_reasons[f"group {group} kept float by the recipe"] += 1
        elif op_name == "LEAKY_RELU":
            float_reasons["LEAKY_RELU without a DEQUANTIZE/QUANTIZE pair to fold"] += 1
        else:
            float_reasons[f"{op_name} in group {group or 'unknown'} not quantized"] += 1
            failures.append(f"{op_name} {graph.name(op.outputs[0])} (group {group or 'unknown'}) computes in float but the recipe quantizes its group")
    if counts["int8 ops"] == 0:
        failures.append("no op computes in int8")
    return {"op_counts": dict(counts), "float_ops": dict(float_reasons)}, failures


def audit_tflite(path: Path, float_path: Path, kind: str, scheme: str, float_groups: tuple[str, ...] = (), pruned: bool = False) -> CompressionAudit:
    """Audit `path`, quantized from `float_path`, for `scheme` ("int8w", "int8-full" or "float" for pruned float models)."""
    graph = TFLiteGraph(path)
    group_of = float_group_of(float_path)
    layers, failures = weight_rows(graph, group_of, scheme, float_groups)
    activations, notes = {}, []
    if scheme == "float":
        layers = [LayerAudit(l.name, l.op, l.storage, l.bytes_before, l.bytes_after, False, "float model: no weight quantization requested") for l in layers]
        failures = []
    if scheme == "int8-full":
        activations, activation_failures = activation_summary(graph, group_of, float_groups)
        failures += activation_failures
        partitions = {"artifact": xnnpack_partitions(path), "float model": xnnpack_partitions(float_path)}
        activations["xnnpack_partitions"] = partitions
        if partitions["artifact"] > partitions["float model"]:
            notes.append(
                f"{partitions['artifact']} XNNPACK partitions against {partitions['float model']} for the float model: "
                "some int8 ops run outside XNNPACK, which slows the model"
            )
    if pruned:
        notes.append("zeroed weights are stored dense: a TFLite file does not shrink with unstructured pruning")
    if not layers:
        failures.append("no weight tensors found")
    return CompressionAudit(Path(path).name, kind, scheme, tuple(layers), activations, tuple(notes), tuple(failures))
