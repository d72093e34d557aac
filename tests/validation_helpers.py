"""TFLite test artifacts for the validation tests, built with litert-torch and the contract's sidecar.

Each artifact is converted once per test session into a shared folder, because a conversion
takes a few seconds.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import torch
import torch.nn as nn

from converters.digest import sha256_path, size_bytes
from msg_model.spec import LoadedModel

ARTIFACT_FOLDER = "validation-artifacts"


class NamedSynthesis(nn.Module):
    """w -> {"image": ...}, so the TFLite signature has the contract's names."""

    def __init__(self, synthesis: nn.Module):
        super().__init__()
        self.synthesis = synthesis

    def forward(self, w):
        return {"image": self.synthesis(w)}


class NamedMapping(nn.Module):
    def __init__(self, mapping: nn.Module):
        super().__init__()
        self.mapping = mapping

    def forward(self, z, psi):
        return {"w": self.mapping(z, psi)}


class ConstantImage(nn.Module):
    """A broken synthesis network: every pixel is -1 whatever w is."""

    def __init__(self, resolution: int):
        super().__init__()
        self.resolution = resolution

    def forward(self, w):
        return {"image": (w[:, :1, None, None] * 0.0 - 1.0).expand(1, 3, self.resolution, self.resolution)}


def perturbed_copy(module: nn.Module, relative: float = 0.02, seed: int = 1) -> nn.Module:
    """A copy whose parameters are multiplied by 1 + N(0, relative^2) noise."""
    copied = copy.deepcopy(module)
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for parameter in copied.parameters():
            parameter.mul_(1.0 + relative * torch.randn(parameter.shape, generator=generator))
    return copied.eval()


def sidecar_fields(model: LoadedModel, kind: str, role: str) -> dict:
    """The contract's sidecar fields for a float32 TFLite artifact of `model`."""
    style, resolution = model.config.style_dim, model.config.resolution
    if role == "mapping":
        inputs = [{"name": "z", "shape": [1, style], "dtype": "float32"}, {"name": "psi", "shape": [1, 1], "dtype": "float32"}]
        outputs = [{"name": "w", "shape": [1, style], "dtype": "float32"}]
    else:
        inputs = [{"name": "w", "shape": [1, style], "dtype": "float32"}]
        outputs = [{"name": "image", "shape": [1, 3, resolution, resolution], "dtype": "float32"}]
    return {
        "kind": kind,
        "target": "tflite",
        "role": role,
        "variant": "fp32",
        "input": "z" if role == "mapping" else "w",
        "inputs": inputs,
        "outputs": outputs,
        "image_output": "float",
        "noise_mode": "const",
        "noise_seed": 0,
        "source_model": model.spec,
        "source_sha256": model.source_sha256,
    }


def convert_tflite(module: nn.Module, sample_kwargs: dict, path: Path, sidecar: dict) -> Path:
    """Convert `module` with litert-torch, write `path` and its sidecar; reuse both when present."""
    if not path.exists():
        import litert_torch

        litert_torch.config.show_progress = False
        edge = litert_torch.convert(module.eval(), sample_kwargs=sample_kwargs)
        edge.export(str(path))
    recorded = {**sidecar, "size_bytes": size_bytes(path), "sha256": sha256_path(path)}
    path.with_suffix(".json").write_text(json.dumps(recorded, indent=2), encoding="utf-8")
    return path


def build_artifacts(model: LoadedModel, base: Path) -> dict[str, Path]:
    """good, perturbed and constant synthesis artifacts plus a mapping artifact, all float32 TFLite."""
    folder = base / ARTIFACT_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    style = model.config.style_dim
    w = {"w": torch.zeros(1, style)}
    mapping_inputs = {"z": torch.zeros(1, style), "psi": torch.full((1, 1), 0.5)}
    synthesis_sidecar = sidecar_fields(model, "tflite-fp32", "synthesis")
    return {
        "good": convert_tflite(NamedSynthesis(model.synthesis), w, folder / "good.tflite", synthesis_sidecar),
        "perturbed": convert_tflite(NamedSynthesis(perturbed_copy(model.synthesis)), w, folder / "perturbed.tflite", synthesis_sidecar),
        "constant": convert_tflite(ConstantImage(model.config.resolution), w, folder / "constant.tflite", synthesis_sidecar),
        "mapping": convert_tflite(
            NamedMapping(model.mapping), mapping_inputs, folder / "mapping.tflite", sidecar_fields(model, "mapping-tflite-fp32", "mapping")
        ),
    }
