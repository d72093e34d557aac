"""`fuse()`: trainable generator -> fused inference form."""

from __future__ import annotations

import torch

from msg_model.fused import FusedSynthesis, band_major_permutation, style_slots
from msg_model.generator import Generator
from msg_model.layers import ModulatedConv2d, ModulatedDWConv2d, StyledConv2d
from msg_model.mapping_fused import FusedMapping
from msg_model.synthesis import NOISE_MODES, SynthesisNetwork


def folded_style_map(conv: ModulatedConv2d | ModulatedDWConv2d) -> tuple[torch.Tensor, torch.Tensor]:
    """Affine map of w with the conv's scale s folded in: rows (cin, style_dim) and bias (cin,)."""
    return conv.modulation.weight * conv.scale, conv.modulation.bias * conv.scale


def permute_outputs(parts: dict[str, torch.Tensor], permutation: torch.Tensor | None) -> dict[str, torch.Tensor]:
    if permutation is None:
        return parts
    return {name: value[permutation] for name, value in parts.items()}


def fused_conv_state(layer: StyledConv2d, noise: torch.Tensor | None, permutation: torch.Tensor | None) -> dict:
    """State of one `FusedConv`: demodulated weights, bias and baked noise, outputs optionally permuted."""
    conv = layer.conv
    demod = conv.demodulation()[:, None, None, None]
    outputs = {"weight": conv.weight_permute * demod if isinstance(conv, ModulatedDWConv2d) else conv.weight * demod,
               "bias": layer.bias.flatten()}
    state = permute_outputs(outputs, permutation)
    if isinstance(conv, ModulatedDWConv2d):
        state["weight_dw"] = conv.weight_dw
    if noise is not None:
        state["noise"] = layer.noise.weight * noise
    return state


@torch.no_grad()
def fuse_synthesis(synthesis: SynthesisNetwork, noise_mode: str = "const") -> FusedSynthesis:
    """Fold a trainable synthesis network into a `FusedSynthesis` that draws the same images.

    With `noise_mode="const"` the frozen noise of `synthesis` (see `set_noise_seed`) is baked in;
    with `"none"` the noise is dropped, as the trainable form does with the same mode.
    """
    if noise_mode not in ("const", "none"):
        raise ValueError(f"fuse needs noise_mode 'const' or 'none' (random noise cannot be baked), got {noise_mode!r}")
    config = synthesis.config
    with_noise = noise_mode == "const"
    noise = synthesis.const_noise() if with_noise else [None] * (1 + 2 * config.num_blocks)
    fused = FusedSynthesis(config, with_noise=with_noise)
    slots = style_slots(config)
    num_blocks = config.num_blocks

    state: dict[str, torch.Tensor] = {"const": synthesis.input.input}
    style_weights: dict[str, tuple[torch.Tensor, torch.Tensor]] = {}

    # Tensors entering an inverse DWT get band-major channels; the last block's output does not.
    first_permutation = band_major_permutation(config.channels[0])
    style_weights["conv1"] = folded_style_map(synthesis.conv1.conv)
    for name, value in fused_conv_state(synthesis.conv1, noise[0], first_permutation).items():
        state[f"conv1.{name}"] = value

    for i, block in enumerate(synthesis.layers):
        in_permutation = band_major_permutation(block.up.modulation.out_features)
        up_weight, up_bias = block.up.modulation.weight, block.up.modulation.bias
        style_weights[f"blocks.{i}.up"] = (up_weight[in_permutation], up_bias[in_permutation])
        style_weights[f"blocks.{i}.conv1"] = folded_style_map(block.conv1.conv)
        style_weights[f"blocks.{i}.conv2"] = folded_style_map(block.conv2.conv)

        out_permutation = band_major_permutation(config.channels[i + 1]) if i + 1 < num_blocks else None
        for name, value in fused_conv_state(block.conv1, noise[1 + 2 * i], None).items():
            state[f"blocks.{i}.conv1.{name}"] = value
        for name, value in fused_conv_state(block.conv2, noise[2 + 2 * i], out_permutation).items():
            state[f"blocks.{i}.conv2.{name}"] = value

    head = synthesis.layers[-1].to_img
    style_weights["head"] = folded_style_map(head.conv)
    head_permutation = band_major_permutation(12)
    state["head_weight"] = head.conv.weight[head_permutation]
    state["head_bias"] = head.bias.flatten()[head_permutation]

    state["affine_weight"] = torch.cat([style_weights[name][0] for name in slots])
    state["affine_bias"] = torch.cat([style_weights[name][1] for name in slots])
    fused.load_state_dict({k: v.detach().clone().float() for k, v in state.items()}, strict=True)
    return fused.eval()


def fuse(model: Generator | SynthesisNetwork, noise_mode: str = "const") -> FusedSynthesis:
    """Fuse the synthesis network of `model` (a `Generator` or a bare `SynthesisNetwork`)."""
    synthesis = model.synthesis if isinstance(model, Generator) else model
    if noise_mode not in NOISE_MODES:
        raise ValueError(f"invalid noise_mode {noise_mode!r}; expected one of {', '.join(NOISE_MODES)}")
    return fuse_synthesis(synthesis, noise_mode)


@torch.no_grad()
def fuse_mapping(generator: Generator) -> FusedMapping:
    """Fold the mapping network's equalized-lr gains into plain weights and keep w_avg for truncation."""
    layers = [layer for layer in generator.mapping.layers if hasattr(layer, "weight")]
    fused = FusedMapping(generator.config)
    state = {"w_avg": generator.w_avg.clone()}
    for i, layer in enumerate(layers):
        state[f"linears.{i}.weight"] = layer.weight * layer.weight_gain
        state[f"linears.{i}.bias"] = layer.bias * layer.bias_gain
    fused.load_state_dict(state, strict=True)
    return fused.eval()
