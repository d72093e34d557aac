"""torch.export of the wrapped fused student: op list, determinism and the graph pass for LiteRT."""

import logging

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from converters.export import ExportCheckError, check_graph, export_program, verify_program
from converters.exportable import ExportableModel, build_exportable
from converters.options import ConvertOptions
from converters.tflite_passes import added_spatial_maps, prepare_for_litert
from msg_model.contract import TensorSpec
from msg_model.spec import load_model

RANDOM_OPS = ("randn", "rand", "normal", "bernoulli", "uniform", "dropout", "native_dropout", "randint")


@pytest.fixture(scope="module")
def small_model():
    return load_model("random:small")


def toy_exportable(module: nn.Module, x: torch.Tensor) -> ExportableModel:
    spec = TensorSpec("x", tuple(x.shape), "float32", "toy input")
    return ExportableModel(module.eval(), {"x": x}, (spec,), (TensorSpec("y", (), "float32", "toy output"),))


class NoisyToy(nn.Module):
    def forward(self, x):
        return {"y": x + torch.randn_like(x)}


class InputWeightToy(nn.Module):
    def forward(self, x):
        weight = x.mean(dim=(0, 2, 3)).reshape(1, -1, 1, 1)
        return {"y": F.conv2d(x, weight)}


@pytest.mark.parametrize(
    "fields",
    [
        {"target": "tflite"},
        {"target": "tflite", "input_kind": "w_plus"},
        {"target": "coreml", "input_kind": "z", "image_output": "uint8"},
        {"target": "coreml", "mapping": True},
    ],
    ids=["w", "w_plus", "z-uint8", "mapping"],
)
def test_export_graph_is_deterministic(small_model, fields):
    program = export_program(build_exportable(small_model, ConvertOptions(**fields)))
    check = verify_program(program)
    assert check.ok
    assert not [name for name in check.op_counts if name.startswith(RANDOM_OPS)]
    assert check.input_dependent_weights == ()
    weighted = "linear" if fields.get("mapping") else "conv2d"
    assert check.op_counts.get(weighted, 0) > 0


def test_export_conv_weights_are_parameters(small_model):
    program = export_program(build_exportable(small_model, ConvertOptions(target="tflite")))
    parameters = set(program.graph_signature.inputs_to_parameters)
    convs = [node for node in program.graph.nodes if node.op == "call_function" and "conv2d" in str(node.target)]
    assert len(convs) >= 2 * small_model.config.num_blocks + 2
    for node in convs:
        assert node.args[1].name in parameters, f"{node.name} weight {node.args[1].name} is not a parameter"


def test_check_graph_finds_random_op():
    program = export_program(toy_exportable(NoisyToy(), torch.zeros(1, 2, 4, 4)))
    check = check_graph(program)
    assert len(check.random_ops) == 1
    with pytest.raises(ExportCheckError, match="random ops"):
        verify_program(program)


def test_check_graph_finds_input_weight():
    program = export_program(toy_exportable(InputWeightToy(), torch.ones(1, 2, 4, 4)))
    check = check_graph(program)
    assert len(check.input_dependent_weights) == 1
    with pytest.raises(ExportCheckError, match="computes weights from its inputs"):
        verify_program(program)


def test_export_switches_training_model_to_eval(caplog):
    model = load_model("random:small")
    model.synthesis.train()
    with caplog.at_level(logging.WARNING, logger="converters.exportable"):
        exportable = build_exportable(model, ConvertOptions(target="tflite"))
    assert "training mode" in caplog.text
    assert not model.synthesis.training
    assert not any(module.training for module in exportable.module.modules())


def test_litert_pass_routes_every_noise_map(small_model):
    program = export_program(build_exportable(small_model, ConvertOptions(target="tflite")))
    before = added_spatial_maps(program.module())
    assert len(before) == 1 + 2 * small_model.config.num_blocks

    module = prepare_for_litert(program)
    assert added_spatial_maps(module) == []
    w = torch.randn(1, small_model.config.style_dim)
    with torch.no_grad():
        expected = small_model.synthesis(w)
        routed = module(w=w)["image"]
    assert torch.equal(routed, expected)
