"""The z-input generator: mapping network, baked truncation and synthesis network in one module."""

from __future__ import annotations

import torch
import torch.nn as nn

from msg_model.fused import FusedSynthesis
from msg_model.mapping_fused import FusedMapping


class TruncatedGenerator(nn.Module):
    """z (B, style_dim) -> image (B, 3, H, W), with truncation psi stored as a constant buffer.

    One call per face: the app draws z from a standard normal and gets an image back.
    """

    def __init__(self, mapping: FusedMapping, synthesis: FusedSynthesis, truncation_psi: float):
        super().__init__()
        if mapping.config.style_dim != synthesis.config.style_dim:
            raise ValueError(
                f"mapping style_dim {mapping.config.style_dim} does not match synthesis style_dim {synthesis.config.style_dim}"
            )
        self.mapping = mapping
        self.synthesis = synthesis
        self.truncation_psi = float(truncation_psi)
        self.register_buffer("psi", torch.full((1, 1), self.truncation_psi))

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        w = self.mapping(z, self.psi.expand(z.shape[0], 1))
        return self.synthesis(w)
