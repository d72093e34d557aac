"""`msg convert MODEL --target coreml|tflite --out DIR`: one converted model plus its sidecar."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console

from converters.api import convert_with_options
from converters.options import DEPLOYMENT_TARGETS, IMAGE_OUTPUTS, INPUT_KINDS, PRECISIONS, TARGETS, ConvertOptions
from msg_model.errors import InvalidInputError
from msg_model.spec import SPEC_HELP, load_model


def convert_command(
    model: str = typer.Argument(..., help=f"Model spec: {SPEC_HELP}."),
    target: str = typer.Option(..., "--target", help=f"Output format: {' or '.join(TARGETS)}."),
    precision: Optional[str] = typer.Option(
        None, "--precision", help=f"{' or '.join(PRECISIONS)}; default fp16 for coreml (fp16 compute), fp32 for tflite. tflite fp16 stores fp16 weights and computes in fp32."
    ),
    input_kind: str = typer.Option("w", "--input", help=f"Model input: {', '.join(INPUT_KINDS)} (z bakes the mapping network and truncation in)."),
    image_output: str = typer.Option("float", "--image-output", help=f"Image output: {', '.join(IMAGE_OUTPUTS)}; float is [-1, 1], uint8 is RGB 0..255, image is a CoreML image (CVPixelBuffer)."),
    truncation: Optional[float] = typer.Option(None, "--truncation", help="Truncation psi baked into an --input z model (default 0.5)."),
    deployment_target: Optional[str] = typer.Option(None, "--deployment-target", help=f"CoreML minimum deployment target: {', '.join(DEPLOYMENT_TARGETS)} (default iOS16)."),
    mapping: bool = typer.Option(False, "--mapping", help="Convert the mapping network (inputs z and psi, output w) instead of an image model."),
    out: Path = typer.Option(Path("converted"), "--out", help="Output folder; NAME.tflite or NAME.mlpackage and NAME.json are written there."),
    name: Optional[str] = typer.Option(None, "--name", help="File name without suffix (default from the kind, e.g. synthesis-coreml-fp16)."),
    trust_checkpoint: bool = typer.Option(False, "--trust-checkpoint", help="Load a checkpoint pickle that needs classes outside the safe allowlist."),
    cache_dir: Optional[Path] = typer.Option(None, "--cache-dir", help="Cache folder for the released model."),
) -> None:
    options = ConvertOptions(
        target=target,
        precision=precision,
        input_kind=input_kind,
        image_output=image_output,
        truncation_psi=0.5 if truncation is None else truncation,
        deployment_target=deployment_target,
        mapping=mapping,
    )
    if truncation is not None and options.role != "generator":
        raise InvalidInputError(f"--truncation {truncation:g} applies only to --input z, where psi is baked in; other models take w or psi as input")

    # The console keeps the real stderr: conversions capture sys.stderr to hide library chatter.
    console = Console(file=sys.stderr)
    with console.status("loading the model") as status:
        loaded = load_model(model, trust_checkpoint=trust_checkpoint, cache_dir=cache_dir)
        artifact = convert_with_options(loaded, options, out_dir=out, name=name, progress=lambda step: status.update(step))
    typer.echo(f"wrote {artifact.summary()} in {out}")
