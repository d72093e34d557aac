"""`msg deploy [MODEL] [--out deploy/]`: the main job, from a model spec to one folder of phone models."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.table import Table

from converters.deploy_job import DeployOptions, DeployResult, run_deploy
from converters.deploy_job.check_runs import CheckRunError
from converters.deploy_job.state import DEFAULT_MODEL, DEFAULT_OUT_DIR
from msg_model.seeds import parse_seeds
from msg_model.spec import SPEC_HELP


def check_columns(run: dict | None) -> tuple[str, str]:
    """Return (max abs error vs PyTorch, runner name) of an artifact's check run."""
    if not run:
        return "-", "-"
    if not run.get("ran"):
        return "not run", "no runner here"
    errors = run["max_abs_error"].values()
    error_text = f"{max(errors):.1e}" if errors else "not compared"
    return error_text, run["runner"].split(" (")[0]


def result_table(result: DeployResult) -> Table:
    table = Table(title=f"deploy folder {result.folder}")
    for column in ("file", "size", "inputs", "outputs", "max abs err vs PyTorch", "run on"):
        table.add_column(column, overflow="fold")
    runs = {entry["file"]: entry["check_run"] for entry in (result.manifest or {}).get("artifacts", [])}
    for artifact in result.artifacts:
        table.add_row(
            artifact.path.name,
            f"{artifact.size_bytes / 1e6:.2f} MB",
            ", ".join(f"{spec.name} {list(spec.shape)}" for spec in artifact.inputs),
            ", ".join(f"{spec.name} {list(spec.shape)} {spec.dtype}" for spec in artifact.outputs),
            *check_columns(runs.get(artifact.path.name)),
        )
    return table


def deploy_command(
    model: str = typer.Argument(DEFAULT_MODEL, help=f"Model spec: {SPEC_HELP}."),
    out: Path = typer.Option(DEFAULT_OUT_DIR, "--out", help="Output folder; replaced as a whole when every step completes, also when validation fails (so its report can be read; the exit code is then 1)."),
    trust_checkpoint: bool = typer.Option(False, "--trust-checkpoint", help="Load a checkpoint pickle that needs classes outside the safe allowlist."),
    cache_dir: Optional[Path] = typer.Option(None, "--cache-dir", help="Cache folder for the released model."),
    quantized: bool = typer.Option(True, "--quantized/--no-quantized", help="Add the int8 variants: TFLite int8 weights and full int8, CoreML int8 weights."),
    validate: bool = typer.Option(True, "--validate/--no-validate", help="Validate every model against the float model and write report/report.html."),
    seeds: str = typer.Option("0-7", "--seeds", help="Validation seeds, e.g. 0-7 or 0,3,5."),
    truncation: float = typer.Option(0.5, "--truncation", help="Truncation psi of the validation latents."),
    fid_samples: int = typer.Option(1000, "--fid-samples", min=0, help="FID/KID image pairs (0 disables); needs the Inception weights offline."),
    fid_weights: Optional[Path] = typer.Option(None, "--fid-weights", help="Path of torch-fidelity's Inception weights file."),
    require_fid: bool = typer.Option(False, "--require-fid", help="Fail when FID cannot be computed."),
) -> None:
    options = DeployOptions(
        model=model,
        out_dir=out,
        trust_checkpoint=trust_checkpoint,
        cache_dir=cache_dir,
        quantized=quantized,
        validate=validate,
        seeds=tuple(parse_seeds(seeds)),
        truncation_psi=truncation,
        fid_samples=fid_samples,
        fid_weights=fid_weights,
        require_fid=require_fid,
    )
    # The console keeps the real stderr: conversions capture sys.stderr to hide library chatter.
    console = Console(file=sys.stderr)
    with console.status("starting") as status:
        try:
            result = run_deploy(options, on_step=lambda step, index, total: status.update(f"[{index + 1}/{total}] {step.description}"))
        except CheckRunError as error:
            # A converted model that computes NaN or Inf: the deploy folder is left as it was.
            typer.echo(f"error: {error}; {options.out_dir} was not changed", err=True)
            raise typer.Exit(1) from None
    Console().print(result_table(result))
    typer.echo(f"wrote {result.folder.resolve()}")
    if result.validation is not None:
        typer.echo(f"validation report: {(result.folder / 'report' / 'report.html').resolve()}")
        for failure in result.validation.failures:
            typer.echo(f"failed: {failure.message}", err=True)
        if not result.passed:
            raise typer.Exit(1)
