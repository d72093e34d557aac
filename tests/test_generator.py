import math

import pytest
import torch

from msg_model import GeneratorConfig, truncate
from msg_model.layers import ModulatedConv2d, ModulatedDWConv2d
from msg_model.spec import SMALL_CONFIG, random_generator
from msg_model.synthesis import SynthesisNetwork, noise_shapes


def test_config_derived_sizes():
    assert GeneratorConfig().resolution == 1024
    assert GeneratorConfig().num_ws == 23
    assert SMALL_CONFIG.resolution == 64


def test_config_rejects_bad_channels():
    with pytest.raises(ValueError, match=r"multiple of 4.*got 30"):
        GeneratorConfig(channels=(64, 30, 16))


def test_w_plus_copies_equal_w(small_generator):
    w = torch.randn(2, SMALL_CONFIG.style_dim)
    w_plus = w[:, None].repeat(1, SMALL_CONFIG.num_ws, 1)

    with torch.no_grad():
        from_w = small_generator.synthesis(w, noise_mode="const")
        from_w_plus = small_generator.synthesis(w_plus, noise_mode="const")

    assert torch.equal(from_w, from_w_plus)


def test_w_plus_entries_reach_their_layers(small_generator):
    """Every W+ entry changes the image except those read only by auxiliary heads, and the last."""
    blocks = SMALL_CONFIG.num_blocks
    unused = {3 + 3 * i for i in range(blocks - 1)} | {SMALL_CONFIG.num_ws - 1}
    w = torch.randn(1, SMALL_CONFIG.style_dim)
    base = w[:, None].repeat(1, SMALL_CONFIG.num_ws, 1)
    with torch.no_grad():
        reference = small_generator.synthesis(base, noise_mode="const")
        for index in range(SMALL_CONFIG.num_ws):
            changed = base.clone()
            changed[:, index] += 1.0
            same = torch.equal(small_generator.synthesis(changed, noise_mode="const"), reference)
            assert same == (index in unused), index


def test_output_shape_and_bad_ws(small_generator):
    with torch.no_grad():
        image = small_generator.synthesis(torch.randn(3, 64), noise_mode="none")
    assert image.shape == (3, 3, 64, 64)
    with pytest.raises(ValueError, match=r"\(B, 64\) or \(B, 11, 64\), got \(1, 12, 64\)"):
        small_generator.synthesis(torch.randn(1, 12, 64))


def demodulation_by_formula(conv, weight_of) -> torch.Tensor:
    """rsqrt(sum_{i,k} (s * p_i * weight[j, i, k])^2 + 1e-8), written as explicit loops."""
    outputs, inputs = conv.weight.shape[0] if hasattr(conv, "weight") else conv.weight_permute.shape[0], conv.style_inv.shape[2]
    style_inv = conv.style_inv.flatten()
    result = torch.zeros(outputs, dtype=torch.float64)
    for j in range(outputs):
        total = 0.0
        for i in range(inputs):
            for tap in weight_of(j, i):
                total += (conv.scale * style_inv[i].item() * tap) ** 2
        result[j] = 1.0 / math.sqrt(total + 1e-8)
    return result


def test_depthwise_demodulation_matches_formula():
    conv = ModulatedDWConv2d(4, 3, style_dim=8, kernel_size=3)

    def taps(j, i):
        return [(conv.weight_dw[i, 0].flatten()[k] * conv.weight_permute[j, i, 0, 0]).item() for k in range(9)]

    expected = demodulation_by_formula(conv, taps)

    assert torch.allclose(conv.demodulation().double(), expected, rtol=1e-5)


def test_full_demodulation_matches_formula():
    conv = ModulatedConv2d(4, 3, style_dim=8, kernel_size=3)
    expected = demodulation_by_formula(conv, lambda j, i: conv.weight[j, i].flatten().tolist())

    assert torch.allclose(conv.demodulation().double(), expected, rtol=1e-5)


def test_modulated_conv_output_uses_demodulation():
    conv = ModulatedDWConv2d(4, 3, style_dim=8, kernel_size=3)
    x, style = torch.randn(2, 4, 5, 5), torch.randn(2, 8)
    scale = conv.scale * conv.modulation(style)
    plain = torch.nn.functional.conv2d(x * scale[:, :, None, None], conv.weight_dw, padding=1, groups=4)
    plain = torch.nn.functional.conv2d(plain, conv.weight_permute)

    expected = plain * conv.demodulation()[None, :, None, None]

    assert torch.allclose(conv(x, style), expected, atol=1e-6)


def test_noise_mode_const_is_repeatable(small_generator):
    w = torch.randn(1, 64)
    with torch.no_grad():
        assert torch.equal(small_generator.synthesis(w, noise_mode="const"), small_generator.synthesis(w, noise_mode="const"))


def test_noise_mode_random_changes_images(small_generator):
    w = torch.randn(1, 64)
    with torch.no_grad():
        assert not torch.equal(small_generator.synthesis(w, noise_mode="random"), small_generator.synthesis(w, noise_mode="random"))


def test_noise_mode_none_equals_zero_noise(small_generator):
    w = torch.randn(1, 64)
    zeros = [torch.zeros(shape) for shape in noise_shapes(SMALL_CONFIG)]
    with torch.no_grad():
        assert torch.equal(small_generator.synthesis(w, noise_mode="none"), small_generator.synthesis(w, noise=zeros))
        assert not torch.equal(small_generator.synthesis(w, noise_mode="none"), small_generator.synthesis(w, noise_mode="const"))


def test_noise_seed_changes_const_noise():
    synthesis = SynthesisNetwork(SMALL_CONFIG, noise_seed=1)
    first = [n.clone() for n in synthesis.const_noise()]
    synthesis.set_noise_seed(2)
    assert not torch.equal(first[0], synthesis.const_noise()[0])


def test_invalid_noise_mode_rejected(small_generator):
    with pytest.raises(ValueError, match="invalid noise_mode 'fresh'; expected one of random, const, none"):
        small_generator.synthesis(torch.randn(1, 64), noise_mode="fresh")


def test_truncation_psi_one_is_identity(small_generator):
    z = torch.randn(4, 64)
    with torch.no_grad():
        assert torch.equal(small_generator.map(z, 1.0), small_generator.mapping(z))


def test_truncation_psi_zero_gives_mean(small_generator):
    z = torch.randn(4, 64)
    with torch.no_grad():
        w = small_generator.map(z, 0.0)
    assert torch.allclose(w, small_generator.w_avg.expand(4, -1))


def test_truncate_formula():
    w, w_avg = torch.tensor([[2.0, 4.0]]), torch.tensor([[1.0, 1.0]])
    assert torch.equal(truncate(w, w_avg, 0.5), torch.tensor([[1.5, 2.5]]))


def test_w_avg_is_mean_of_mapped_z():
    generator = random_generator(SMALL_CONFIG)
    generator.compute_w_avg(num_samples=256, seed=3)
    z = torch.randn(256, 64, generator=torch.Generator().manual_seed(3))
    with torch.no_grad():
        assert torch.allclose(generator.w_avg, generator.mapping(z).mean(0, keepdim=True), atol=1e-6)


def test_mapping_layer_gains():
    generator = random_generator(SMALL_CONFIG)
    linear = generator.mapping.layers[1]
    assert linear.weight_gain == pytest.approx(0.01 / math.sqrt(64))
    assert linear.bias_gain == pytest.approx(0.01)
    x = torch.randn(2, 64)
    expected = torch.nn.functional.leaky_relu(x @ (linear.weight * linear.weight_gain).T + linear.bias * 0.01, 0.2) * math.sqrt(2)
    assert torch.allclose(linear(x), expected, atol=1e-6)
