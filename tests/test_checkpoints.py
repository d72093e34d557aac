import ast
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from msg_model.checkpoints import (
    load_generator,
    load_official_checkpoint,
    official_state_dict,
    save_generator,
)
from msg_model.errors import CheckpointError
from msg_model.spec import SMALL_CONFIG, random_generator

DATA = Path(__file__).parent / "data"
MSG = [sys.executable, "-m", "msg_cli"]


def read_reference_shapes(name: str) -> dict[str, tuple[int, ...]]:
    shapes = {}
    for line in (DATA / name).read_text().splitlines():
        key, shape = line.split("\t")
        shapes[key] = tuple(ast.literal_eval(shape))
    return shapes


def official_layout_state_dict() -> dict[str, torch.Tensor]:
    """Random tensors under every official key and shape, plus teacher keys a deploy tool ignores."""
    generator = torch.Generator().manual_seed(0)
    state = {}
    for key, shape in read_reference_shapes("official_student_state_dict.tsv").items():
        state[f"student.{key}"] = torch.randn(shape, generator=generator) * 0.1
    for key, shape in read_reference_shapes("official_mapping_state_dict.tsv").items():
        state[f"mapping_net.{key}"] = torch.randn(shape, generator=generator)
    haar = 2**-0.5
    for key in list(state):
        if ".idwt.g0" in key:
            state[key] = torch.full(state[key].shape, haar)
        elif ".idwt.g1" in key:
            state[key] = torch.tensor([haar, -haar]).reshape(state[key].shape)
    state["style_mean"] = torch.randn(1, 23, 512, generator=generator)[:, :1].repeat(1, 23, 1)
    state["synthesis_net.input.input"] = torch.randn(1, 512, 4, 4)
    state["loss.perceptual.weight"] = torch.randn(3)
    return state


def save_lightning_checkpoint(path: Path, state_dict: dict) -> None:
    """Save the way Lightning does, with callback state holding a numpy scalar."""
    callbacks = {"ModelCheckpoint{'monitor': 'kid_val'}": {"best_model_score": np.float64(0.0123), "dirpath": "/tmp"}}
    torch.save(
        {"epoch": 3, "global_step": 100, "pytorch-lightning_version": "1.2.0", "state_dict": state_dict,
         "callbacks": callbacks, "hyper_parameters": {"batch_size": 2}},
        path,
    )


@pytest.fixture(scope="module")
def official_checkpoint(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("ckpt") / "official.ckpt"
    save_lightning_checkpoint(path, official_layout_state_dict())
    return path


def test_official_layout_loads_strictly(official_checkpoint):
    generator = load_official_checkpoint(official_checkpoint)
    state = official_layout_state_dict()

    assert generator.config.channels == (512, 512, 512, 512, 512, 256, 128, 64)
    assert torch.equal(generator.synthesis.layers[3].conv1.conv.weight_dw, state["student.layers.3.conv1.conv.weight_dw"])
    assert torch.equal(generator.mapping.layers[8].bias, state["mapping_net.layers.8.bias"])
    assert torch.equal(generator.w_avg, state["style_mean"][:, 0])


def test_official_student_loads_with_plain_load_state_dict(official_checkpoint):
    student = {k[len("student."):]: v for k, v in official_layout_state_dict().items() if k.startswith("student.")}
    generator = load_official_checkpoint(official_checkpoint)

    result = generator.synthesis.load_state_dict(student, strict=True)

    assert not result.missing_keys
    assert not result.unexpected_keys


def test_inspect_reports_official_counts(official_checkpoint):
    result = subprocess.run([*MSG, "inspect", str(official_checkpoint)], capture_output=True, text=True, check=True)

    assert "synthesis parameters: 8,852,079 total" in result.stdout
    assert "7,306,395 on the path to the output image" in result.stdout
    assert "7,284,645,888 on the output path" in result.stdout


def test_checkpoint_without_fixed_keys_loads(tmp_path):
    state = {k: v for k, v in official_layout_state_dict().items() if ".idwt." not in k and k != "student.device_info"}
    path = tmp_path / "no_fixed.ckpt"
    torch.save({"state_dict": state}, path)

    assert load_official_checkpoint(path).config.num_ws == 23


def test_truncated_file_rejected(official_checkpoint, tmp_path):
    path = tmp_path / "truncated.ckpt"
    path.write_bytes(official_checkpoint.read_bytes()[:100_000])

    result = subprocess.run([*MSG, "inspect", str(path)], capture_output=True, text=True)

    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert "is not a readable PyTorch checkpoint" in result.stderr
    assert "truncated" in result.stderr


def test_wrong_shapes_rejected_with_both_shapes(tmp_path):
    state = official_layout_state_dict()
    state["student.layers.2.conv1.conv.weight_dw"] = torch.zeros(64, 1, 3, 3)
    path = tmp_path / "wrong.ckpt"
    torch.save({"state_dict": state}, path)

    with pytest.raises(CheckpointError, match=r"student\.layers\.2\.conv1\.conv\.weight_dw has shape \(64, 1, 3, 3\), expected \(128, 1, 3, 3\)"):
        load_official_checkpoint(path)


def test_missing_and_unexpected_keys_listed(tmp_path):
    state = official_layout_state_dict()
    del state["student.layers.1.conv2.noise.weight"]
    state["student.layers.1.conv2.extra"] = torch.zeros(2)
    path = tmp_path / "keys.ckpt"
    torch.save({"state_dict": state}, path)

    with pytest.raises(CheckpointError) as error:
        load_official_checkpoint(path)

    assert "missing student.layers.1.conv2.noise.weight (1,)" in str(error.value)
    assert "unexpected student.layers.1.conv2.extra (2,)" in str(error.value)


class ForeignObject:
    def __init__(self):
        self.payload = "anything"


def test_foreign_pickle_rejected_then_trusted(tmp_path):
    path = tmp_path / "foreign.ckpt"
    torch.save({"state_dict": official_layout_state_dict(), "callbacks": ForeignObject()}, path)

    result = subprocess.run([*MSG, "inspect", str(path)], capture_output=True, text=True)

    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert "--trust-checkpoint" in result.stderr
    assert load_official_checkpoint(path, trust_checkpoint=True).config.style_dim == 512


def test_non_haar_filters_rejected(tmp_path):
    state = official_layout_state_dict()
    state["student.idwt.g1_row"] = torch.tensor([[[[0.5, 0.5]]]])
    path = tmp_path / "filters.ckpt"
    torch.save({"state_dict": state}, path)

    with pytest.raises(CheckpointError, match="not the 'db1' Haar filter"):
        load_official_checkpoint(path)


def test_safetensors_round_trip_is_exact(tmp_path):
    generator = random_generator(SMALL_CONFIG)
    path = save_generator(generator, tmp_path / "small.safetensors")

    loaded = load_generator(path)

    assert loaded.config == generator.config
    for name, tensor in generator.state_dict().items():
        assert torch.equal(loaded.state_dict()[name], tensor), name


def test_safetensors_truncated_rejected(tmp_path):
    path = save_generator(random_generator(SMALL_CONFIG), tmp_path / "small.safetensors")
    path.write_bytes(path.read_bytes()[:5000])

    with pytest.raises(CheckpointError, match="not a readable safetensors file"):
        load_generator(path)


def test_official_state_dict_round_trip(tmp_path):
    generator = random_generator(SMALL_CONFIG)
    path = tmp_path / "small.ckpt"
    torch.save({"state_dict": official_state_dict(generator)}, path)

    loaded = load_official_checkpoint(path)

    assert loaded.config == SMALL_CONFIG
    z = torch.randn(2, 64)
    with torch.no_grad():
        assert torch.equal(loaded(z, 0.7), generator(z, 0.7))


def test_odd_channel_count_rejected(tmp_path):
    state = official_layout_state_dict()
    state["student.conv1.conv.weight"] = torch.zeros(510, 1, 3, 3)
    path = tmp_path / "odd.ckpt"
    torch.save({"state_dict": state}, path)

    with pytest.raises(CheckpointError, match="invalid generator config .*multiple of 4"):
        load_official_checkpoint(path)


def test_flat_tensor_rejected(tmp_path):
    state = official_layout_state_dict()
    state["student.conv1.conv.modulation.weight"] = torch.zeros(512)
    path = tmp_path / "flat.ckpt"
    torch.save({"state_dict": state}, path)

    with pytest.raises(CheckpointError, match="fewer dimensions"):
        load_official_checkpoint(path)


def test_trusted_pickle_with_missing_class_rejected(tmp_path):
    path = tmp_path / "missing_class.ckpt"
    source = tmp_path / "make_pickle.py"
    source.write_text(
        "import sys, torch\n"
        "class Vanishing:\n"
        "    pass\n"
        "torch.save({'state_dict': {}, 'callbacks': Vanishing()}, sys.argv[1])\n"
    )
    subprocess.run([sys.executable, str(source), str(path)], check=True)

    with pytest.raises(CheckpointError, match="cannot be imported here"):
        load_official_checkpoint(path, trust_checkpoint=True)


@pytest.mark.parametrize("content", [b"hello\n", b"\x80\x04\x95\x0b\x00\x00\x00\x00\x00\x00\x00}\x94\x8c\x01a\x94K\x01s."], ids=["text", "plain-pickle"])
@pytest.mark.parametrize("trust", [False, True])
def test_non_torch_file_rejected(tmp_path, content, trust):
    path = tmp_path / "other.ckpt"
    path.write_bytes(content)

    with pytest.raises(CheckpointError, match="is not a PyTorch checkpoint: torch.save writes a zip archive"):
        load_official_checkpoint(path, trust_checkpoint=trust)
