"""Import the mapping network of a MobileStyleGAN OpenVINO IR into `FusedMapping`.

Expected graph, from the output back: per layer Multiply by sqrt(2) <- PReLU(0.2) <- Add(bias) <-
MatMul(weight), repeated, and at the start the pixel norm `z * f(z)` with `f` built from
ReduceMean(z ** 2).
"""

from __future__ import annotations

import math

import numpy as np
import torch

from msg_model.config import GeneratorConfig
from msg_model.ir_patterns import (
    IRStructureError,
    check_leaky_relu,
    expect_constant,
    fail,
    input_of,
    load_checked_state,
    single_input_and_output,
    split_constant_input,
)
from msg_model.mapping_fused import FusedMapping
from msg_model.openvino_ir import IRGraph, Layer

MAX_MAPPING_LAYERS = 64
ACTIVATION_GAIN = math.sqrt(2.0)


def is_pixel_norm(graph: IRGraph, layer: Layer, z: Layer) -> bool:
    return layer.type == "Multiply" and any(connection.layer is z for connection in graph.inputs(layer))


def check_pixel_norm(graph: IRGraph, layer: Layer, z: Layer) -> None:
    """Check that the factor multiplying `z` is computed from ReduceMean(Power(z, 2))."""
    factor = next(connection.layer for connection in graph.inputs(layer) if connection.layer is not z)
    pending, seen = [factor], set()
    while pending:
        current = pending.pop()
        if current.id in seen:
            continue
        seen.add(current.id)
        if current.type == "ReduceMean":
            power = graph.source(current, 0).layer
            if power.type == "Power" and graph.source(power, 0).layer is z and np.allclose(expect_constant(graph, power, 1, "pixel norm exponent"), 2.0):
                return
        pending.extend(connection.layer for connection in graph.inputs(current))
    raise IRStructureError(f"{graph.name}: expected {factor.describe()} to compute the pixel norm from ReduceMean({z.name} ** 2)")


def match_linear(graph: IRGraph, layer: Layer, role: str) -> tuple[np.ndarray, np.ndarray, Layer]:
    """Match Multiply(sqrt 2) <- PReLU <- Add(bias) <- MatMul, and return (weight (out, in), bias, the MatMul input)."""
    if layer.type != "Multiply":
        raise fail(graph, f"Multiply by sqrt(2) ({role})", layer)
    activation, gain = split_constant_input(graph, layer, f"gain of {role}")
    if gain.size != 1 or not np.isclose(float(gain.reshape(-1)[0]), ACTIVATION_GAIN, rtol=0, atol=1e-6):
        raise IRStructureError(f"{graph.name}: {layer.describe()} in {role} multiplies by {gain.ravel()[:4]}, expected sqrt(2)")
    check_leaky_relu(graph, activation.layer, role)

    add = input_of(graph, activation.layer, 0, ("Add",), f"bias of {role}").layer
    matmul, bias = split_constant_input(graph, add, f"bias of {role}")
    if matmul.layer.type != "MatMul":
        raise fail(graph, f"MatMul ({role})", matmul.layer, f"at an input of {add.describe()}")
    if matmul.layer.attributes.get("transpose_a", "false") != "false":
        raise IRStructureError(f"{graph.name}: expected transpose_a=false on {matmul.layer.describe()} in {role}")
    weight = expect_constant(graph, matmul.layer, 1, f"weight of {role}")
    if matmul.layer.attributes.get("transpose_b", "false") != "true":
        weight = weight.T
    return weight, bias.reshape(-1), graph.source(matmul.layer, 0).layer


def match_mapping(graph: IRGraph) -> list[tuple[np.ndarray, np.ndarray]]:
    """Return the (weight, bias) of each linear layer in forward order, found by walking back from the output."""
    z, result = single_input_and_output(graph)
    layer = graph.source(result, 0).layer
    linears: list[tuple[np.ndarray, np.ndarray]] = []
    while not is_pixel_norm(graph, layer, z):
        if len(linears) == MAX_MAPPING_LAYERS:
            raise IRStructureError(f"{graph.name}: found more than {MAX_MAPPING_LAYERS} linear layers without reaching the pixel norm of {z.name!r}")
        weight, bias, layer = match_linear(graph, layer, f"linears[-{len(linears) + 1}]")
        linears.append((weight, bias))
    check_pixel_norm(graph, layer, z)
    if not linears:
        raise IRStructureError(f"{graph.name}: expected at least one linear layer after the pixel norm")
    return linears[::-1]


def import_mapping(graph: IRGraph, config: GeneratorConfig, linears: list[tuple[np.ndarray, np.ndarray]]) -> FusedMapping:
    """Build a `FusedMapping` with `w_avg` left at zero (the IR does not store it)."""
    fused = FusedMapping(config)
    state = {"w_avg": torch.zeros(1, config.style_dim)}
    for i, (weight, bias) in enumerate(linears):
        state[f"linears.{i}.weight"] = torch.from_numpy(weight)
        state[f"linears.{i}.bias"] = torch.from_numpy(bias)
    load_checked_state(fused, state, graph.name)
    return fused.eval()
