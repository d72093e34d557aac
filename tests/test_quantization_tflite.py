"""int8 TFLite variants of random:small: groups, recipes, quantization, leaky ReLU folding, audit and search."""

import dataclasses
import json

import numpy as np
import pytest
import torch

from converters import convert
from converters.tflite_runner import open_tflite
from msg_model.errors import InvalidInputError
from msg_model.spec import load_model
from quantization.audit import CompressionNotApplied
from quantization.calibration import calibration_ws
from quantization.sensitivity import RecipeEvaluator, estimated_float_count, search_recipe, sensitivity_ws
from quantization.tflite_audit import audit_tflite
from quantization.tflite_leaky_relu import fold_leaky_relu
from quantization.tflite_quantize import calibrate, quantize_content, quantize_tflite, read_float_model
from quantization.tflite_recipe import ALWAYS_FLOAT, TFLiteRecipe, default_dynamic_groups, load_recipe, save_recipe
from validation.images import float_to_uint8
from validation.latents import make_latents
from validation.metrics import psnr_db

SEEDS = range(4)


@pytest.fixture(scope="module")
def small():
    return load_model("random:small")


@pytest.fixture(scope="module")
def float_tflite(small, tmp_path_factory):
    return convert(small, target="tflite", precision="fp32", out_dir=tmp_path_factory.mktemp("fp32"), name="small-fp32").path


@pytest.fixture(scope="module")
def float_model(float_tflite):
    return read_float_model(float_tflite)


@pytest.fixture(scope="module")
def calibration(small, float_model):
    return calibrate(float_model, calibration_ws(small, 8, 0.5))


@pytest.fixture(scope="module")
def references(small):
    latents = make_latents(small, SEEDS, 0.5)
    with torch.no_grad():
        return latents.w, small.synthesis(torch.from_numpy(latents.w)).numpy()


def psnr_values(path, references):
    ws, images = references
    runner = open_tflite(path)
    return [psnr_db(float_to_uint8(images[i]), float_to_uint8(runner.predict({"w": ws[i : i + 1]})["image"][0])) for i in range(len(ws))]


def test_groups_follow_module_names(float_model):
    expected = ["styles", "noise", "conv1"] + [f"blocks.{i}.{part}" for i in range(3) for part in ("up", "conv1", "conv2")] + ["head", "output"]

    assert list(float_model.groups) == expected
    assert {op.op_name for op in float_model.groups["styles"]} >= {"FULLY_CONNECTED", "SLICE"}
    assert [op.op_name for op in float_model.groups["head"]] == ["MUL", "CONV_2D"]
    assert sum(len(ops) for ops in float_model.groups.values()) == len(float_model.ops)


def test_int8w_keeps_float_io_and_quality(float_tflite, float_model, calibration, references, tmp_path):
    recipe = TFLiteRecipe("int8w", dynamic_groups=default_dynamic_groups(float_model.groups, 64))
    quantized = quantize_tflite(float_tflite, recipe, tmp_path / "w.tflite", calibration=calibration)
    runner = open_tflite(quantized.path)

    assert runner.input_details["w"]["dtype"] == np.float32
    assert runner.output_details["image"]["dtype"] == np.float32
    assert min(psnr_values(quantized.path, references)) > 40.0
    assert quantized.path.stat().st_size < 0.5 * float_tflite.stat().st_size  # graph and biases weigh more in a small model
    audit = audit_tflite(quantized.path, float_tflite, "tflite-int8w", "int8w")
    assert audit.failures == ()
    assert all(layer.compressed for layer in audit.layers)


def test_default_dynamic_groups_are_the_large_ones(float_model):
    assert default_dynamic_groups(float_model.groups, 64) == ("blocks.1.conv1", "blocks.1.conv2", "blocks.2.conv1", "blocks.2.conv2", "head")


def test_int8_full_keeps_float_io_and_quality(float_model, calibration, references, tmp_path):
    path = tmp_path / "full.tflite"
    quantized = quantize_content(float_model, TFLiteRecipe("int8-full"), calibration)
    path.write_bytes(quantized.content)
    runner = open_tflite(path)

    assert runner.input_details["w"]["dtype"] == np.float32
    assert runner.output_details["image"]["dtype"] == np.float32
    assert quantized.folded_leaky_relu == 7  # one leaky ReLU per conv: the first conv and two per block
    assert quantized.raised_scales == ()  # random:small's noise is strong enough for XNNPACK's ADD limits
    assert np.mean(psnr_values(path, references)) > 28.0


def test_recipe_always_keeps_styles_float():
    recipe = TFLiteRecipe("int8-full", float_groups=("blocks.1.up",))

    assert recipe.float_groups == ALWAYS_FLOAT + ("blocks.1.up",)


def test_recipe_json_round_trip_reapplies_identically(float_model, calibration, tmp_path):
    recipe = TFLiteRecipe("int8-full", float_groups=("blocks.2.up",), sensitivity={"blocks.2.up": 31.5}, measured={"psnr_db": 33.0})
    path = save_recipe(recipe, tmp_path / "r.recipe.json")
    loaded = load_recipe(path)

    assert loaded == recipe
    assert quantize_content(float_model, loaded, calibration) == quantize_content(float_model, recipe, calibration)


def test_recipe_rejects_unknown_group_and_format(float_model, calibration, tmp_path):
    with pytest.raises(InvalidInputError, match="no such groups"):
        quantize_content(float_model, TFLiteRecipe("int8-full", float_groups=("blocks.9.up",)), calibration)
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"format": "something-else", "scheme": "int8-full"}))
    with pytest.raises(InvalidInputError, match="format"):
        load_recipe(bad)


def test_float_groups_compute_in_float(float_model, calibration, tmp_path):
    path = tmp_path / "mixed.tflite"
    recipe = TFLiteRecipe("int8-full", float_groups=("blocks.2.up", "blocks.2.conv1"))
    path.write_bytes(quantize_content(float_model, recipe, calibration).content)

    audit = audit_tflite(path, float_model.path, "tflite-int8-full", "int8-full", recipe.float_groups)

    assert audit.failures == ()
    assert audit.activations["float_ops"]["group blocks.2.conv1 kept float by the recipe"] == len(float_model.groups["blocks.2.conv1"])
    assert all(layer.compressed for layer in audit.layers)  # float groups still store int8 weights


def test_leaky_relu_fold_keeps_quality(float_model, calibration, references):
    from ai_edge_quantizer import quantizer

    from quantization.sensitivity import run_tflite
    from quantization.tflite_recipe import to_aeq_recipe

    engine = quantizer.Quantizer(str(float_model.path), to_aeq_recipe(TFLiteRecipe("int8-full"), float_model.groups))
    unfolded = bytes(engine.quantize(calibration, enable_progress_report=False).quantized_model)
    folded = fold_leaky_relu(unfolded)
    ws, images = references
    inputs = [ws[i : i + 1] for i in range(len(ws))]

    def mean_psnr(content):
        outputs = run_tflite(content, "w", inputs)
        return np.mean([psnr_db(float_to_uint8(images[i]), float_to_uint8(outputs[i][0])) for i in range(len(ws))])

    assert folded.folded == 7
    assert folded.left_float == 0
    # int8 rounding inside the kernel differs from float-then-requantize by at most one step per value
    assert mean_psnr(folded.content) > mean_psnr(unfolded) - 1.0


def test_leaky_relu_fold_ignores_dynamic_range_models(float_model, calibration):
    content = quantize_content(float_model, TFLiteRecipe("int8w", dynamic_groups=("head",)), calibration).content

    assert fold_leaky_relu(content).folded == 0


def test_audit_fails_float_model_labelled_int8(float_tflite):
    audit = audit_tflite(float_tflite, float_tflite, "tflite-int8w", "int8w")

    assert audit.failures
    assert not any(layer.compressed for layer in audit.layers)
    with pytest.raises(CompressionNotApplied, match="expected int8"):
        audit.check()


def test_estimated_float_count():
    sensitivity = {"a": 30.0, "b": 40.0, "c": 50.0}

    assert estimated_float_count(["a", "b", "c"], sensitivity, 25.0) == 0
    assert estimated_float_count(["a", "b", "c"], sensitivity, 35.0) == 1
    assert estimated_float_count(["a", "b", "c"], sensitivity, 60.0) == 3


def test_search_reaches_target_with_fewest_groups(small, float_model, calibration):
    inputs = [row[None] for row in sensitivity_ws(small, 2, 0.5).numpy()]
    evaluator = RecipeEvaluator(float_model, calibration, inputs)
    base = TFLiteRecipe("int8-full")
    all_int8 = evaluator.psnr(base)

    recipe = search_recipe(evaluator, base, target_psnr_db=all_int8 + 3.0)

    assert recipe.measured["psnr_db"] >= all_int8 + 3.0
    kept = [group for group in recipe.float_groups if group not in ALWAYS_FLOAT]
    assert kept
    assert set(recipe.sensitivity) == set(float_model.groups) - set(ALWAYS_FLOAT)
    for group in kept:
        fewer = dataclasses.replace(recipe, float_groups=tuple(name for name in recipe.float_groups if name != group))
        assert evaluator.psnr(fewer) < all_int8 + 3.0, f"{group} could go back to int8"
