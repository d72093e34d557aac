import pytest
import torch

from msg_model.drawing import latents_for_seeds
from msg_model.fused_file import save_fused_model
from msg_model.spec import load_model
from msg_model.stats import fused_stats
from quantization.channel_pruning import prune_channels, prune_groups


@pytest.fixture(scope="module")
def small():
    return load_model("random:small")


@pytest.fixture(scope="module")
def calibration_ws(small):
    return latents_for_seeds(small, list(range(1000, 1016)), 0.5)


def test_fraction_zero_keeps_the_model(small, calibration_ws):
    pruned = prune_channels(small.synthesis, 0.0, calibration_ws)
    ws = latents_for_seeds(small, [0, 1], 0.5)

    assert torch.equal(pruned(ws), small.synthesis(ws))


def test_quarter_pruning_lowers_macs_and_parameters(small, calibration_ws):
    pruned = prune_channels(small.synthesis, 0.25, calibration_ws)
    before, after = fused_stats(small.synthesis), fused_stats(pruned)

    assert pruned.widths.first == 48
    assert pruned.widths.blocks == ((48, 48), (24, 24), (12, 12))
    assert after.macs <= 0.8 * before.macs
    assert after.parameters < before.parameters
    assert pruned(latents_for_seeds(small, [0], 0.5)).shape == (1, 3, 64, 64)


def silence_units(fused, fraction):
    """Zero the consumer weights of the first `fraction` units of every group; they then contribute nothing."""
    state = fused.state_dict()
    for group in prune_groups(fused):
        silent = torch.arange(round(group.units * fraction))
        if group.consumer is None:
            state["head_weight"][:, silent] = 0
        else:
            state[f"{group.consumer}.weight_dw"][silent] = 0
    fused.load_state_dict(state)
    return fused


def test_pruning_silent_units_is_exact(calibration_ws):
    """Units whose consumers ignore them must be the ones removed, from every coupled tensor."""
    fused = silence_units(load_model("random:small").synthesis, 0.25)
    ws = torch.randn(2, 64)

    pruned = prune_channels(fused, 0.25, calibration_ws)

    assert (pruned(ws) - fused(ws)).abs().max() <= 1e-5


def test_pruned_model_exports(small, calibration_ws):
    pruned = prune_channels(small.synthesis, 0.5, calibration_ws)

    torch.export.export(pruned, (torch.randn(1, 64),), strict=True)


def test_invalid_fraction_rejected(small, calibration_ws):
    with pytest.raises(ValueError, match=r"must be in \[0, 1\), got 1.0"):
        prune_channels(small.synthesis, 1.0, calibration_ws)


def test_fused_file_round_trip(small, calibration_ws, tmp_path):
    pruned = prune_channels(small.synthesis, 0.25, calibration_ws)
    path = save_fused_model(pruned, small.mapping, tmp_path / "pruned.safetensors", source="random:small")

    loaded = load_model(str(path))
    ws = latents_for_seeds(small, [3], 0.5)

    assert loaded.synthesis.widths == pruned.widths
    assert torch.equal(loaded.synthesis(ws), pruned(ws))
    assert "random:small" in loaded.description
