"""`msg inspect MODEL`: architecture, size and cost of a generator."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.table import Table

from msg_model.contract import image_output, mapping_contract, synthesis_inputs
from msg_model.spec import SPEC_HELP, load_model
from msg_model.stats import fused_stats, synthesis_stats


def inspect(
    model: str = typer.Argument(..., help=f"Model spec: {SPEC_HELP}."),
    trust_checkpoint: bool = typer.Option(False, "--trust-checkpoint", help="Load a checkpoint pickle that needs classes outside the safe allowlist."),
    cache_dir: Optional[Path] = typer.Option(None, "--cache-dir", help="Cache folder for the released model."),
) -> None:
    loaded = load_model(model, trust_checkpoint=trust_checkpoint, cache_dir=cache_dir)
    config = loaded.config
    if loaded.generator is not None:
        stats = synthesis_stats(loaded.generator.synthesis)
        source_note = "trainable form"
    else:
        stats = fused_stats(loaded.synthesis)
        source_note = "fused form (the source holds only the output path)"

    console = Console()
    console.print(f"[bold]{model}[/bold]  ({source_note})")
    console.print(f"resolution {config.resolution}x{config.resolution}, channels {list(config.channels)}, style_dim {config.style_dim}, num_ws {config.num_ws}")
    console.print(f"synthesis parameters: {stats.parameters:,} total, {stats.output_path_parameters:,} on the path to the output image")
    if loaded.generator is not None:
        mapping_parameters = sum(p.numel() for p in loaded.generator.mapping.parameters())
        console.print(f"mapping network: {mapping_parameters:,} parameters")
    console.print(f"synthesis MACs: {stats.macs:,} total, {stats.output_path_macs:,} on the output path ({stats.output_path_macs / 1e9:.2f} GMAC)")

    table = Table("stage", "resolution", "parameters", "MACs")
    for stage in stats.stages:
        table.add_row(stage.name, str(stage.resolution), f"{stage.parameters:,}", f"{stage.macs:,}")
    console.print(table)

    contract = Table("model", "tensor", "shape", "dtype", "meaning")
    for spec in synthesis_inputs(config).values():
        contract.add_row("synthesis", f"in {spec.name}", str(spec.shape), spec.dtype, spec.description)
    out = image_output(config)
    contract.add_row("synthesis", f"out {out.name}", str(out.shape), out.dtype, out.description)
    mapping_inputs, mapping_output = mapping_contract(config)
    for spec in [*mapping_inputs]:
        contract.add_row("mapping", f"in {spec.name}", str(spec.shape), spec.dtype, spec.description)
    contract.add_row("mapping", f"out {mapping_output.name}", str(mapping_output.shape), mapping_output.dtype, mapping_output.description)
    console.print(contract)
