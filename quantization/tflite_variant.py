"""The TFLite half of `build_variant`: float32 conversion, then int8w or int8-full quantization."""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path

from converters import convert, read_sidecar
from msg_model.errors import InvalidInputError
from msg_model.spec import LoadedModel
from quantization.calibration import MIN_CALIBRATION_SAMPLES, calibration_seeds, calibration_ws
from quantization.equalization import EqualizationOptions, equalize
from quantization.options import QuantizeOptions
from quantization.tflite_audit import audit_tflite
from quantization.tflite_recipe import EqualizationSettings, TFLiteRecipe, default_dynamic_groups, load_recipe, save_recipe

logger = logging.getLogger(__name__)

DEFAULT_TARGET_PSNR_DB = 30.0
SENSITIVITY_LATENTS = 8
# Recipes found by the search on released models, used when no --recipe or --target-psnr is given.
BUILT_IN_RECIPES = {"pretrained:ffhq": Path(__file__).with_name("recipes") / "ffhq-int8-full.json"}


def recipe_file(artifact: Path) -> Path:
    """`NAME.recipe.json` beside `NAME.tflite`."""
    return artifact.with_name(f"{artifact.stem}.recipe.json")


def calibration_info(recipe: TFLiteRecipe) -> dict:
    seeds = calibration_seeds(recipe.calibration_samples)
    return {"samples": recipe.calibration_samples, "seeds": f"{seeds[0]}-{seeds[-1]}", "truncation_psi": recipe.truncation_psi}


def float_model_for(model: LoadedModel, recipe: TFLiteRecipe, ws, work: Path) -> Path:
    """Convert the float32 .tflite that `recipe` quantizes: the model as is, or channel-equalized first."""
    from quantization.variants import cached_float_tflite

    if recipe.scheme != "int8-full" or recipe.equalization is None:
        return cached_float_tflite(model, work, "tflite-fp32")
    settings = recipe.equalization

    def equalized(source: LoadedModel) -> LoadedModel:
        options = EqualizationOptions(settings.strength, settings.pointwise_strength)
        return dataclasses.replace(source, synthesis=equalize(source.synthesis, ws, options))

    # The name records everything equalization depends on: the settings and the calibration latents.
    name = f"tflite-fp32-equalized-{settings.strength:g}-{settings.pointwise_strength:g}-n{len(ws)}-psi{recipe.truncation_psi:g}"
    return cached_float_tflite(model, work, name, equalized)


def resolve_recipe(model: LoadedModel, options: QuantizeOptions) -> tuple[TFLiteRecipe, float | None]:
    """Return the recipe to apply, and the target PSNR when a search is still needed (None: apply as is)."""
    if options.recipe is not None:
        recipe = load_recipe(options.recipe)
        if recipe.scheme != options.scheme:
            raise InvalidInputError(f"recipe {str(options.recipe)!r} is for scheme {recipe.scheme}, not {options.scheme}; pass a recipe written for {options.scheme}")
        return recipe, None
    if options.scheme == "int8w":
        # int8w calibrates only the noise maps, which do not depend on the input
        return TFLiteRecipe("int8w", calibration_samples=MIN_CALIBRATION_SAMPLES, truncation_psi=options.truncation_psi), None
    built_in = BUILT_IN_RECIPES.get(model.spec)
    if options.target_psnr_db is None and built_in is not None and built_in.is_file():
        return load_recipe(built_in), None
    base = TFLiteRecipe(
        "int8-full", equalization=EqualizationSettings(), calibration_samples=options.calibration_samples, truncation_psi=options.truncation_psi
    )
    return base, options.target_psnr_db or DEFAULT_TARGET_PSNR_DB


def search(model: LoadedModel, base: TFLiteRecipe, float_path: Path, calibration: dict, target: float, report) -> TFLiteRecipe:
    from quantization.sensitivity import RecipeEvaluator, search_recipe, sensitivity_ws
    from quantization.tflite_quantize import read_float_model

    float_model = read_float_model(float_path)
    inputs = [row[None] for row in sensitivity_ws(model, SENSITIVITY_LATENTS, base.truncation_psi).numpy()]
    evaluator = RecipeEvaluator(float_model, calibration, inputs)
    report(f"searching a mixed-precision recipe for {target:.1f} dB on {len(inputs)} held-out latents")
    return search_recipe(evaluator, base, target, report)


def build_tflite(model: LoadedModel, options: QuantizeOptions, out_dir: Path, name: str, work: Path, report):
    from quantization.tflite_quantize import calibrate, quantize_tflite, read_float_model
    from quantization.variants import BuiltArtifact

    path = out_dir / f"{name}.tflite"
    if options.scheme == "float":
        report("converting to TFLite float32")
        artifact = convert(model, target="tflite", precision="fp32", out_dir=out_dir, name=name)
        audit = audit_tflite(path, path, options.kind, "float", pruned=options.prune is not None and not options.structured)
        return BuiltArtifact(path, read_sidecar(artifact.path), audit, {})

    recipe, target = resolve_recipe(model, options)
    ws = calibration_ws(model, recipe.calibration_samples, recipe.truncation_psi)
    report("converting to TFLite float32" + (" (channel-equalized)" if recipe.equalization else ""))
    float_path = float_model_for(model, recipe, ws, work)
    float_model = read_float_model(float_path)
    if recipe.scheme == "int8w" and options.recipe is None:
        recipe = dataclasses.replace(recipe, dynamic_groups=default_dynamic_groups(float_model.groups, model.config.resolution))
    report(f"calibrating activation ranges on {len(ws)} latents")
    calibration = calibrate(float_model, ws)
    if target is not None:
        recipe = search(model, recipe, float_path, calibration, target, report)
    groups = recipe.dynamic_groups if recipe.scheme == "int8w" else recipe.float_groups
    report(f"quantizing ({recipe.scheme}, {'dynamic range' if recipe.scheme == 'int8w' else 'float'} groups: {', '.join(groups) or 'none'})")
    quantized = quantize_tflite(float_path, recipe, path, calibration=calibration)

    recipe_path = save_recipe(recipe, recipe_file(path))
    extra = {
        "tool": "ai-edge-quantizer",
        "folded_leaky_relu": quantized.folded_leaky_relu,
        "xnnpack_raised_scales": len(quantized.raised_scales),
        "recipe": recipe.to_json(),
        "calibration": calibration_info(recipe),
    }
    audit = audit_tflite(path, float_path, options.kind, recipe.scheme, recipe.float_groups, pruned=options.prune is not None and not options.structured)
    return BuiltArtifact(path, read_sidecar(float_path), audit, extra, recipe_path)
