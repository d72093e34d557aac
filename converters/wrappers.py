"""Modules whose argument names and returned dict keys are the converted model's tensor names.

litert-torch takes input names from `sample_kwargs`, which are these argument names, and output
names from the keys of a returned dict. torch.export keeps both, and the CoreML converter gets the
same names through its `inputs` and `outputs` lists.
"""

from __future__ import annotations

import torch
import torch.nn as nn

from converters.image_output import ImageOutput


class SynthesisFromW(nn.Module):
    """w (B, style_dim) -> {"image": ...}."""

    def __init__(self, synthesis: nn.Module, image_output: ImageOutput):
        super().__init__()
        self.synthesis = synthesis
        self.image_output = image_output

    def forward(self, w: torch.Tensor) -> dict[str, torch.Tensor]:
        return {"image": self.image_output(self.synthesis(w))}


class SynthesisFromWPlus(nn.Module):
    """w_plus (B, num_ws, style_dim) -> {"image": ...}: one w per layer, for style mixing."""

    def __init__(self, synthesis: nn.Module, image_output: ImageOutput):
        super().__init__()
        self.synthesis = synthesis
        self.image_output = image_output

    def forward(self, w_plus: torch.Tensor) -> dict[str, torch.Tensor]:
        return {"image": self.image_output(self.synthesis(w_plus))}


class GeneratorFromZ(nn.Module):
    """z (B, style_dim) -> {"image": ...} through a generator with truncation inside."""

    def __init__(self, generator: nn.Module, image_output: ImageOutput):
        super().__init__()
        self.generator = generator
        self.image_output = image_output

    def forward(self, z: torch.Tensor) -> dict[str, torch.Tensor]:
        return {"image": self.image_output(self.generator(z))}


class MappingWithPsi(nn.Module):
    """z (B, style_dim) and psi (B, 1) -> {"w": w_avg + psi * (mapping(z) - w_avg)}."""

    def __init__(self, mapping: nn.Module):
        super().__init__()
        self.mapping = mapping

    def forward(self, z: torch.Tensor, psi: torch.Tensor) -> dict[str, torch.Tensor]:
        return {"w": self.mapping(z, psi)}
