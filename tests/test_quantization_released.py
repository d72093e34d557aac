"""int8 variants of the released FFHQ model: size, quality and the committed mixed-precision recipe (slow)."""

import pytest

from msg_model.spec import load_model
from quantization.options import QuantizeOptions
from quantization.tflite_variant import BUILT_IN_RECIPES
from quantization.variants import build_variant

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def released():
    return load_model("pretrained:ffhq")


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    return tmp_path_factory.mktemp("released-float")


def validated_psnr(result):
    (artifact,) = result.validation.artifacts
    return artifact.metrics["psnr_db"]


def test_tflite_int8w_size_and_quality(released, workdir, tmp_path):
    result = build_variant(released, QuantizeOptions(target="tflite", scheme="int8w"), out_dir=tmp_path, workdir=workdir)
    float_size = (workdir / "tflite-fp32.tflite").stat().st_size

    assert result.validation.passed
    assert validated_psnr(result).mean >= 42.0
    assert result.size_bytes <= 0.27 * float_size


def test_tflite_int8_full_committed_recipe(released, workdir, tmp_path):
    assert BUILT_IN_RECIPES["pretrained:ffhq"].is_file()

    result = build_variant(released, QuantizeOptions(target="tflite", scheme="int8-full"), out_dir=tmp_path, workdir=workdir)

    assert result.validation.passed  # worst seed of 0-7 at or above 30 dB
    assert validated_psnr(result).min >= 30.0
    assert result.audit.failures == ()
    assert result.audit.activations["op_counts"]["int8 ops"] > 0
    assert all("kept float by the recipe" in reason or reason.startswith("LEAKY_RELU") for reason in result.audit.activations["float_ops"])
