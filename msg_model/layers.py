"""Layers of the trainable MobileStyleGAN generator, with the official parameter names.

The attribute names (`modulation`, `style_inv`, `weight_dw`, `weight_permute`, ...) follow the
official checkpoint so that its state_dict loads without renaming.
"""

from __future__ import annotations

import math

import torch
import torch.nn as nn
import torch.nn.functional as F

LEAKY_SLOPE = 0.2
DEMOD_EPS = 1e-8


def check_shape(x: torch.Tensor, channels: int, where: str) -> None:
    """Raise when `x` is not (B, channels, H, W)."""
    if x.ndim != 4 or x.shape[1] != channels:
        raise ValueError(f"{where}: expected input of shape (B, {channels}, H, W), got {tuple(x.shape)}")


def check_style(style: torch.Tensor, style_dim: int, where: str) -> None:
    if style.ndim != 2 or style.shape[1] != style_dim:
        raise ValueError(f"{where}: expected a style of shape (B, {style_dim}), got {tuple(style.shape)}")


class EqualLinear(nn.Module):
    """Linear layer with equalized learning rate and, optionally, the fused leaky ReLU x sqrt(2)."""

    def __init__(self, in_dim: int, out_dim: int, lr_mul: float = 1.0, activate: bool = True):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(out_dim, in_dim) / lr_mul)
        self.bias = nn.Parameter(torch.zeros(out_dim))
        self.weight_gain = lr_mul / math.sqrt(in_dim)
        self.bias_gain = lr_mul
        self.activate = activate

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = F.linear(x, self.weight * self.weight_gain, self.bias * self.bias_gain)
        if self.activate:
            out = F.leaky_relu(out, LEAKY_SLOPE) * math.sqrt(2.0)
        return out


class PixelNorm(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * torch.rsqrt(torch.mean(x * x, dim=1, keepdim=True) + 1e-8)


class ConstantInput(nn.Module):
    """The learned 4x4 constant the synthesis network starts from."""

    def __init__(self, channels: int, size: int = 4):
        super().__init__()
        self.input = nn.Parameter(torch.randn(1, channels, size, size))

    def forward(self, batch_like: torch.Tensor) -> torch.Tensor:
        return self.input.expand(batch_like.shape[0], -1, -1, -1)


def make_modulation(style_dim: int, channels: int) -> nn.Linear:
    """Affine map from w to per-channel scales, initialised to the identity scale 1."""
    modulation = nn.Linear(style_dim, channels, bias=True)
    nn.init.ones_(modulation.bias)
    return modulation


class ModulatedConv2d(nn.Module):
    """Full modulated convolution; demodulation uses the stored `style_inv` instead of the style.

    Output channel j is multiplied by rsqrt(sum_{i,k} (s * p_i * weight[j, i, k])^2 + 1e-8), where
    s = 1 / sqrt(cin * k * k) and p = `style_inv`. That factor does not depend on w.
    """

    def __init__(self, channels_in: int, channels_out: int, style_dim: int, kernel_size: int, demodulate: bool = True):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(channels_out, channels_in, kernel_size, kernel_size))
        self.modulation = make_modulation(style_dim, channels_in)
        self.demodulate = demodulate
        if demodulate:
            self.register_buffer("style_inv", torch.randn(1, 1, channels_in, 1, 1))
        self.scale = 1.0 / math.sqrt(channels_in * kernel_size**2)
        self.padding = kernel_size // 2
        self.channels_in = channels_in
        self.style_dim = style_dim

    def style_scale(self, style: torch.Tensor) -> torch.Tensor:
        """Per-channel input scale s * (A w + b), shape (B, cin, 1, 1)."""
        return (self.scale * self.modulation(style))[:, :, None, None]

    def demodulation(self) -> torch.Tensor:
        """Per-output-channel factor, shape (cout,)."""
        weight = self.scale * self.style_inv[0] * self.weight
        return torch.rsqrt(weight.pow(2).sum(dim=(1, 2, 3)) + DEMOD_EPS)

    def forward(self, x: torch.Tensor, style: torch.Tensor) -> torch.Tensor:
        check_shape(x, self.channels_in, type(self).__name__)
        check_style(style, self.style_dim, type(self).__name__)
        out = F.conv2d(x * self.style_scale(style), self.weight, padding=self.padding)
        if self.demodulate:
            out = out * self.demodulation()[None, :, None, None]
        return out


class ModulatedDWConv2d(nn.Module):
    """Depthwise-separable modulated convolution: depthwise kxk, then pointwise 1x1."""

    def __init__(self, channels_in: int, channels_out: int, style_dim: int, kernel_size: int, demodulate: bool = True):
        super().__init__()
        self.weight_dw = nn.Parameter(torch.randn(channels_in, 1, kernel_size, kernel_size))
        self.weight_permute = nn.Parameter(torch.randn(channels_out, channels_in, 1, 1))
        self.modulation = make_modulation(style_dim, channels_in)
        self.demodulate = demodulate
        if demodulate:
            self.register_buffer("style_inv", torch.randn(1, 1, channels_in, 1, 1))
        self.scale = 1.0 / math.sqrt(channels_in * kernel_size**2)
        self.padding = kernel_size // 2
        self.channels_in = channels_in
        self.style_dim = style_dim

    def style_scale(self, style: torch.Tensor) -> torch.Tensor:
        return (self.scale * self.modulation(style))[:, :, None, None]

    def demodulation(self) -> torch.Tensor:
        """Per-output-channel factor rsqrt(sum_{i,k} (s * p_i * w_dw[i, k] * w_pw[j, i])^2 + 1e-8)."""
        depthwise = self.weight_dw[:, 0].flatten(1)  # (cin, k*k)
        pointwise = self.weight_permute[:, :, 0, 0]  # (cout, cin)
        per_input = (self.scale * self.style_inv.flatten()) ** 2 * depthwise.pow(2).sum(dim=1)  # (cin,)
        return torch.rsqrt(pointwise.pow(2) @ per_input + DEMOD_EPS)

    def forward(self, x: torch.Tensor, style: torch.Tensor) -> torch.Tensor:
        check_shape(x, self.channels_in, type(self).__name__)
        check_style(style, self.style_dim, type(self).__name__)
        out = x * self.style_scale(style)
        out = F.conv2d(out, self.weight_dw, padding=self.padding, groups=self.channels_in)
        out = F.conv2d(out, self.weight_permute)
        if self.demodulate:
            out = out * self.demodulation()[None, :, None, None]
        return out


class NoiseInjection(nn.Module):
    """Adds `weight * noise`; the noise is a (1 or B, 1, H, W) map chosen by the caller."""

    def __init__(self):
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(1))

    def forward(self, x: torch.Tensor, noise: torch.Tensor | None) -> torch.Tensor:
        if noise is None:
            return x
        return x + self.weight * noise


class StyledConv2d(nn.Module):
    """Modulated conv, noise, bias, then leaky ReLU(0.2) without the sqrt(2) gain."""

    def __init__(self, channels_in: int, channels_out: int, style_dim: int, kernel_size: int, depthwise: bool):
        super().__init__()
        conv_class = ModulatedDWConv2d if depthwise else ModulatedConv2d
        self.conv = conv_class(channels_in, channels_out, style_dim, kernel_size)
        self.noise = NoiseInjection()
        self.bias = nn.Parameter(torch.zeros(1, channels_out, 1, 1))

    def forward(self, x: torch.Tensor, style: torch.Tensor, noise: torch.Tensor | None) -> torch.Tensor:
        out = self.noise(self.conv(x, style), noise)
        return F.leaky_relu(out + self.bias, LEAKY_SLOPE)


class WaveletHead(nn.Module):
    """1x1 modulated conv (no demodulation) to the 12 wavelet channels of an RGB image, plus bias.

    The official code calls this module `to_img` (class `MultichannelIamge`).
    """

    def __init__(self, channels_in: int, style_dim: int, channels_out: int = 12):
        super().__init__()
        self.conv = ModulatedConv2d(channels_in, channels_out, style_dim, kernel_size=1, demodulate=False)
        self.bias = nn.Parameter(torch.zeros(1, channels_out, 1, 1))

    def forward(self, x: torch.Tensor, style: torch.Tensor) -> torch.Tensor:
        return self.conv(x, style) + self.bias


def haar_synthesis_filters() -> dict[str, torch.Tensor]:
    """Return the fixed 'db1' reconstruction filters as pytorch_wavelets stores them in a state_dict."""
    half_sqrt2 = 1.0 / math.sqrt(2.0)
    low = torch.tensor([half_sqrt2, half_sqrt2])
    high = torch.tensor([half_sqrt2, -half_sqrt2])
    return {
        "g0_col": low.reshape(1, 1, 2, 1),
        "g1_col": high.reshape(1, 1, 2, 1),
        "g0_row": low.reshape(1, 1, 1, 2),
        "g1_row": high.reshape(1, 1, 1, 2),
    }


class HaarFilters(nn.Module):
    """Holds the fixed inverse-DWT filters under their official names.

    The transform itself is `msg_model.haar`; these buffers only exist so that official state
    dicts load with no unexpected keys.
    """

    def __init__(self):
        super().__init__()
        for name, value in haar_synthesis_filters().items():
            self.register_buffer(name, value)
