"""TFLite artifacts of random:small run on the LiteRT interpreter and compared with the fused student."""

import numpy as np
import pytest
import torch

import converters
from converters.generator_model import TruncatedGenerator
from converters.image_output import to_pixel_range
from converters.tflite import UNWANTED_OPS, tflite_op_counts
from converters.tflite_runner import open_tflite
from msg_model.generator import z_from_seeds
from msg_model.spec import load_model

SEEDS = [1, 2, 3]
PSI = 0.5
FP32_MAX_ABS_ERROR = 1e-4
# Measured on random:small (images span about [-4.6, 3.9]): max abs error 6.5e-3 over seeds 1-3.
FP16W_MAX_ABS_ERROR = 2e-2
MAX_ERRORS = {"fp32": FP32_MAX_ABS_ERROR, "fp16": FP16W_MAX_ABS_ERROR}


@pytest.fixture(scope="module")
def small_model():
    return load_model("random:small")


@pytest.fixture(scope="module")
def latents(small_model):
    z = z_from_seeds(SEEDS, small_model.config.style_dim)
    psi = torch.full((len(SEEDS), 1), PSI)
    with torch.no_grad():
        w = small_model.mapping(z, psi)
        images = small_model.synthesis(w)
    return {"z": z.numpy(), "psi": psi.numpy(), "w": w.numpy(), "images": images.numpy()}


@pytest.fixture(scope="module")
def convert_small(small_model, tmp_path_factory):
    """Convert random:small once per option set; later calls return the cached artifact."""
    cache = {}
    out_dir = tmp_path_factory.mktemp("tflite")

    def convert(**fields):
        key = tuple(sorted(fields.items()))
        if key not in cache:
            mapping = fields.pop("mapping", False)
            function = converters.convert_mapping if mapping else converters.convert
            cache[key] = function(small_model, target="tflite", out_dir=out_dir, **fields)
        return cache[key]

    return convert


def feed_for(input_kind, latents, index, num_ws):
    if input_kind == "w":
        return {"w": latents["w"][index : index + 1]}
    if input_kind == "w_plus":
        return {"w_plus": np.repeat(latents["w"][index : index + 1, None, :], num_ws, axis=1)}
    return {"z": latents["z"][index : index + 1]}


@pytest.mark.parametrize("input_kind", ["w", "w_plus", "z"])
@pytest.mark.parametrize("precision", ["fp32", "fp16"])
def test_tflite_matches_fused_student(convert_small, small_model, latents, precision, input_kind):
    artifact = convert_small(precision=precision, input_kind=input_kind)
    runner = open_tflite(artifact.path, num_threads=2)
    assert runner.input_names == [input_kind]
    assert runner.output_names == ["image"]
    for index in range(len(SEEDS)):
        image = runner.predict(feed_for(input_kind, latents, index, small_model.config.num_ws))["image"]
        assert image.dtype == np.float32
        error = float(np.max(np.abs(image - latents["images"][index : index + 1])))
        assert error <= MAX_ERRORS[precision], f"seed {SEEDS[index]}: max abs error {error:.2e} > {MAX_ERRORS[precision]:.0e}"


def test_tflite_fp16w_has_fp16_weights(convert_small):
    fp32 = convert_small(precision="fp32", input_kind="w")
    fp16 = convert_small(precision="fp16", input_kind="w")
    assert tflite_op_counts(fp16.path).get("DEQUANTIZE", 0) > 0
    assert "DEQUANTIZE" not in tflite_op_counts(fp32.path)
    assert fp16.size_bytes < 0.7 * fp32.size_bytes


def test_tflite_ops_have_no_transpose_conv_or_resize(convert_small):
    counts = tflite_op_counts(convert_small(precision="fp32", input_kind="w").path)
    assert counts.get("CONV_2D", 0) > 0
    assert counts.get("DEPTHWISE_CONV_2D", 0) > 0
    for name in UNWANTED_OPS:
        assert name not in counts, f"{name} x{counts.get(name)} in {counts}"


def test_tflite_size_close_to_weight_bytes(convert_small, small_model):
    """The baked noise maps must not be folded into (1, H, W, C) constants with the conv biases."""
    tensors = [*small_model.synthesis.parameters(), *small_model.synthesis.buffers()]
    weight_bytes = 4 * sum(tensor.numel() for tensor in tensors)
    size = convert_small(precision="fp32", input_kind="w").size_bytes
    assert size < 1.3 * weight_bytes, f"{size} bytes for {weight_bytes} bytes of weights and noise"


def test_tflite_uint8_image_output(convert_small, latents):
    artifact = convert_small(precision="fp32", input_kind="w", image_output="uint8")
    runner = open_tflite(artifact.path)
    assert runner.output_details["image"]["dtype"] == np.uint8
    image = runner.predict({"w": latents["w"][:1]})["image"]
    expected = to_pixel_range(torch.from_numpy(latents["images"][:1])).numpy()
    assert image.dtype == np.uint8
    # Rounding of values within float error of a .5 boundary may differ by one step.
    assert np.max(np.abs(image.astype(np.float32) - np.round(expected))) <= 1.0
    assert np.mean(image.astype(np.float32) == np.round(expected)) > 0.99


def test_tflite_mapping_matches_fused_mapping(convert_small, latents):
    artifact = convert_small(mapping=True)
    runner = open_tflite(artifact.path)
    assert sorted(runner.input_names) == ["psi", "z"]
    assert runner.output_names == ["w"]
    for index in range(len(SEEDS)):
        w = runner.predict({"z": latents["z"][index : index + 1], "psi": latents["psi"][index : index + 1]})["w"]
        error = float(np.max(np.abs(w - latents["w"][index : index + 1])))
        assert error <= FP32_MAX_ABS_ERROR, f"seed {SEEDS[index]}: max abs error {error:.2e}"


def test_generator_equals_mapping_then_synthesis(small_model, latents):
    generator = TruncatedGenerator(small_model.mapping, small_model.synthesis, PSI).eval()
    with torch.no_grad():
        images = generator(torch.from_numpy(latents["z"]))
    assert torch.equal(images, torch.from_numpy(latents["images"]))


def test_generator_sidecar_records_psi(convert_small):
    artifact = convert_small(precision="fp32", input_kind="z")
    sidecar = converters.read_sidecar(artifact.path)
    assert sidecar["role"] == "generator"
    assert sidecar["kind"] == "generator-tflite-fp32"
    assert sidecar["truncation_psi"] == PSI
    assert [tensor["name"] for tensor in sidecar["inputs"]] == ["z"]


def test_tflite_sidecar_fields(convert_small, small_model):
    artifact = convert_small(precision="fp16", input_kind="w")
    sidecar = converters.read_sidecar(artifact.path)
    assert sidecar["kind"] == "tflite-fp16w"
    assert sidecar["target"] == "tflite"
    assert sidecar["role"] == "synthesis"
    assert sidecar["variant"] == "fp16w"
    assert sidecar["input"] == "w"
    assert sidecar["image_output"] == "float"
    assert sidecar["noise_mode"] == "const"
    assert sidecar["noise_seed"] == 0
    assert sidecar["source_model"] == "random:small"
    assert sidecar["size_bytes"] == artifact.path.stat().st_size
    assert sidecar["sha256"] == artifact.sha256
    assert sidecar["outputs"][0]["shape"] == [1, 3, small_model.config.resolution, small_model.config.resolution]
    assert "truncation_psi" not in sidecar
