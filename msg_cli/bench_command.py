"""`msg bench [MODEL]`: speed, size and memory of the phone models next to the OpenVINO peer."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from msg_model.atomic import check_writable
from msg_model.errors import InvalidInputError
from msg_model.spec import SPEC_HELP


def bench(
    model: str = typer.Argument("pretrained:ffhq", help=f"Model spec: {SPEC_HELP}."),
    rounds: int = typer.Option(7, "--rounds", min=1, help="Interleaved timing rounds."),
    warmup: int = typer.Option(2, "--warmup", min=0, help="Untimed calls per candidate before the rounds."),
    threads: int = typer.Option(2, "--threads", min=1, help="Threads for PyTorch, OpenVINO and the multi-threaded TFLite rows."),
    memory: bool = typer.Option(True, "--memory/--no-memory", help="Measure peak memory of each candidate in a fresh process."),
    workdir: Path = typer.Option(Path("benchmarks/work"), "--workdir", help="Where converted models are kept between runs."),
    out: Path = typer.Option(Path("benchmarks/RESULTS.md"), "--out", help="Markdown results page; JSON is written beside it."),
    cache_dir: Optional[Path] = typer.Option(None, "--cache-dir", help="Cache folder for the released model."),
    coreml_sizes: bool = typer.Option(True, "--coreml-sizes/--no-coreml-sizes", help="Convert the CoreML variants to list their sizes."),
    trust_checkpoint: bool = typer.Option(False, "--trust-checkpoint", help="Load a checkpoint pickle that needs classes outside the safe allowlist."),
) -> None:
    from benchmarks.results import duration, write_results
    from benchmarks.suite import SuiteOptions, run_suite

    if out.suffix != ".md":
        raise InvalidInputError(f"--out {str(out)!r} must end in .md: the results page is Markdown, and the JSON goes beside it")
    check_writable(out)
    check_writable(out.with_suffix(".json"))
    options = SuiteOptions(model, rounds, warmup, threads, memory, workdir, cache_dir, coreml_sizes, trust_checkpoint)
    result = run_suite(options, progress=lambda message: typer.echo(message, err=True))
    data = write_results(result, out, out.with_suffix(".json"))
    for row in data["rows"]:
        typer.echo(f"{row['name']:<48} {duration(row['median_s']):>10}  {row['ratio_to_peer']:.2f}x")
    typer.echo(f"wrote {out} and {out.with_suffix('.json')}")
