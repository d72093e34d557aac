"""A whole generator: mapping network, synthesis network and the mean w used for truncation."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn as nn

from msg_model.config import GeneratorConfig
from msg_model.mapping import MappingNetwork
from msg_model.synthesis import NoiseMode, SynthesisNetwork

W_AVG_SAMPLES = 4096
W_AVG_SEED = 0


def truncate(w: torch.Tensor, w_avg: torch.Tensor, psi: float | torch.Tensor) -> torch.Tensor:
    """Apply the truncation trick w' = w_avg + psi * (w - w_avg), exactly at psi 0 and 1."""
    return torch.lerp(w_avg.expand_as(w), w, psi)


def z_from_seed(seed: int, style_dim: int = 512) -> torch.Tensor:
    """Return the latent NVlabs' generators draw for `seed`: RandomState(seed).randn(1, style_dim), float32."""
    return torch.from_numpy(np.random.RandomState(seed).randn(1, style_dim).astype(np.float32))


def z_from_seeds(seeds: list[int], style_dim: int = 512) -> torch.Tensor:
    return torch.cat([z_from_seed(seed, style_dim) for seed in seeds])


class Generator(nn.Module):
    """z -> image. `w_avg` (1, style_dim) is the centre of truncation."""

    def __init__(self, config: GeneratorConfig, noise_seed: int = 0):
        super().__init__()
        self.config = config
        self.mapping = MappingNetwork(config)
        self.synthesis = SynthesisNetwork(config, noise_seed=noise_seed)
        self.register_buffer("w_avg", torch.zeros(1, config.style_dim))

    @torch.no_grad()
    def compute_w_avg(self, num_samples: int = W_AVG_SAMPLES, seed: int = W_AVG_SEED) -> torch.Tensor:
        """Store and return the mean of `num_samples` mapped z drawn from `seed`."""
        generator = torch.Generator().manual_seed(seed)
        z = torch.randn(num_samples, self.config.style_dim, generator=generator)
        self.w_avg.copy_(self.mapping(z).mean(dim=0, keepdim=True))
        return self.w_avg

    def map(self, z: torch.Tensor, truncation_psi: float = 1.0) -> torch.Tensor:
        return truncate(self.mapping(z), self.w_avg, truncation_psi)

    def forward(self, z: torch.Tensor, truncation_psi: float = 1.0, noise_mode: NoiseMode = "const") -> torch.Tensor:
        return self.synthesis(self.map(z, truncation_psi), noise_mode=noise_mode)
