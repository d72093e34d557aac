"""The mapping network z -> w (StyleGAN2's, as MobileStyleGAN inherits it)."""

from __future__ import annotations

import torch
import torch.nn as nn

from msg_model.config import GeneratorConfig
from msg_model.layers import EqualLinear, PixelNorm


class MappingNetwork(nn.Module):
    """Pixel norm, then `num_mapping_layers` equalized linear layers with leaky ReLU x sqrt(2).

    Submodule names match the official checkpoint: `layers.0` is the pixel norm, so the linear
    layers are `layers.1` ... `layers.8`.
    """

    def __init__(self, config: GeneratorConfig):
        super().__init__()
        self.config = config
        linears = [
            EqualLinear(config.style_dim, config.style_dim, lr_mul=config.mapping_lr_mul)
            for _ in range(config.num_mapping_layers)
        ]
        self.layers = nn.Sequential(PixelNorm(), *linears)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        if z.ndim != 2 or z.shape[1] != self.config.style_dim:
            raise ValueError(f"z must have shape (B, {self.config.style_dim}), got {tuple(z.shape)}")
        return self.layers(z)
