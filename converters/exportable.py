"""The module to export for one conversion, with its sample inputs and the description of its tensors."""

from __future__ import annotations

import dataclasses
import logging

import torch
import torch.nn as nn

from converters.generator_model import TruncatedGenerator
from converters.image_output import ImageOutput, describe_image, output_dtype
from converters.options import ConvertOptions
from converters.wrappers import GeneratorFromZ, MappingWithPsi, SynthesisFromW, SynthesisFromWPlus
from msg_model.contract import TensorSpec
from msg_model.generator import z_from_seed
from msg_model.spec import LoadedModel

logger = logging.getLogger(__name__)

SAMPLE_SEED = 0  # seed of the sample z used for tracing; the values do not change the exported graph
SAMPLE_PSI = 0.5


@dataclasses.dataclass(frozen=True)
class ExportableModel:
    """A module `forward(**inputs) -> dict[name, tensor]` plus what its inputs and outputs are.

    `sample_inputs` follows the order of the forward arguments, which is the order of `inputs`.
    """

    module: nn.Module
    sample_inputs: dict[str, torch.Tensor]
    inputs: tuple[TensorSpec, ...]
    outputs: tuple[TensorSpec, ...]


def ensure_eval(module: nn.Module) -> None:
    """Switch a module left in training mode to eval mode, with a warning."""
    training = [name or "(root)" for name, sub in module.named_modules() if sub.training]
    if training:
        logger.warning(
            "%d module(s) of %s were in training mode (first: %s); switched to eval mode for export",
            len(training), type(module).__name__, training[0],
        )
        module.eval()


def latent_specs(model: LoadedModel, options: ConvertOptions) -> dict[str, TensorSpec]:
    """Describe the input tensors of every role and input kind at batch 1: shapes, dtypes and value ranges."""
    config = model.config
    style_dim, num_ws = config.style_dim, config.num_ws
    psi = options.truncation_psi
    return {
        "w": TensorSpec("w", (1, style_dim), "float32", f"latent w (1, {style_dim}) float32: the output `w` of the mapping model (truncation applied there)"),
        "w_plus": TensorSpec(
            "w_plus", (1, num_ws, style_dim), "float32",
            f"latents W+ (1, {num_ws}, {style_dim}) float32, one w per layer in forward order (style mixing)",
        ),
        "z": TensorSpec(
            "z", (1, style_dim), "float32",
            f"latent z (1, {style_dim}) float32, standard normal"
            + ("" if options.role == "mapping" else f"; mapping network and truncation psi={psi:g} are inside the model"),
        ),
        "psi": TensorSpec("psi", (1, 1), "float32", "truncation psi (1, 1) float32: 1 keeps w, 0 gives the mean face; 0.5 to 0.7 is typical"),
        "w_out": TensorSpec("w", (1, style_dim), "float32", f"latent w (1, {style_dim}) float32 = w_avg + psi * (mapping(z) - w_avg), the input of the synthesis model"),
    }


def image_spec(model: LoadedModel, options: ConvertOptions) -> TensorSpec:
    side = model.config.resolution
    dtype = output_dtype(options.image_output, options.target)
    return TensorSpec("image", (1, 3, side, side), dtype, describe_image(options.image_output, options.target, side))


def sample_latents(model: LoadedModel) -> dict[str, torch.Tensor]:
    """Seeded sample inputs of every kind, from the model's own mapping network."""
    z = z_from_seed(SAMPLE_SEED, model.config.style_dim)
    psi = torch.full((1, 1), SAMPLE_PSI)
    with torch.no_grad():
        w = model.mapping(z, psi)
    return {"z": z, "psi": psi, "w": w, "w_plus": w[:, None, :].repeat(1, model.config.num_ws, 1)}


def build_exportable(model: LoadedModel, options: ConvertOptions) -> ExportableModel:
    """Wrap the fused mapping or synthesis network of `model` for the role, input and image output in `options`."""
    ensure_eval(model.mapping)
    if options.role != "mapping":
        ensure_eval(model.synthesis)
    specs = latent_specs(model, options)
    samples = sample_latents(model)
    if options.role == "mapping":
        return ExportableModel(
            MappingWithPsi(model.mapping).eval(),
            {"z": samples["z"], "psi": samples["psi"]},
            (specs["z"], specs["psi"]),
            (specs["w_out"],),
        )

    integer_dtype = torch.uint8 if options.target == "tflite" else torch.int32
    image_output = ImageOutput(options.image_output, integer_dtype)
    if options.role == "generator":
        generator = TruncatedGenerator(model.mapping, model.synthesis, options.truncation_psi)
        module: nn.Module = GeneratorFromZ(generator, image_output)
    elif options.input_kind == "w_plus":
        module = SynthesisFromWPlus(model.synthesis, image_output)
    else:
        module = SynthesisFromW(model.synthesis, image_output)
    name = options.sidecar_input
    return ExportableModel(module.eval(), {name: samples[name]}, (specs[name],), (image_spec(model, options),))
