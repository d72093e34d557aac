import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from msg_model.drawing import draw_images, to_uint8
from msg_model.errors import InvalidInputError
from msg_model.generator import z_from_seed
from msg_model.seeds import parse_seeds
from msg_model.spec import load_model

MSG = [sys.executable, "-m", "msg_cli"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [("0-3", [0, 1, 2, 3]), ("0,3,5", [0, 3, 5]), ("0-2,9", [0, 1, 2, 9]), ("4", [4]), ("1,1,0-1", [1, 0])],
)
def test_parse_seeds(text, expected):
    assert parse_seeds(text) == expected


@pytest.mark.parametrize("text", ["3-1", "a", "", "1,,2", "+3", "1_000", "\uff11", "1.5", "0x10"])
def test_parse_seeds_rejects(text):
    with pytest.raises(InvalidInputError, match="use forms like 0-7"):
        parse_seeds(text)


def test_parse_seeds_rejects_huge_range():
    with pytest.raises(InvalidInputError, match="more than 100,000 seeds"):
        parse_seeds("0-4000000000")


def test_parse_seeds_rejects_negative():
    with pytest.raises(InvalidInputError, match="seed -4 in '-4' is out of range"):
        parse_seeds("-4")


def test_z_from_seed_matches_nvlabs_convention():
    expected = np.random.RandomState(7).randn(1, 512).astype(np.float32)
    assert np.array_equal(z_from_seed(7).numpy(), expected)


def test_to_uint8_rounds_and_clips():
    values = np.array([-2.0, -1.0, 0.0, 0.999, 1.0, 3.0], dtype=np.float32)
    assert to_uint8(values).tolist() == [0, 0, 128, 255, 255, 255]


def test_generate_png_and_npy(tmp_path):
    png, npy = tmp_path / "faces.png", tmp_path / "faces.npy"

    subprocess.run([*MSG, "generate", "random:small", "--seeds", "0-4", "--out", str(png)], check=True, capture_output=True)
    subprocess.run([*MSG, "generate", "random:small", "--seeds", "0-4", "--out", str(npy)], check=True, capture_output=True)

    assert Image.open(png).size == (4 * 64, 2 * 64)
    raw = np.load(npy)
    expected = draw_images(load_model("random:small"), [0, 1, 2, 3, 4], 0.5)
    assert raw.shape == (5, 3, 64, 64)
    assert np.allclose(raw, expected, atol=1e-6)
    assert not np.allclose(raw[0], raw[1])


def test_generate_bad_suffix_writes_nothing(tmp_path):
    result = subprocess.run([*MSG, "generate", "random:small", "--out", str(tmp_path / "faces.gif")], capture_output=True, text=True)

    assert result.returncode == 2
    assert "unsupported output suffix '.gif'" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_unknown_model_spec_is_one_line():
    result = subprocess.run([*MSG, "generate", "nothing-here.onnx"], capture_output=True, text=True)

    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert "model 'nothing-here.onnx' not found" in result.stderr


def test_seed_latents_ignore_other_seeds():
    from msg_model.drawing import latents_for_seeds
    from validation.latents import make_latents

    model = load_model("random:small")
    alone = latents_for_seeds(model, [3], 0.5)
    listed = latents_for_seeds(model, [0, 1, 2, 3, 4], 0.5)

    assert np.array_equal(alone[0].numpy(), listed[3].numpy())
    assert np.array_equal(make_latents(model, [3], 0.5).w[0], make_latents(model, range(5), 0.5).w[3])
