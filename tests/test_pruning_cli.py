import subprocess
import sys

import pytest
import torch

from msg_model.errors import InvalidInputError
from msg_model.spec import load_model
from quantization.calibration import CALIBRATION_SEED_BASE, calibration_ws, check_calibration_ws
from quantization.magnitude_pruning import prune_magnitude, sparsity_report

MSG = [sys.executable, "-m", "msg_cli"]


def test_magnitude_pruning_reaches_sparsity():
    fused = load_model("random:small").synthesis

    pruned = prune_magnitude(fused, 0.5)

    report = sparsity_report(pruned)
    assert report
    assert all(0.5 <= value < 0.52 for value in report.values())
    assert sparsity_report(fused)["affine_weight"] < 0.01


def test_magnitude_pruning_keeps_large_weights():
    fused = load_model("random:small").synthesis
    pruned = prune_magnitude(fused, 0.5)
    original, thinned = fused.affine_weight, pruned.affine_weight

    assert torch.equal(thinned[thinned != 0], original[thinned != 0])
    assert original[thinned == 0].abs().max() <= original[thinned != 0].abs().min()


def test_calibration_latents_avoid_validation_seeds():
    model = load_model("random:small")
    ws = calibration_ws(model, 8, 0.5)

    assert ws.shape == (8, 64)
    assert CALIBRATION_SEED_BASE > 100_000


def test_calibration_checks():
    with pytest.raises(InvalidInputError, match="too few"):
        check_calibration_ws(torch.zeros(3, 64))
    with pytest.raises(InvalidInputError, match="NaN or Inf"):
        check_calibration_ws(torch.full((8, 64), float("nan")))


def test_prune_command_structured(tmp_path):
    out = tmp_path / "pruned.safetensors"

    result = subprocess.run(
        [*MSG, "prune", "random:small", "--sparsity", "0.25", "--structured", "--out", str(out)], capture_output=True, text=True, check=True
    )

    assert "fewer)" in result.stdout
    assert load_model(str(out)).synthesis.widths.first == 48


def test_prune_command_bad_sparsity(tmp_path):
    result = subprocess.run([*MSG, "prune", "random:small", "--sparsity", "1.5", "--out", str(tmp_path / "x.safetensors")], capture_output=True, text=True)

    assert result.returncode == 2
    assert "--sparsity must be between 0 and 1 (exclusive), got 1.5" in result.stderr
    assert not (tmp_path / "x.safetensors").exists()
