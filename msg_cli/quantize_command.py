"""`msg quantize MODEL --target tflite|coreml --scheme SCHEME --out DIR`: a quantized (or pruned) variant, audited and validated."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer

from msg_model.seeds import parse_seeds
from msg_model.spec import SPEC_HELP


def print_validation(validation) -> bool:
    """Print PSNR and SSIM per artifact and every failure; return True when all passed."""
    for artifact in validation.artifacts:
        psnr, ssim = artifact.metrics.get("psnr_db"), artifact.metrics.get("ssim")
        status = "PASS" if artifact.passed else "FAIL"
        measured = "not run"
        if psnr is not None and ssim is not None:
            measured = f"PSNR mean {psnr.mean:.2f} dB (min {psnr.min:.2f}), SSIM mean {ssim.mean:.4f} (min {ssim.min:.4f})"
        limits = artifact.thresholds
        typer.echo(f"{status} {artifact.info.name} ({artifact.info.kind}, {artifact.runner}): {measured}; minimum PSNR {limits.min_psnr_db} dB, SSIM {limits.min_ssim}")
        for failure in artifact.failures:
            typer.echo(f"  {failure.message}", err=True)
    return validation.passed


def quantize_command(
    model: str = typer.Argument(..., help=f"Model spec: {SPEC_HELP}."),
    target: str = typer.Option(..., "--target", help="tflite or coreml."),
    scheme: str = typer.Option(..., "--scheme", help="tflite: int8w, int8-full or float; coreml: int8w, pal6, pal4, w8a8 or float (float is for pruned variants)."),
    out: Path = typer.Option(..., "--out", help="Output folder for NAME.tflite/.mlpackage, NAME.json, NAME.audit.json (and NAME.recipe.json for int8-full)."),
    name: Optional[str] = typer.Option(None, "--name", help="File name without suffix (default: the kind, for example tflite-int8-full)."),
    target_psnr: Optional[float] = typer.Option(None, "--target-psnr", help="int8-full: search the mixed-precision recipe that keeps the fewest op groups in float for this PSNR (dB)."),
    recipe: Optional[Path] = typer.Option(None, "--recipe", help="int8-full: apply a recipe JSON written by an earlier run instead of searching."),
    calibration_samples: int = typer.Option(32, "--calibration-samples", help="Calibration latents for activation ranges (and for channel ranking with --structured)."),
    truncation: float = typer.Option(0.5, "--truncation", help="Truncation psi of the calibration and validation latents."),
    prune: Optional[float] = typer.Option(None, "--prune", help="Prune this fraction first: of each large weight tensor's entries, or with --structured of each layer's hidden channels."),
    structured: bool = typer.Option(False, "--structured", help="With --prune: remove whole hidden channels (a smaller dense model)."),
    weight_threshold: int = typer.Option(2048, "--weight-threshold", min=0, help="coreml: tensors with at most this many elements stay float16 (coremltools' default 2048)."),
    deployment_target: Optional[str] = typer.Option(None, "--deployment-target", help="coreml: iOS16, iOS17 or iOS18 (default: the minimum the scheme needs)."),
    seeds: str = typer.Option("0-7", "--seeds", help='Validation seeds, for example "0-7".'),
    min_psnr: Optional[float] = typer.Option(None, "--min-psnr", help="Minimum PSNR in dB for validation (default: the threshold of the variant)."),
    no_validate: bool = typer.Option(False, "--no-validate", help="Skip the comparison with the float model."),
    workdir: Optional[Path] = typer.Option(None, "--workdir", help="Folder to keep and reuse the float conversions in (default: a temporary folder)."),
    cache_dir: Optional[Path] = typer.Option(None, "--cache-dir", help="Cache folder for the released model."),
    trust_checkpoint: bool = typer.Option(False, "--trust-checkpoint", help="Load a checkpoint pickle that needs classes outside the safe allowlist."),
) -> None:
    from msg_model.spec import load_model
    from quantization.audit import CompressionNotApplied
    from quantization.options import QuantizeOptions
    from quantization.tflite_recipe import load_recipe
    from quantization.variants import build_variant

    options = QuantizeOptions(
        target=target,
        scheme=scheme,
        target_psnr_db=target_psnr,
        recipe=recipe,
        calibration_samples=calibration_samples,
        truncation_psi=truncation,
        prune=prune,
        structured=structured,
        weight_threshold=weight_threshold,
        deployment_target=deployment_target,
        validate=not no_validate,
        seeds=tuple(parse_seeds(seeds)),
        min_psnr_db=min_psnr,
    )
    if recipe is not None:
        load_recipe(recipe)  # a broken recipe file fails here, before the model is converted
    loaded = load_model(model, trust_checkpoint=trust_checkpoint, cache_dir=cache_dir)
    try:
        result = build_variant(loaded, options, out_dir=out, name=name, workdir=workdir, progress=typer.echo)
    except CompressionNotApplied as error:
        typer.echo(f"error: {error}", err=True)
        sys.exit(1)
    typer.echo(f"wrote {result.path} ({result.size_bytes / 1e6:.2f} MB), {result.sidecar.name}, {result.audit_path.name}")
    if result.recipe_path is not None:
        typer.echo(f"recipe: {result.recipe_path} (re-apply with --recipe)")
    if result.validation is not None and not print_validation(result.validation):
        sys.exit(1)
