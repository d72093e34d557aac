"""The fused inference form of the student: what every converter consumes.

Compared with the trainable form:
- demodulation (which does not depend on w) is folded into the pointwise and 3x3 weights;
- the scale s = 1/sqrt(cin * k * k) is folded into the affine maps of w;
- every affine map of w on the output path is one row block of `affine_weight`, so one matrix
  multiply gives all styles, for W (B, style_dim) and W+ (B, num_ws, style_dim) alike;
- noise x noise weight is baked as a constant map per layer (noise mode `const`; `none` drops it);
- conv biases are conv biases, and the wavelet heads of lower resolutions are dropped;
- tensors that feed an inverse DWT have their channels in band-major order
  (all low-band channels, then band 0, band 1, band 2), so the bands are plain channel slices;
- activations are channels-last between convolutions, the layout of TFLite and CoreML kernels.

The module has no Python control flow on tensor values and fixed shapes except the batch, so
`torch.export.export(..., strict=True)` traces it.
"""

from __future__ import annotations

import dataclasses

import torch
import torch.nn as nn
import torch.nn.functional as F

from msg_model.config import GeneratorConfig
from msg_model.layers import LEAKY_SLOPE

NUM_IMAGE_BANDS = 12  # 3 RGB channels x 4 Haar bands


@dataclasses.dataclass(frozen=True)
class StyleSlot:
    """Rows `start:stop` of the stacked affine maps, fed by W+ entry `ws_index`."""

    ws_index: int
    start: int
    stop: int


@dataclasses.dataclass(frozen=True)
class LayerWidths:
    """Output channels of every conv on the output path; differs from the config after channel pruning.

    `first` is the 3x3 conv's width; `blocks[i]` holds the widths of block i's conv1 and conv2.
    Widths that enter an inverse DWT (`first` and every conv2 but the last) are multiples of 4.
    """

    first: int
    blocks: tuple[tuple[int, int], ...]

    def __post_init__(self) -> None:
        entering_idwt = [self.first] + [conv2 for _, conv2 in self.blocks[:-1]]
        if any(width < 4 or width % 4 for width in entering_idwt):
            raise ValueError(f"widths entering an inverse DWT must be positive multiples of 4, got {entering_idwt}")
        if any(width < 1 for pair in self.blocks for width in pair):
            raise ValueError(f"every width must be positive, got {self.blocks}")

    @classmethod
    def from_config(cls, config: GeneratorConfig) -> "LayerWidths":
        return cls(config.channels[0], tuple((width, width) for width in config.channels[1:]))

    def block_input(self, index: int) -> int:
        """Channels entering block `index` (before its inverse DWT)."""
        return self.first if index == 0 else self.blocks[index - 1][1]


def style_slots(config: GeneratorConfig, widths: LayerWidths | None = None) -> dict[str, StyleSlot]:
    """Return where each layer's style lives in `affine_weight`, in forward order."""
    widths = widths or LayerWidths.from_config(config)
    slots: dict[str, StyleSlot] = {}
    offset = 0

    def add(name: str, ws_index: int, width: int) -> None:
        nonlocal offset
        slots[name] = StyleSlot(ws_index, offset, offset + width)
        offset += width

    add("conv1", 0, config.channels[0])  # the style scales the input: the constant
    for i, (conv1_width, _) in enumerate(widths.blocks):
        channels_in = widths.block_input(i)
        add(f"blocks.{i}.up", 1 + 3 * i, channels_in)
        add(f"blocks.{i}.conv1", 1 + 3 * i, channels_in // 4)
        add(f"blocks.{i}.conv2", 2 + 3 * i, conv1_width)
    add("head", 3 * config.num_blocks, widths.blocks[-1][1])
    return slots


def band_major_permutation(channels: int) -> torch.Tensor:
    """Index map `new -> old` from the official wavelet layout to band-major order.

    Official: `quarter` low channels, then for each channel c its three high bands at
    `quarter + 3c + k`. Band-major: channel c of band k (0 = low) at `quarter * k + c`.
    """
    quarter = channels // 4
    low = torch.arange(quarter)
    high = [quarter + 3 * torch.arange(quarter) + band for band in range(3)]
    return torch.cat([low, *high])


def conv2d_nhwc(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None = None, padding: int = 0, groups: int = 1) -> torch.Tensor:
    """`F.conv2d` on a channels-last (B, H, W, C) tensor, returning channels-last.

    The converters turn each permute pair into the layout changes that every TFLite and CoreML
    convolution needs anyway, so they cancel. The elementwise ops and the inverse DWT between
    convolutions then run without any transposes of large activations.
    """
    out = F.conv2d(x.permute(0, 3, 1, 2), weight, bias, padding=padding, groups=groups)
    return out.permute(0, 2, 3, 1)


class FusedConv(nn.Module):
    """Modulated conv in fused form: x * style, conv (demodulation folded in), bias, noise, leaky ReLU.

    Works on channels-last tensors (B, H, W, C). `depthwise=True` is the depthwise-separable form
    (depthwise kxk without bias, then pointwise 1x1 with bias); otherwise one full kxk conv.
    """

    def __init__(self, channels_in: int, channels_out: int, side: int, depthwise: bool, with_noise: bool, kernel_size: int = 3):
        super().__init__()
        self.depthwise = depthwise
        self.with_noise = with_noise
        self.padding = kernel_size // 2
        if depthwise:
            self.weight_dw = nn.Parameter(torch.zeros(channels_in, 1, kernel_size, kernel_size))
            self.weight = nn.Parameter(torch.zeros(channels_out, channels_in, 1, 1))
        else:
            self.weight = nn.Parameter(torch.zeros(channels_out, channels_in, kernel_size, kernel_size))
        self.bias = nn.Parameter(torch.zeros(channels_out))
        if with_noise:
            self.register_buffer("noise", torch.zeros(1, 1, side, side))

    def forward(self, x: torch.Tensor, style: torch.Tensor | None) -> torch.Tensor:
        """Apply the layer; `style=None` means the input scale was already applied upstream."""
        if style is not None:
            x = x * style[:, None, None, :]
        if self.depthwise:
            x = conv2d_nhwc(x, self.weight_dw, padding=self.padding, groups=self.weight_dw.shape[0])
        padding = 0 if self.depthwise else self.padding
        # The noise joins before the permute back: coremltools 9.0's conv-bias fusion fails on
        # conv -> transpose -> add(constant) once the conv weight is compressed.
        out = F.conv2d(x.permute(0, 3, 1, 2), self.weight, self.bias, padding=padding)
        if self.with_noise:
            out = out + self.noise
        return F.leaky_relu(out.permute(0, 2, 3, 1), LEAKY_SLOPE)


def inverse_dwt_nhwc(x: torch.Tensor, quarter: int) -> torch.Tensor:
    """Inverse Haar DWT of a channels-last, band-major tensor (B, H, W, 4 * quarter) -> (B, 2H, 2W, quarter).

    The same transform as `msg_model.haar.haar_idwt_bands`. In channels-last order the 2x2 cells
    interleave by stacking next to the width and height axes, so no pixel shuffle is needed.
    """
    low, band0, band1, band2 = x[..., :quarter], x[..., quarter : 2 * quarter], x[..., 2 * quarter : 3 * quarter], x[..., 3 * quarter :]
    low_plus_0 = low + band0
    low_minus_0 = low - band0
    sum_12 = band1 + band2
    diff_12 = band1 - band2

    top = torch.stack([(low_plus_0 + sum_12) * 0.5, (low_plus_0 - sum_12) * 0.5], dim=3).flatten(2, 3)
    bottom = torch.stack([(low_minus_0 + diff_12) * 0.5, (low_minus_0 - diff_12) * 0.5], dim=3).flatten(2, 3)
    return torch.stack([top, bottom], dim=2).flatten(1, 2)


class FusedBlock(nn.Module):
    def __init__(self, channels_in: int, conv1_width: int, conv2_width: int, side: int, with_noise: bool):
        super().__init__()
        self.quarter = channels_in // 4
        self.conv1 = FusedConv(self.quarter, conv1_width, side, depthwise=True, with_noise=with_noise)
        self.conv2 = FusedConv(conv1_width, conv2_width, side, depthwise=True, with_noise=with_noise)

    def forward(self, x: torch.Tensor, up_style: torch.Tensor, conv1_style: torch.Tensor, conv2_style: torch.Tensor) -> torch.Tensor:
        # conv1's input scale is per channel and each IDWT output channel reads only the four
        # bands of the same channel, so both scales apply before the IDWT as one product.
        scale = up_style * conv1_style.repeat(1, 4)
        x = inverse_dwt_nhwc(x * scale[:, None, None, :], self.quarter)
        x = self.conv1(x, None)
        return self.conv2(x, conv2_style)


class FusedSynthesis(nn.Module):
    """Inference form of the student synthesis network: `ws` -> image (B, 3, H, W) in about [-1, 1]."""

    def __init__(self, config: GeneratorConfig, with_noise: bool = True, widths: LayerWidths | None = None):
        super().__init__()
        self.config = config
        self.with_noise = with_noise
        self.widths = widths or LayerWidths.from_config(config)
        if len(self.widths.blocks) != config.num_blocks:
            raise ValueError(f"widths describe {len(self.widths.blocks)} blocks, the config has {config.num_blocks}")
        self.slots = style_slots(config, self.widths)
        total_style = max(slot.stop for slot in self.slots.values())
        first = self.widths.first

        # The constant keeps the config width: the first conv reads all of it.
        self.const = nn.Parameter(torch.zeros(1, config.channels[0], 4, 4))
        self.affine_weight = nn.Parameter(torch.zeros(total_style, config.style_dim))
        self.affine_bias = nn.Parameter(torch.zeros(total_style))
        self.conv1 = FusedConv(config.channels[0], first, 4, depthwise=False, with_noise=with_noise)
        self.blocks = nn.ModuleList(
            FusedBlock(self.widths.block_input(i), conv1_width, conv2_width, 8 * 2**i, with_noise)
            for i, (conv1_width, conv2_width) in enumerate(self.widths.blocks)
        )
        self.head_weight = nn.Parameter(torch.zeros(NUM_IMAGE_BANDS, self.widths.blocks[-1][1], 1, 1))
        self.head_bias = nn.Parameter(torch.zeros(NUM_IMAGE_BANDS))

    def styles(self, ws: torch.Tensor):
        """Compute every affine map of w with one matrix multiply; return a slot lookup."""
        style_dim, num_ws = self.config.style_dim, self.config.num_ws
        if ws.ndim == 2 and ws.shape[1] == style_dim:
            stacked = F.linear(ws, self.affine_weight, self.affine_bias)
            return lambda slot: stacked[:, slot.start : slot.stop]
        if ws.ndim == 3 and ws.shape[1] == num_ws and ws.shape[2] == style_dim:
            stacked = F.linear(ws, self.affine_weight, self.affine_bias)
            return lambda slot: stacked[:, slot.ws_index, slot.start : slot.stop]
        raise ValueError(f"ws must have shape (B, {style_dim}) or (B, {num_ws}, {style_dim}), got {tuple(ws.shape)}")

    def forward(self, ws: torch.Tensor) -> torch.Tensor:
        style = self.styles(ws)
        slots = self.slots

        # Activations are channels-last (B, H, W, C) from the constant to the image.
        x = self.conv1(self.const.permute(0, 2, 3, 1).expand(ws.shape[0], -1, -1, -1), style(slots["conv1"]))
        for i, block in enumerate(self.blocks):
            x = block(x, style(slots[f"blocks.{i}.up"]), style(slots[f"blocks.{i}.conv1"]), style(slots[f"blocks.{i}.conv2"]))

        head = conv2d_nhwc(x * style(slots["head"])[:, None, None, :], self.head_weight, self.head_bias)
        return inverse_dwt_nhwc(head, NUM_IMAGE_BANDS // 4).permute(0, 3, 1, 2)
