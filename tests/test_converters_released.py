"""The released FFHQ model converted to TFLite and CoreML: image PSNR, metadata and conversion time."""

import importlib.util
import time

import numpy as np
import pytest
import torch

import converters
from converters.coreml import import_coremltools
from converters.tflite_runner import open_tflite
from msg_model.generator import z_from_seeds

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        importlib.util.find_spec("msg_model.pretrained") is None,
        reason="msg_model/pretrained.py (the released-model loader) is missing, so pretrained:ffhq cannot load",
    ),
]

SEEDS = [0, 1]
PSI = 0.5
MIN_PSNR_DB = 60.0
MAX_CONVERSION_SECONDS = 120.0  # TFLite fp32 plus CoreML fp16 of the synthesis network


def to_pixels(image: np.ndarray) -> np.ndarray:
    return np.clip((image.astype(np.float64) + 1.0) * 127.5, 0.0, 255.0)


def psnr_db(image: np.ndarray, reference: np.ndarray) -> float:
    mse = float(np.mean((to_pixels(image) - to_pixels(reference)) ** 2))
    return float("inf") if mse == 0 else 10.0 * np.log10(255.0**2 / mse)


@pytest.fixture(scope="module")
def released():
    from msg_model.spec import load_model

    return load_model("pretrained:ffhq")


@pytest.fixture(scope="module")
def converted(released, tmp_path_factory):
    """TFLite fp32, CoreML fp16 and CoreML fp32 of the released synthesis network, with conversion seconds."""
    out_dir = tmp_path_factory.mktemp("released")
    artifacts, seconds = {}, {}
    for target, precision in (("tflite", "fp32"), ("coreml", "fp16"), ("coreml", "fp32")):
        start = time.perf_counter()
        artifacts[(target, precision)] = converters.convert(released, target=target, precision=precision, out_dir=out_dir)
        seconds[(target, precision)] = time.perf_counter() - start
    return artifacts, seconds


def test_released_tflite_psnr(released, converted, record_property):
    artifacts, _ = converted
    runner = open_tflite(artifacts[("tflite", "fp32")].path, num_threads=2)
    z = z_from_seeds(SEEDS, released.config.style_dim)
    with torch.no_grad():
        w = released.mapping(z, torch.full((len(SEEDS), 1), PSI))
        expected = released.synthesis(w).numpy()
    for index, seed in enumerate(SEEDS):
        image = runner.predict({"w": w[index : index + 1].numpy()})["image"]
        psnr = psnr_db(image, expected[index : index + 1])
        max_error = float(np.max(np.abs(image - expected[index : index + 1])))
        record_property(f"tflite_fp32_seed{seed}_psnr_db", round(psnr, 2))
        record_property(f"tflite_fp32_seed{seed}_max_abs_error", max_error)
        print(f"seed {seed}: TFLite fp32 PSNR {psnr:.1f} dB, max abs error {max_error:.2e}")
        assert psnr >= MIN_PSNR_DB, f"seed {seed}: PSNR {psnr:.1f} dB < {MIN_PSNR_DB} dB"


@pytest.mark.parametrize("precision", ["fp16", "fp32"])
def test_released_coreml_metadata(released, converted, precision):
    artifacts, _ = converted
    artifact = artifacts[("coreml", precision)]
    ct = import_coremltools()
    mlmodel = ct.models.MLModel(str(artifact.path), skip_model_load=True)
    sidecar = converters.read_sidecar(artifact.path)

    assert mlmodel.license == released.licence
    assert "1024x1024" in mlmodel.short_description
    assert mlmodel.user_defined_metadata["mobilestylegan.source_model"] == "pretrained:ffhq"
    assert mlmodel.user_defined_metadata["mobilestylegan.source_sha256"] == released.source_sha256
    assert mlmodel.input_description["w"] == sidecar["inputs"][0]["description"]
    assert mlmodel.output_description["image"] == sidecar["outputs"][0]["description"]
    assert sidecar["kind"] == f"coreml-{precision}"
    assert sidecar["outputs"][0]["shape"] == [1, 3, 1024, 1024]
    assert sidecar["source_sha256"] == released.source_sha256


def test_released_conversion_time(converted, record_property):
    artifacts, seconds = converted
    for (target, precision), value in seconds.items():
        size_mb = artifacts[(target, precision)].size_bytes / 1e6
        record_property(f"{target}_{precision}_seconds", round(value, 1))
        print(f"{target} {precision}: converted in {value:.1f} s, {size_mb:.1f} MB")
    total = seconds[("tflite", "fp32")] + seconds[("coreml", "fp16")]
    assert total < MAX_CONVERSION_SECONDS, f"TFLite fp32 + CoreML fp16 took {total:.0f} s >= {MAX_CONVERSION_SECONDS:.0f} s"
