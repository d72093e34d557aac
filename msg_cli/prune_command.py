"""`msg prune MODEL --sparsity 0.5 [--structured] --out pruned.safetensors`."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from msg_model.spec import SPEC_HELP, load_model
from quantization.pruning import PruneOptions, prune


def prune_command(
    model: str = typer.Argument(..., help=f"Model spec: {SPEC_HELP}."),
    sparsity: float = typer.Option(..., "--sparsity", help="Fraction to remove: of each weight tensor's entries, or with --structured of each layer's hidden channels."),
    structured: bool = typer.Option(False, "--structured", help="Remove whole hidden channels (smaller and faster) instead of zeroing single weights."),
    out: Optional[Path] = typer.Option(None, "--out", help="Output .safetensors (default: pruned-<percent>.safetensors in the current folder)."),
    calibration_samples: int = typer.Option(64, "--calibration-samples", help="Latents used to rank channels (structured only)."),
    truncation: float = typer.Option(0.5, "--truncation", help="Truncation psi of the calibration latents."),
    cache_dir: Optional[Path] = typer.Option(None, "--cache-dir", help="Cache folder for the released model."),
) -> None:
    options = PruneOptions(sparsity, structured, calibration_samples, truncation)
    out = out or Path(f"pruned{options.suffix.removeprefix('-pruned')}.safetensors")
    loaded = load_model(model, cache_dir=cache_dir)
    result = prune(loaded, options, out)
    typer.echo(
        f"wrote {result.path}: parameters {result.parameters_before:,} -> {result.parameters_after:,} "
        f"({result.nonzero_after:,} nonzero), MACs {result.macs_before:,} -> {result.macs_after:,} "
        f"({1 - result.macs_after / result.macs_before:.1%} fewer)"
    )
