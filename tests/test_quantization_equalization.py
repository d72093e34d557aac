"""Channel equalization of the fused student: same images in float, flatter channel ranges."""

import pytest
import torch

from msg_model.spec import load_model
from quantization.calibration import calibration_ws
from quantization.equalization import EqualizationOptions, equalize, record_ranges


@pytest.fixture(scope="module")
def small():
    return load_model("random:small")


@pytest.mark.parametrize("strength, pointwise_strength", [(1.0, 0.0), (1.0, 0.5), (0.5, 1.0)])
def test_equalization_keeps_images(small, strength, pointwise_strength):
    ws = calibration_ws(small, 8, 0.5)
    equalized = equalize(small.synthesis, ws, EqualizationOptions(strength, pointwise_strength))

    with torch.no_grad():
        before, after = small.synthesis(ws[:3]), equalized(ws[:3])

    assert torch.allclose(before, after, atol=1e-4, rtol=1e-4)


def test_full_equalization_flattens_ranges(small):
    ws = calibration_ws(small, 8, 0.5)
    before = record_ranges(small.synthesis, ws)
    after = record_ranges(equalize(small.synthesis, ws, EqualizationOptions(1.0, 1.0)), ws)

    for name in ("conv1.input", "blocks.0.conv2.input", "blocks.2.conv1.depthwise", "head.input"):
        assert (before[name].max() / before[name].median()) > 1.2
        assert (after[name].max() / after[name].median()) == pytest.approx(1.0, abs=1e-3)


def test_equalization_options_checked():
    with pytest.raises(ValueError, match="strength must be in"):
        EqualizationOptions(strength=1.5)
