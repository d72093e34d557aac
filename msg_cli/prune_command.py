"""`msg prune MODEL --sparsity 0.5 [--structured] --out pruned.safetensors`."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from msg_model.atomic import check_writable
from msg_model.errors import InvalidInputError
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
    trust_checkpoint: bool = typer.Option(False, "--trust-checkpoint", help="Load a checkpoint pickle that needs classes outside the safe allowlist."),
) -> None:
    options = PruneOptions(sparsity, structured, calibration_samples, truncation)
    out = out or Path(f"pruned{options.suffix.removeprefix('-pruned')}.safetensors")
    if out.suffix != ".safetensors":
        raise InvalidInputError(f"--out {str(out)!r} must end in .safetensors, the format msg loads pruned models from")
    check_writable(out)
    loaded = load_model(model, trust_checkpoint=trust_checkpoint, cache_dir=cache_dir)
    result = prune(loaded, options, out)
    typer.echo(
        f"wrote {result.path}: parameters {result.parameters_before:,} -> {result.parameters_after:,} "
        f"({result.nonzero_after:,} nonzero), MACs {result.macs_before:,} -> {result.macs_after:,} "
        f"({1 - result.macs_after / result.macs_before:.1%} fewer)"
    )
