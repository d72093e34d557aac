"""Import the synthesis network of a MobileStyleGAN OpenVINO IR into `FusedSynthesis`.

The walk starts at the output image and goes towards the input. It matches the inverse DWT of
the image and the 1x1 head, then per block conv2, conv1 and the inverse DWT with its style scale.
It stops at the first full 3x3 conv, which reads the learned 4x4 constant.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import torch

from msg_model.config import GeneratorConfig
from msg_model.fused import NUM_IMAGE_BANDS, FusedSynthesis, band_major_permutation, style_slots
from msg_model.ir_patterns import (
    AffineMap,
    ConvMatch,
    IRStructureError,
    constant_value,
    fail,
    load_checked_state,
    match_conv,
    match_inverse_dwt,
    match_styled_conv,
    single_input_and_output,
    split_style_multiply,
)
from msg_model.openvino_ir import Connection, IRGraph, Layer

MAX_BLOCKS = 16
# Layers between the learned constant and the first conv that only repeat it over the batch.
BATCH_REPEAT_TYPES = ("Tile", "Broadcast")


@dataclasses.dataclass(frozen=True)
class BlockMatch:
    up: AffineMap
    conv1: ConvMatch
    conv2: ConvMatch


@dataclasses.dataclass(frozen=True)
class SynthesisMatch:
    """The constants of a synthesis IR, in the official channel layout."""

    style_dim: int
    resolution: int
    const: np.ndarray
    conv1: ConvMatch
    blocks: tuple[BlockMatch, ...]
    head: ConvMatch

    def config(self, num_mapping_layers: int) -> GeneratorConfig:
        channels = (self.const.shape[1], *(block.conv2.weight.shape[0] for block in self.blocks))
        return GeneratorConfig(style_dim=self.style_dim, channels=channels, num_mapping_layers=num_mapping_layers)


def match_learned_constant(graph: IRGraph, connection: Connection) -> np.ndarray:
    """Return the learned 4x4 constant, looking through the layers that repeat it over the batch."""
    while connection.layer.type in BATCH_REPEAT_TYPES:
        connection = graph.source(connection.layer, 0)
    value = constant_value(graph, connection)
    if value is None or value.ndim != 4 or value.shape[0] != 1:
        raise fail(graph, "a constant of shape (1, C, 4, 4) (the learned input of conv1)", connection.layer)
    return value


def match_blocks(graph: IRGraph, activation: Layer, style: Layer) -> tuple[ConvMatch, list[BlockMatch]]:
    """Walk back through the blocks from the last leaky ReLU, and return the first conv and the blocks in forward order."""
    blocks: list[BlockMatch] = []
    while len(blocks) <= MAX_BLOCKS:
        role = f"blocks[-{len(blocks) + 1}]"
        conv = match_styled_conv(graph, activation, style, f"conv1 or {role}.conv2")
        if conv.weight_dw is None:
            return conv, blocks[::-1]
        conv1 = match_styled_conv(graph, conv.input.layer, style, f"{role}.conv1")
        if conv1.weight_dw is None:
            raise IRStructureError(f"{graph.name}: expected a depthwise-separable conv for {role}.conv1, found a full conv before {activation.describe()}")
        upsample = match_inverse_dwt(graph, conv1.input.layer, f"{role} upsampling")
        up, data = split_style_multiply(graph, upsample.source.layer, style, f"{role} upsampling")
        blocks.append(BlockMatch(up, conv1, conv))
        activation = data.layer
    raise IRStructureError(f"{graph.name}: found more than {MAX_BLOCKS} blocks; the graph is not a MobileStyleGAN synthesis network")


def match_synthesis(graph: IRGraph) -> SynthesisMatch:
    """Find every constant of the synthesis network by its place between `style` and the image."""
    style, result = single_input_and_output(graph)
    image_shape = graph.source(result, 0).layer.output_shape(graph.source(result, 0).output)
    image = match_inverse_dwt(graph, graph.source(result, 0).layer, "the image")
    if image.quarter != NUM_IMAGE_BANDS // 4:
        raise IRStructureError(f"{graph.name}: the image inverse DWT has {image.quarter} channels per band, expected 3 (RGB)")
    head = match_conv(graph, image.source.layer, style, with_noise=False, role="the image head")
    conv1, blocks = match_blocks(graph, head.input.layer, style)
    const = match_learned_constant(graph, conv1.input)
    return SynthesisMatch(style.output_shape()[1], image_shape[-1], const, conv1, tuple(blocks), head)


def conv_state(prefix: str, conv: ConvMatch, permutation: torch.Tensor | None) -> dict[str, torch.Tensor]:
    """State of one `FusedConv`; `permutation` reorders its outputs when they feed an inverse DWT."""
    weight, bias = torch.from_numpy(conv.weight), torch.from_numpy(conv.bias)
    if permutation is not None:
        weight, bias = weight[permutation], bias[permutation]
    state = {f"{prefix}.weight": weight, f"{prefix}.bias": bias, f"{prefix}.noise": torch.from_numpy(conv.noise)}
    if conv.weight_dw is not None:
        state[f"{prefix}.weight_dw"] = torch.from_numpy(conv.weight_dw)
    return state


def synthesis_state(match: SynthesisMatch, config: GeneratorConfig) -> dict[str, torch.Tensor]:
    """Build the `FusedSynthesis` state dict: band-major channels before every inverse DWT, styles stacked in slot order."""
    channels = config.channels
    styles: dict[str, AffineMap] = {"conv1": match.conv1.style}
    state = {"const": torch.from_numpy(match.const)}
    state.update(conv_state("conv1", match.conv1, band_major_permutation(channels[0])))

    for i, block in enumerate(match.blocks):
        permutation = band_major_permutation(channels[i]).numpy()
        styles[f"blocks.{i}.up"] = AffineMap(block.up.weight[permutation], block.up.bias[permutation])
        styles[f"blocks.{i}.conv1"] = block.conv1.style
        styles[f"blocks.{i}.conv2"] = block.conv2.style
        out_permutation = band_major_permutation(channels[i + 1]) if i + 1 < config.num_blocks else None
        state.update(conv_state(f"blocks.{i}.conv1", block.conv1, None))
        state.update(conv_state(f"blocks.{i}.conv2", block.conv2, out_permutation))

    styles["head"] = match.head.style
    head_permutation = band_major_permutation(NUM_IMAGE_BANDS)
    state["head_weight"] = torch.from_numpy(match.head.weight)[head_permutation]
    state["head_bias"] = torch.from_numpy(match.head.bias)[head_permutation]

    slots = style_slots(config)
    state["affine_weight"] = torch.from_numpy(np.concatenate([styles[name].weight for name in slots]))
    state["affine_bias"] = torch.from_numpy(np.concatenate([styles[name].bias for name in slots]))
    return state


def import_synthesis(graph: IRGraph, config: GeneratorConfig, match: SynthesisMatch) -> FusedSynthesis:
    """Build a `FusedSynthesis` from a matched synthesis IR."""
    if match.resolution != config.resolution:
        raise IRStructureError(
            f"{graph.name}: the image has side {match.resolution}, but channels {list(config.channels)} give {config.resolution}"
        )
    fused = FusedSynthesis(config, with_noise=True)
    load_checked_state(fused, synthesis_state(match, config), graph.name)
    return fused.eval()
