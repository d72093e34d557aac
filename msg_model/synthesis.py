"""The student synthesis network of MobileStyleGAN in its trainable form."""

from __future__ import annotations

from typing import Literal

import torch
import torch.nn as nn

from msg_model.config import GeneratorConfig
from msg_model.haar import haar_idwt, split_wavelet_channels, wavelet_channels_to_image
from msg_model.layers import (
    ConstantInput,
    HaarFilters,
    StyledConv2d,
    WaveletHead,
    make_modulation,
)

NoiseMode = Literal["random", "const", "none"]
NOISE_MODES = ("random", "const", "none")
DEFAULT_NOISE_SEED = 0


class IDWTUpsample(nn.Module):
    """Scale each channel by an affine map of w, then upsample 2x with the inverse Haar DWT."""

    def __init__(self, channels_in: int, style_dim: int):
        super().__init__()
        self.modulation = make_modulation(style_dim, channels_in)
        self.idwt = HaarFilters()

    def forward(self, x: torch.Tensor, style: torch.Tensor) -> torch.Tensor:
        x = x * self.modulation(style)[:, :, None, None]
        low, high = split_wavelet_channels(x)
        return haar_idwt(low, high)


class SynthesisBlock(nn.Module):
    """One resolution step: IDWT upsampling, two depthwise-separable styled convs, a wavelet head."""

    def __init__(self, channels_in: int, channels_out: int, style_dim: int):
        super().__init__()
        self.up = IDWTUpsample(channels_in, style_dim)
        self.conv1 = StyledConv2d(channels_in // 4, channels_out, style_dim, 3, depthwise=True)
        self.conv2 = StyledConv2d(channels_out, channels_out, style_dim, 3, depthwise=True)
        self.to_img = WaveletHead(channels_out, style_dim)

    def forward(
        self, x: torch.Tensor, styles: tuple[torch.Tensor, torch.Tensor, torch.Tensor], noise: tuple
    ) -> tuple[torch.Tensor, torch.Tensor]:
        x = self.up(x, styles[0])
        x = self.conv1(x, styles[0], noise[0])
        x = self.conv2(x, styles[1], noise[1])
        return x, self.to_img(x, styles[2])


def noise_shapes(config: GeneratorConfig) -> list[tuple[int, int, int, int]]:
    """Shapes (1, 1, H, W) of the noise maps in layer order: the first conv, then 2 per block."""
    shapes = [(1, 1, 4, 4)]
    for block in range(config.num_blocks):
        side = 8 * 2**block
        shapes += [(1, 1, side, side)] * 2
    return shapes


def make_const_noise(config: GeneratorConfig, seed: int = DEFAULT_NOISE_SEED) -> list[torch.Tensor]:
    """Draw the frozen noise maps of noise mode `const` from `seed`, in layer order."""
    generator = torch.Generator().manual_seed(seed)
    return [torch.randn(shape, generator=generator) for shape in noise_shapes(config)]


class SynthesisNetwork(nn.Module):
    """MobileStyleGAN student: w or W+ to an RGB image in [-1, 1].

    Accepts `ws` of shape (B, style_dim) (W space) or (B, num_ws, style_dim) (W+). In W+, layer
    k reads `ws[:, k]`: the first conv 0, the first head 1, block i's upsampling and conv1
    1 + 3i, conv2 2 + 3i, head 3 + 3i.
    """

    def __init__(self, config: GeneratorConfig, noise_seed: int = DEFAULT_NOISE_SEED):
        super().__init__()
        self.config = config
        channels = config.channels
        self.input = ConstantInput(channels[0])
        self.conv1 = StyledConv2d(channels[0], channels[0], config.style_dim, 3, depthwise=False)
        self.to_img1 = WaveletHead(channels[0], config.style_dim)
        self.layers = nn.ModuleList(
            SynthesisBlock(channels_in, channels_out, config.style_dim)
            for channels_in, channels_out in zip(channels[:-1], channels[1:])
        )
        self.idwt = HaarFilters()
        self.register_buffer("device_info", torch.zeros(1))
        self.set_noise_seed(noise_seed)

    def set_noise_seed(self, seed: int) -> None:
        """Redraw the frozen noise maps used by noise mode `const`."""
        self.noise_seed = seed
        for index, noise in enumerate(make_const_noise(self.config, seed)):
            self.register_buffer(f"const_noise_{index}", noise, persistent=False)

    def const_noise(self) -> list[torch.Tensor]:
        return [getattr(self, f"const_noise_{i}") for i in range(len(noise_shapes(self.config)))]

    def select_noise(self, batch: int, noise_mode: NoiseMode) -> list[torch.Tensor | None]:
        shapes = noise_shapes(self.config)
        if noise_mode == "const":
            return self.const_noise()
        if noise_mode == "none":
            return [None] * len(shapes)
        if noise_mode == "random":
            device = self.device_info.device
            return [torch.randn((batch, *shape[1:]), device=device) for shape in shapes]
        raise ValueError(f"invalid noise_mode {noise_mode!r}; expected one of {', '.join(NOISE_MODES)}")

    def expand_styles(self, ws: torch.Tensor) -> list[torch.Tensor]:
        """Return one (B, style_dim) style per W+ index."""
        num_ws, style_dim = self.config.num_ws, self.config.style_dim
        if ws.ndim == 2 and ws.shape[1] == style_dim:
            return [ws] * num_ws
        if ws.ndim == 3 and ws.shape[1:] == (num_ws, style_dim):
            return list(ws.unbind(1))
        raise ValueError(
            f"ws must have shape (B, {style_dim}) or (B, {num_ws}, {style_dim}), got {tuple(ws.shape)}"
        )

    def forward(
        self,
        ws: torch.Tensor,
        noise_mode: NoiseMode = "random",
        noise: list[torch.Tensor | None] | None = None,
        return_heads: bool = False,
    ) -> torch.Tensor | tuple[torch.Tensor, list[torch.Tensor]]:
        """Draw images (B, 3, H, W). `noise`, when given, overrides `noise_mode` map by map."""
        styles = self.expand_styles(ws)
        if noise is None:
            noise = self.select_noise(ws.shape[0], noise_mode)

        x = self.conv1(self.input(ws), styles[0], noise[0])
        heads = [self.to_img1(x, styles[1])]
        for i, block in enumerate(self.layers):
            block_styles = (styles[1 + 3 * i], styles[2 + 3 * i], styles[3 + 3 * i])
            x, head = block(x, block_styles, (noise[1 + 2 * i], noise[2 + 2 * i]))
            heads.append(head)

        image = wavelet_channels_to_image(heads[-1])
        if return_heads:
            return image, heads
        return image
