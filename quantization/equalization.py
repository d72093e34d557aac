"""Style-aware channel equalization of the fused student, so one int8 range per tensor fits its channels.

Static int8 quantization gives each activation tensor one (scale, zero point). In this generator the
channels of the tensors a style multiplies differ in range several-fold (the style of a channel
scales it), so most channels use a fraction of the 256 levels. Equalization rescales channels where
the float function does not change:
- the input of each style-scaled depthwise conv: divide the style rows of channel c by k_c and
  multiply the depthwise kernel of channel c by k_c. Both sides are exact, and per-channel int8
  depthwise weights lose nothing;
- the first conv's and the head's input: the same with the conv's input column c;
- optionally the depthwise output feeding each pointwise conv: divide depthwise kernel c by m_c and
  multiply pointwise column c by m_c (no nonlinearity between them).
k_c and m_c come from the per-channel ranges on calibration latents: each channel is brought
toward the median range, with `strength` in [0, 1] (0 changes nothing, 1 equalizes fully).
The equalized model computes the same images as the original up to float rounding.
"""

from __future__ import annotations

import copy
import dataclasses

import torch
import torch.nn.functional as F

from msg_model.fused import FusedConv, FusedSynthesis, conv2d_nhwc, inverse_dwt_nhwc
from msg_model.layers import LEAKY_SLOPE

MIN_RELATIVE_RANGE = 1e-3  # channels below this fraction of the largest range count as dead and are left alone


@dataclasses.dataclass(frozen=True)
class EqualizationOptions:
    strength: float = 1.0  # how far style-scaled inputs move toward equal ranges
    pointwise_strength: float = 0.0  # the same for depthwise outputs before pointwise convs

    def __post_init__(self) -> None:
        for name in ("strength", "pointwise_strength"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be in [0, 1], got {value}")


class RangeRecorder:
    """Largest |value| per channel of named channels-last tensors, accumulated over batches."""

    def __init__(self):
        self.ranges: dict[str, torch.Tensor] = {}

    def record(self, name: str, tensor: torch.Tensor) -> torch.Tensor:
        value = tensor.abs().amax(dim=(0, 1, 2))
        previous = self.ranges.get(name)
        self.ranges[name] = value if previous is None else torch.maximum(previous, value)
        return tensor


def conv_ranges(conv: FusedConv, x: torch.Tensor, prefix: str, recorder: RangeRecorder) -> torch.Tensor:
    """Run a depthwise-separable FusedConv whose input is already scaled, recording its input and depthwise output."""
    recorder.record(f"{prefix}.input", x)
    x = conv2d_nhwc(x, conv.weight_dw, padding=conv.padding, groups=conv.weight_dw.shape[0])
    recorder.record(f"{prefix}.depthwise", x)
    x = conv2d_nhwc(x, conv.weight, conv.bias)
    if conv.with_noise:
        x = x + conv.noise.permute(0, 2, 3, 1)
    return F.leaky_relu(x, LEAKY_SLOPE)


@torch.no_grad()
def record_ranges(fused: FusedSynthesis, ws: torch.Tensor, batch_size: int = 4) -> dict[str, torch.Tensor]:
    """Per-channel ranges of every tensor equalization rescales, over the calibration latents `ws`."""
    recorder = RangeRecorder()
    slots = fused.slots
    for batch in ws.split(batch_size):
        style = fused.styles(batch)
        first_input = fused.const.permute(0, 2, 3, 1).expand(batch.shape[0], -1, -1, -1) * style(slots["conv1"])[:, None, None, :]
        x = fused.conv1(recorder.record("conv1.input", first_input), None)
        for i, block in enumerate(fused.blocks):
            scale = style(slots[f"blocks.{i}.up"]) * style(slots[f"blocks.{i}.conv1"]).repeat(1, 4)
            x = inverse_dwt_nhwc(x * scale[:, None, None, :], block.quarter)
            x = conv_ranges(block.conv1, x, f"blocks.{i}.conv1", recorder)
            x = x * style(slots[f"blocks.{i}.conv2"])[:, None, None, :]
            x = conv_ranges(block.conv2, x, f"blocks.{i}.conv2", recorder)
        recorder.record("head.input", x * style(slots["head"])[:, None, None, :])
    return recorder.ranges


def channel_factors(ranges: torch.Tensor, strength: float) -> torch.Tensor:
    """Factors that move each channel's range toward the median: (range / median) ** strength; dead channels get 1."""
    alive = ranges > ranges.max() * MIN_RELATIVE_RANGE
    if not alive.any() or strength == 0.0:
        return torch.ones_like(ranges)
    median = ranges[alive].median()
    factors = torch.ones_like(ranges)
    factors[alive] = (ranges[alive] / median) ** strength
    return factors


def scale_style_rows(state: dict, fused: FusedSynthesis, slot_name: str, factors: torch.Tensor) -> None:
    """Divide the affine rows of one style slot by `factors` (one per row)."""
    slot = fused.slots[slot_name]
    if slot.stop - slot.start != factors.numel():
        raise ValueError(f"style slot {slot_name} has {slot.stop - slot.start} rows, got {factors.numel()} factors")
    state["affine_weight"][slot.start : slot.stop] /= factors[:, None]
    state["affine_bias"][slot.start : slot.stop] /= factors


def equalize_depthwise_input(state: dict, fused: FusedSynthesis, conv_prefix: str, slot_name: str, factors: torch.Tensor) -> None:
    scale_style_rows(state, fused, slot_name, factors)
    state[f"{conv_prefix}.weight_dw"] *= factors[:, None, None, None]


def equalize_pointwise_input(state: dict, conv_prefix: str, factors: torch.Tensor) -> None:
    state[f"{conv_prefix}.weight_dw"] /= factors[:, None, None, None]
    state[f"{conv_prefix}.weight"] *= factors[None, :, None, None]


@torch.no_grad()
def equalize(fused: FusedSynthesis, ws: torch.Tensor, options: EqualizationOptions = EqualizationOptions()) -> FusedSynthesis:
    """A copy of `fused` with channel ranges equalized on the calibration latents `ws` (same function in float)."""
    ranges = record_ranges(fused, ws)
    state = {name: value.clone() for name, value in fused.state_dict().items()}

    first = channel_factors(ranges["conv1.input"], options.strength)
    scale_style_rows(state, fused, "conv1", first)
    state["conv1.weight"] *= first[None, :, None, None]
    for i in range(len(fused.blocks)):
        for name in ("conv1", "conv2"):
            prefix = f"blocks.{i}.{name}"
            factors = channel_factors(ranges[f"{prefix}.input"], options.strength)
            equalize_depthwise_input(state, fused, prefix, prefix, factors)
            # The depthwise output does not change: its input shrank by the factors its kernel grew by.
            equalize_pointwise_input(state, prefix, channel_factors(ranges[f"{prefix}.depthwise"], options.pointwise_strength))
    head = channel_factors(ranges["head.input"], options.strength)
    scale_style_rows(state, fused, "head", head)
    state["head_weight"] *= head[None, :, None, None]

    equalized = copy.deepcopy(fused)
    equalized.load_state_dict(state, strict=True)
    return equalized.eval()
