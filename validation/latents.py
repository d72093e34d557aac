"""The latents fed to every runner: z from a seed, w from the float mapping network with truncation."""

from __future__ import annotations

import dataclasses

import numpy as np
import torch

from msg_model.drawing import latents_for_seeds
from msg_model.generator import z_from_seeds
from msg_model.spec import LoadedModel


@dataclasses.dataclass(frozen=True)
class Latents:
    """z and truncated w for each seed, float32, one row per seed."""

    seeds: tuple[int, ...]
    z: np.ndarray  # (N, style_dim)
    w: np.ndarray  # (N, style_dim), mapped by the reference mapping network and truncated
    truncation_psi: float

    def __len__(self) -> int:
        return len(self.seeds)


@torch.no_grad()
def make_latents(model: LoadedModel, seeds: tuple[int, ...] | list[int], truncation_psi: float) -> Latents:
    """z = `z_from_seed(seed)` (NVlabs' RandomState draw) and w = mapping(z) truncated by `truncation_psi`."""
    seeds = tuple(seeds)
    z = z_from_seeds(list(seeds), model.config.style_dim)
    w = latents_for_seeds(model, list(seeds), truncation_psi)  # one seed at a time, so w does not depend on the list
    return Latents(seeds=seeds, z=z.numpy(), w=w.numpy().astype(np.float32), truncation_psi=float(truncation_psi))


def artifact_inputs(input_kind: str, latents: Latents, index: int, num_ws: int) -> dict[str, np.ndarray]:
    """Return the batch-1 inputs of sample `index` under the contract's tensor names.

    `w` gives (1, D), `w_plus` repeats w over all `num_ws` layers (1, num_ws, D), `z` gives (1, D);
    a mapping artifact gets `z` plus `psi` (1, 1).
    """
    if input_kind == "w":
        return {"w": latents.w[index : index + 1]}
    if input_kind == "w_plus":
        return {"w_plus": np.repeat(latents.w[index : index + 1, None, :], num_ws, axis=1)}
    if input_kind == "z":
        return {"z": latents.z[index : index + 1]}
    if input_kind == "z_psi":
        psi = np.full((1, 1), latents.truncation_psi, dtype=np.float32)
        return {"z": latents.z[index : index + 1], "psi": psi}
    raise ValueError(f"unknown input kind {input_kind!r}; expected w, w_plus, z or z_psi")
