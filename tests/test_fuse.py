import pytest
import torch

from msg_model import FFHQ_CONFIG, fuse, fuse_mapping
from msg_model.fused import band_major_permutation, style_slots
from msg_model.spec import SMALL_CONFIG, random_generator
from msg_model.stats import fused_stats


def max_difference(generator, fused, ws, noise_mode="const"):
    with torch.no_grad():
        return (generator.synthesis(ws, noise_mode=noise_mode) - fused(ws)).abs().max().item()


@pytest.mark.parametrize("input_kind", ["w", "w_plus"])
def test_fused_matches_trainable_small(small_generator, input_kind):
    fused = fuse(small_generator)
    shape = (2, SMALL_CONFIG.style_dim) if input_kind == "w" else (2, SMALL_CONFIG.num_ws, SMALL_CONFIG.style_dim)

    assert max_difference(small_generator, fused, torch.randn(shape)) <= 1e-4


def test_fused_without_noise_matches_noise_mode_none(small_generator):
    fused = fuse(small_generator, noise_mode="none")

    assert max_difference(small_generator, fused, torch.randn(2, 64), noise_mode="none") <= 1e-4
    assert not any("noise" in name for name in fused.state_dict())


def test_fuse_rejects_random_noise(small_generator):
    with pytest.raises(ValueError, match="random noise cannot be baked"):
        fuse(small_generator, noise_mode="random")


def test_fused_mapping_matches_truncated_mapping(small_generator):
    mapping = fuse_mapping(small_generator)
    z = torch.randn(3, 64)

    with torch.no_grad():
        expected = small_generator.map(z, 0.5)
        actual = mapping(z, torch.full((3, 1), 0.5))

    assert (expected - actual).abs().max() <= 1e-5


def test_fused_exports_strictly(small_generator):
    fused = fuse(small_generator)

    exported = torch.export.export(fused, (torch.randn(1, 64),), strict=True)
    targets = {str(node.target) for node in exported.graph.nodes if node.op == "call_function"}

    assert not any("rand" in target or "normal" in target for target in targets)
    assert torch.allclose(exported.module()(torch.ones(1, 64)), fused(torch.ones(1, 64)))


def test_single_affine_matrix_covers_every_style(small_generator):
    fused = fuse(small_generator)
    slots = style_slots(SMALL_CONFIG)

    assert fused.affine_weight.shape == (max(s.stop for s in slots.values()), SMALL_CONFIG.style_dim)
    assert sum(s.stop - s.start for s in slots.values()) == fused.affine_weight.shape[0]


def test_band_major_permutation_groups_bands():
    # 8 channels: 2 low, then channel 0's bands at 2,3,4 and channel 1's at 5,6,7.
    assert band_major_permutation(8).tolist() == [0, 1, 2, 5, 3, 6, 4, 7]


@pytest.mark.slow
def test_fused_matches_trainable_full_size():
    generator = random_generator(FFHQ_CONFIG)
    fused = fuse(generator)

    assert max_difference(generator, fused, torch.randn(1, 512)) <= 1e-4
    assert fused_stats(fused).parameters == 7_306_395 - 15  # the 15 noise weights are baked into the noise maps
