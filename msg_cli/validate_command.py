"""`msg validate --reference MODEL ARTIFACT... --report DIR`: exit 0 when every artifact passes, 1 when one fails."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from msg_model.seeds import parse_seeds
from msg_model.spec import SPEC_HELP

KIND_HELP = "KIND: a kind (tflite-fp16w), a variant (fp16w) or all; repeatable"


def threshold_table(min_psnr: list[str], min_ssim: list[str], max_w_error: list[str], max_fid: list[str]):
    from validation.thresholds import ThresholdTable, parse_override

    fields = (("min_psnr_db", min_psnr), ("min_ssim", min_ssim), ("max_w_relative_error", max_w_error), ("max_fid", max_fid))
    return ThresholdTable(tuple(parse_override(text, field) for field, texts in fields for text in texts))


def print_summary(result, files) -> None:
    for artifact in result.artifacts:
        psnr = artifact.metrics.get("psnr_db")
        w_error = artifact.metrics.get("w_relative_error")
        if psnr is not None:
            measured = f"PSNR mean {psnr.mean:.2f} dB, min {psnr.min:.2f} dB"
        elif w_error is not None:
            measured = f"w relative error max {w_error.max:.3g}"
        else:
            measured = "not run"
        fid = f"FID {artifact.fid.fid:.3f}" if artifact.fid.computed else f"FID {artifact.fid.status}"
        status = "PASS" if artifact.passed else "FAIL"
        typer.echo(f"{status} {artifact.info.name} ({artifact.info.kind}, {artifact.runner}): {measured}; {fid}")
    typer.echo(f"wrote {files.json} and {files.html}")


def validate_command(
    artifacts: list[Path] = typer.Argument(..., help="Converted models: .tflite files or .mlpackage folders with their NAME.json sidecars, or OpenVINO IR folders."),
    reference: str = typer.Option(..., "--reference", help=f"The float model the artifacts were converted from: {SPEC_HELP}."),
    report: Path = typer.Option(..., "--report", help="Folder for report.json and report.html (created when missing)."),
    seeds: str = typer.Option("0-7", "--seeds", help='Paired seeds, for example "0-7", "0,3,5" or "0-3,9".'),
    truncation: float = typer.Option(0.5, "--truncation", help="Truncation psi of the paired and FID latents (a generator artifact uses its baked psi)."),
    threads: int = typer.Option(2, "--threads", min=1, help="CPU threads of the LiteRT interpreter and OpenVINO."),
    xnnpack: bool = typer.Option(True, "--xnnpack/--no-xnnpack", help="Run LiteRT with the XNNPACK delegate (Android's default) or with the built-in kernels only."),
    fid_samples: int = typer.Option(1000, "--fid-samples", min=0, help="Images per artifact for FID and KID, from seeds 0 to N-1; 0 skips them."),
    fid_weights: Optional[Path] = typer.Option(None, "--fid-weights", help="FID InceptionV3 weights (weights-inception-2015-12-05-6726825d.pth); default: the torch hub cache. Nothing is downloaded."),
    require_fid: bool = typer.Option(False, "--require-fid", help="Fail an image artifact whose FID cannot be computed."),
    min_psnr: Optional[list[str]] = typer.Option(None, "--min-psnr", help=f"KIND=DB: minimum PSNR in dB over seeds; {KIND_HELP}."),
    min_ssim: Optional[list[str]] = typer.Option(None, "--min-ssim", help=f"KIND=VALUE: minimum SSIM over seeds; {KIND_HELP}."),
    max_w_error: Optional[list[str]] = typer.Option(None, "--max-w-error", help=f"KIND=VALUE: maximum relative w error of mapping artifacts; {KIND_HELP}."),
    max_fid: Optional[list[str]] = typer.Option(None, "--max-fid", help=f"KIND=VALUE: maximum FID (no limit by default); {KIND_HELP}."),
    trust_checkpoint: bool = typer.Option(False, "--trust-checkpoint", help="Load a reference checkpoint pickle that needs classes outside the safe allowlist."),
    cache_dir: Optional[Path] = typer.Option(None, "--cache-dir", help="Cache folder for the released model."),
) -> None:
    from rich.progress import Progress

    from msg_model.spec import load_model
    from validation import ValidationOptions, validate, write_report
    from validation.report import report_files

    options = ValidationOptions(
        seeds=tuple(parse_seeds(seeds)),
        truncation_psi=truncation,
        threads=threads,
        xnnpack=xnnpack,
        fid_samples=fid_samples,
        fid_weights=fid_weights,
        require_fid=require_fid,
        thresholds=threshold_table(min_psnr or [], min_ssim or [], max_w_error or [], max_fid or []),
    )
    report_files(report)  # fail on an unwritable --report before the slow runs
    model = load_model(reference, trust_checkpoint=trust_checkpoint, cache_dir=cache_dir)
    with Progress(transient=True) as progress:
        tasks: dict[str, int] = {}

        def report_progress(task: str, completed: int, total: int) -> None:
            if task not in tasks:
                tasks[task] = progress.add_task(task, total=total)
            progress.update(tasks[task], completed=completed)

        result = validate(model, artifacts, options, progress=report_progress)

    files = write_report(result, report)
    print_summary(result, files)
    if not result.passed:
        for failure in result.failures:
            typer.echo(f"failed: {failure.message}", err=True)
        raise typer.Exit(code=1)
