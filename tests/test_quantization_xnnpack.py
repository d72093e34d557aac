"""Full int8 TFLite stays inside XNNPACK when a baked noise map is too faint for its ADD scale limits."""

import copy

import numpy as np
import pytest
import torch

from converters import convert
from msg_model.spec import load_model
from quantization.calibration import calibration_ws
from quantization.tflite_audit import audit_tflite
from quantization.tflite_leaky_relu import fold_leaky_relu
from quantization.tflite_quantize import calibrate, quantize_content, quiet_quantizer, read_float_model
from quantization.tflite_recipe import TFLiteRecipe, to_aeq_recipe
from quantization.tflite_xnnpack import MIN_ADD_SCALE_RATIO, fit_add_scales, xnnpack_partitions
from validation.images import float_to_uint8
from validation.latents import make_latents
from validation.metrics import psnr_db

FAINT_NOISE = 1e-5  # scales every baked noise map far below one int8 step of the activations


@pytest.fixture(scope="module")
def faint():
    """random:small with its baked noise maps scaled down, as in a trained model with weak noise."""
    model = copy.deepcopy(load_model("random:small"))
    with torch.no_grad():
        for name, buffer in model.synthesis.named_buffers():
            if name.endswith("noise"):
                buffer.mul_(FAINT_NOISE)
    return model


@pytest.fixture(scope="module")
def faint_float(faint, tmp_path_factory):
    path = convert(faint, target="tflite", precision="fp32", out_dir=tmp_path_factory.mktemp("faint"), name="faint-fp32").path
    model = read_float_model(path)
    return model, calibrate(model, calibration_ws(faint, 8, 0.5))


@pytest.fixture(scope="module")
def unfitted(faint_float):
    """int8-full as ai-edge-quantizer writes it, with the leaky ReLU fold but without the scale fit."""
    from ai_edge_quantizer import quantizer

    model, calibration = faint_float
    engine = quantizer.Quantizer(str(model.path), to_aeq_recipe(TFLiteRecipe("int8-full"), model.groups))
    with quiet_quantizer("ai-edge-quantizer"):
        content = bytes(engine.quantize(calibration, enable_progress_report=False).quantized_model)
    return fold_leaky_relu(content).content


def add_input_ratios(path):
    """input scale / output scale of every int8 ADD input, as XNNPACK checks them."""
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_path=str(path))
    tensors = {detail["index"]: detail for detail in interpreter.get_tensor_details()}
    ratios = []
    for op in interpreter._get_ops_details():
        output = tensors[op["outputs"][0]]
        if op["op_name"] != "ADD" or output["dtype"] != np.int8:
            continue
        ratios += [tensors[source]["quantization"][0] / output["quantization"][0] for source in op["inputs"]]
    return ratios


def mean_psnr(path, model):
    from converters.tflite_runner import open_tflite

    latents = make_latents(model, range(4), 0.5)
    with torch.no_grad():
        images = model.synthesis(torch.from_numpy(latents.w)).numpy()
    runner = open_tflite(path)
    outputs = [runner.predict({"w": latents.w[i : i + 1]})["image"][0] for i in range(len(images))]
    return float(np.mean([psnr_db(float_to_uint8(images[i]), float_to_uint8(outputs[i])) for i in range(len(images))]))


def test_faint_noise_breaks_xnnpack_partitioning(faint_float, unfitted, tmp_path):
    model, _ = faint_float
    path = tmp_path / "unfitted.tflite"
    path.write_bytes(unfitted)

    assert min(add_input_ratios(path)) < MIN_ADD_SCALE_RATIO
    assert xnnpack_partitions(path) > xnnpack_partitions(model.path)


def test_fit_keeps_every_add_in_xnnpack(faint_float, unfitted, tmp_path):
    model, _ = faint_float
    fitted = fit_add_scales(unfitted)
    path = tmp_path / "fitted.tflite"
    path.write_bytes(fitted.content)

    assert len(fitted.raised) == 7  # one noise map per conv: the first conv and two per block
    assert fitted.left == ()
    assert min(add_input_ratios(path)) >= MIN_ADD_SCALE_RATIO
    assert xnnpack_partitions(path) == xnnpack_partitions(model.path)


def test_fit_keeps_quality(faint, faint_float, unfitted, tmp_path):
    before, after = tmp_path / "before.tflite", tmp_path / "after.tflite"
    before.write_bytes(unfitted)
    after.write_bytes(fit_add_scales(unfitted).content)

    assert mean_psnr(before, faint) > 28.0
    assert mean_psnr(after, faint) == pytest.approx(mean_psnr(before, faint), abs=0.1)


def test_fit_is_idempotent(unfitted):
    fitted = fit_add_scales(fit_add_scales(unfitted).content)

    assert fitted.raised == ()


def test_quantize_content_fits_scales(faint_float, tmp_path):
    model, calibration = faint_float
    quantized = quantize_content(model, TFLiteRecipe("int8-full"), calibration)
    path = tmp_path / "full.tflite"
    path.write_bytes(quantized.content)

    audit = audit_tflite(path, model.path, "tflite-int8-full", "int8-full")

    assert len(quantized.raised_scales) == 7
    assert audit.activations["xnnpack_partitions"]["artifact"] == audit.activations["xnnpack_partitions"]["float model"]
    assert not any("XNNPACK" in note for note in audit.notes)


def test_audit_notes_ops_outside_xnnpack(faint_float, unfitted, tmp_path):
    model, _ = faint_float
    path = tmp_path / "unfitted.tflite"
    path.write_bytes(unfitted)

    audit = audit_tflite(path, model.path, "tflite-int8-full", "int8-full")

    assert any("run outside XNNPACK" in note for note in audit.notes)
