"""The input and output contract of the exported models, in one place for inspect, converters and docs."""

from __future__ import annotations

import dataclasses

from msg_model.config import GeneratorConfig


@dataclasses.dataclass(frozen=True)
class TensorSpec:
    name: str
    shape: tuple[int, ...]
    dtype: str
    description: str


def synthesis_inputs(config: GeneratorConfig) -> dict[str, TensorSpec]:
    """Return the two input kinds of the synthesis network, by name, at batch 1."""
    return {
        "w": TensorSpec("w", (1, config.style_dim), "float32", "latent in W space, from the mapping network"),
        "w_plus": TensorSpec(
            "w_plus", (1, config.num_ws, config.style_dim), "float32", f"{config.num_ws} latents in W+ (style mixing), one per layer"
        ),
    }


def image_output(config: GeneratorConfig) -> TensorSpec:
    side = config.resolution
    return TensorSpec("image", (1, 3, side, side), "float32", "RGB image, NCHW, nominally in [-1, 1]")


def mapping_contract(config: GeneratorConfig) -> tuple[list[TensorSpec], TensorSpec]:
    inputs = [
        TensorSpec("z", (1, config.style_dim), "float32", "standard normal latent"),
        TensorSpec("psi", (1, 1), "float32", "truncation: 1 keeps w, 0 gives the mean w"),
    ]
    return inputs, TensorSpec("w", (1, config.style_dim), "float32", "truncated latent in W space")
