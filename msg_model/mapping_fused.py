"""The mapping network in inference form: z and psi -> truncated w."""

from __future__ import annotations

import math

import torch
import torch.nn as nn
import torch.nn.functional as F

from msg_model.config import GeneratorConfig
from msg_model.layers import LEAKY_SLOPE


class FusedMapping(nn.Module):
    """Pixel norm, linear layers with their gains folded in, leaky ReLU x sqrt(2), then truncation.

    `forward(z, psi)` takes z (B, style_dim) and psi (B, 1) and returns w_avg + psi * (w - w_avg).
    """

    def __init__(self, config: GeneratorConfig):
        super().__init__()
        self.config = config
        self.linears = nn.ModuleList(nn.Linear(config.style_dim, config.style_dim) for _ in range(config.num_mapping_layers))
        self.register_buffer("w_avg", torch.zeros(1, config.style_dim))

    def map(self, z: torch.Tensor) -> torch.Tensor:
        x = z * torch.rsqrt(torch.mean(z * z, dim=1, keepdim=True) + 1e-8)
        for linear in self.linears:
            x = F.leaky_relu(linear(x), LEAKY_SLOPE) * math.sqrt(2.0)
        return x

    def forward(self, z: torch.Tensor, psi: torch.Tensor) -> torch.Tensor:
        if z.ndim != 2 or z.shape[1] != self.config.style_dim:
            raise ValueError(f"z must have shape (B, {self.config.style_dim}), got {tuple(z.shape)}")
        return self.w_avg + psi * (self.map(z) - self.w_avg)
