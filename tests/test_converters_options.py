"""Conversion options: defaults, kinds, names, and one-line errors for invalid combinations."""

import pytest
from typer.testing import CliRunner

from converters.options import ConvertOptions
from msg_cli.main import app
from msg_model.errors import InvalidInputError


@pytest.mark.parametrize(
    ("fields", "kind", "name"),
    [
        ({"target": "tflite"}, "tflite-fp32", "synthesis-tflite-fp32"),
        ({"target": "tflite", "precision": "fp16"}, "tflite-fp16w", "synthesis-tflite-fp16w"),
        ({"target": "coreml"}, "coreml-fp16", "synthesis-coreml-fp16"),
        ({"target": "coreml", "precision": "fp32", "input_kind": "w_plus"}, "coreml-fp32", "synthesis-wplus-coreml-fp32"),
        ({"target": "coreml", "input_kind": "z", "image_output": "image"}, "generator-coreml-fp16", "generator-coreml-fp16-image"),
        ({"target": "tflite", "image_output": "uint8"}, "tflite-fp32", "synthesis-tflite-fp32-uint8"),
        ({"target": "tflite", "mapping": True}, "mapping-tflite-fp32", "mapping-tflite-fp32"),
        ({"target": "coreml", "mapping": True}, "mapping-coreml-fp16", "mapping-coreml-fp16"),
    ],
)
def test_options_kind_and_name(fields, kind, name):
    options = ConvertOptions(**fields)
    assert options.kind == kind
    assert options.default_name() == name


def test_options_coreml_defaults():
    options = ConvertOptions(target="coreml")
    assert options.precision == "fp16"
    assert options.deployment_target == "iOS16"
    assert options.role == "synthesis"


def test_options_roles_and_sidecar_input():
    assert ConvertOptions(target="tflite", input_kind="z").role == "generator"
    assert ConvertOptions(target="tflite", input_kind="z").sidecar_input == "z"
    assert ConvertOptions(target="tflite", mapping=True).sidecar_input == "z"
    assert ConvertOptions(target="tflite", input_kind="w_plus").sidecar_input == "w_plus"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"target": "onnx"}, r"invalid target 'onnx'; expected one of coreml, tflite"),
        ({"target": "tflite", "precision": "int8"}, r"invalid precision 'int8'; expected one of fp32, fp16"),
        ({"target": "tflite", "input_kind": "s"}, r"invalid input 's'; expected one of w, w_plus, z"),
        ({"target": "tflite", "image_output": "image"}, r"image output 'image' .* not available for target 'tflite'; expected one of float, uint8"),
        ({"target": "tflite", "deployment_target": "iOS17"}, r"deployment target 'iOS17' applies only to target 'coreml'"),
        ({"target": "coreml", "deployment_target": "iOS15"}, r"invalid deployment target 'iOS15'; expected one of iOS16, iOS17, iOS18"),
        ({"target": "coreml", "mapping": True, "input_kind": "z"}, r"input 'z' does not apply to the mapping network"),
        ({"target": "coreml", "mapping": True, "image_output": "uint8"}, r"image output 'uint8' does not apply to the mapping network"),
        ({"target": "coreml", "truncation_psi": float("nan")}, r"invalid --truncation nan"),
    ],
)
def test_options_reject_invalid(fields, message):
    with pytest.raises(InvalidInputError, match=message):
        ConvertOptions(**fields)


def test_cli_convert_rejects_image_output_for_tflite(tmp_path):
    result = CliRunner().invoke(app, ["convert", "random:small", "--target", "tflite", "--image-output", "image", "--out", str(tmp_path)])
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1
    assert "image output 'image'" in lines[0]
    assert "expected one of float, uint8" in lines[0]
    assert list(tmp_path.iterdir()) == []


def test_cli_convert_rejects_truncation_without_z(tmp_path):
    result = CliRunner().invoke(app, ["convert", "random:small", "--target", "coreml", "--truncation", "0.7", "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert "--truncation 0.7 applies only to --input z" in result.output
