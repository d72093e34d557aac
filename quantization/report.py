"""`python -m quantization.report`: build every quantized and pruned variant of a model and write quantization/RESULTS.md.

Each variant is validated against the float model on seeds 0-7 (truncation 0.5): PSNR and SSIM on
uint8 images, TFLite with the LiteRT interpreter (XNNPACK, 2 threads), CoreML with the reference
runner on Linux. TFLite variants are also timed: interleaved rounds, 2 threads, median per call.
Built artifacts and finished rows are kept in --workdir, so a second run only redoes what is missing.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import logging
import platform
from pathlib import Path

from msg_model.atomic import atomic_path
from msg_model.pretrained import resolve_cache_dir
from msg_model.spec import load_model
from quantization.options import QuantizeOptions
from quantization.report_rows import VariantRow, cached_row, float_row, save_row, variant_row

logger = logging.getLogger(__name__)

DEFAULT_OUTPUT = Path(__file__).with_name("RESULTS.md")
SEEDS = tuple(range(8))
FLOAT_ROWS = (("tflite-fp32", "fp32"), ("tflite-fp16w", "fp16"), ("coreml-fp16", "fp16"))


def variant_options(seeds: tuple[int, ...]) -> list[QuantizeOptions]:
    common = {"seeds": seeds}
    return [
        QuantizeOptions(target="tflite", scheme="int8w", **common),
        QuantizeOptions(target="tflite", scheme="int8-full", **common),
        QuantizeOptions(target="coreml", scheme="int8w", **common),
        QuantizeOptions(target="coreml", scheme="pal6", **common),
        QuantizeOptions(target="coreml", scheme="pal4", **common),
        QuantizeOptions(target="coreml", scheme="w8a8", **common),
        QuantizeOptions(target="tflite", scheme="float", prune=0.25, structured=True, **common),
        QuantizeOptions(target="coreml", scheme="float", prune=0.25, structured=True, **common),
        QuantizeOptions(target="tflite", scheme="float", prune=0.25, **common),
        QuantizeOptions(target="coreml", scheme="float", prune=0.25, **common),
    ]


def build_rows(model_spec: str, workdir: Path, seeds: tuple[int, ...], cache_dir: Path | None) -> list[VariantRow]:
    model = load_model(model_spec, cache_dir=cache_dir)
    artifacts, rows_dir = workdir / "artifacts", workdir / "rows"
    rows = []
    for kind, precision in FLOAT_ROWS:
        row = cached_row(rows_dir, kind)
        if row is None:
            logger.info("building %s", kind)
            row = save_row(rows_dir, float_row(model, kind, precision, artifacts, seeds))
        rows.append(row)
    for options in variant_options(seeds):
        row = cached_row(rows_dir, options.kind)
        if row is None:
            logger.info("building %s", options.kind)
            row = save_row(rows_dir, variant_row(model, options, artifacts, workdir / "float"))
        rows.append(row)
    return rows


def time_tflite(rows: list[VariantRow], rounds: int, warmup: int) -> dict[str, float]:
    """Median seconds per call of every TFLite row, interleaved, with 2 interpreter threads."""
    from benchmarks.candidates import build_run
    from benchmarks.timing import time_interleaved

    runs = {row.kind: build_run({"kind": "tflite", "path": row.path, "threads": 2}) for row in rows if row.target == "tflite"}
    timings = time_interleaved(runs, "tflite-fp32", rounds, warmup)
    return {kind: timing.median for kind, timing in timings.items()}


def number(value: float | None, spec: str) -> str:
    return "–" if value is None else format(value, spec)


def results_table(rows: list[VariantRow], times: dict[str, float]) -> list[str]:
    reference = {row.target: row.size_bytes for row in rows if row.kind in ("tflite-fp32", "coreml-fp16")}
    fp32_size = reference["tflite"]
    lines = [
        "| variant | size (MB) | size / TFLite fp32 | PSNR mean (min) dB | SSIM mean (min) | LiteRT time (2 threads) | validation |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for row in rows:
        seconds = times.get(row.kind)
        timing = "–" if seconds is None else f"{seconds * 1000:.0f} ms ({seconds / times['tflite-fp32']:.2f}x fp32)"
        status = {True: "pass", False: "FAIL", None: "–"}[row.passed]
        lines.append(
            f"| {row.kind} | {row.size_bytes / 1e6:.2f} | {row.size_bytes / fp32_size:.3f} | "
            f"{number(row.psnr_mean, '.2f')} ({number(row.psnr_min, '.2f')}) | {number(row.ssim_mean, '.4f')} ({number(row.ssim_min, '.4f')}) | {timing} | {status} |"
        )
    return lines


def pruning_table(rows: list[VariantRow]) -> list[str]:
    lines = [
        "| variant | pruned | MACs before → after | parameters before → after (non-zero) | PSNR vs unpruned float, mean (min) dB | PSNR vs pruned float, mean dB |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for row in rows:
        if row.pruning is None:
            continue
        p = row.pruning
        what = f"{p['fraction']:.0%} {'hidden channels' if p['structured'] else 'weights'}"
        lines.append(
            f"| {row.kind} | {what} | {p['macs_before'] / 1e9:.2f} G → {p['macs_after'] / 1e9:.2f} G | "
            f"{p['parameters_before']:,} → {p['parameters_after']:,} ({p['nonzero_parameters_after']:,}) | "
            f"{p['psnr_vs_unpruned_mean']:.2f} ({p['psnr_vs_unpruned_min']:.2f}) | {number(row.psnr_mean, '.2f')} |"
        )
    return lines


def machine_line() -> str:
    cpu = "unknown CPU"
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines() if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return f"{cpu}, {platform.system()} {platform.machine()}, Python {platform.python_version()}"


def render(model_spec: str, rows: list[VariantRow], times: dict[str, float], rounds: int, commentary: str) -> str:
    created = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    notes = [f"- {row.kind}: {note}" for row in rows for note in row.notes]
    parts = [
        "# Quantization and pruning results",
        "",
        f"Model `{model_spec}`, validation seeds {SEEDS[0]}-{SEEDS[-1]}, truncation 0.5, PSNR and SSIM on uint8 images against the",
        "float PyTorch model the artifact was made from (the pruned float model for pruned rows). TFLite runs in the LiteRT",
        "interpreter (XNNPACK, 2 threads), CoreML in the toolkit's reference runner on Linux (float16 emulated per op).",
        f"Times: median of {rounds} interleaved calls per model after a warm-up, on {machine_line()}; other work shared",
        "the machine, so compare the ratios in one table, not absolute times across runs.",
        f"Generated by `python -m quantization.report` on {created}.",
        "",
        *results_table(rows, times),
        "",
        "## Structured and unstructured pruning (no fine-tuning)",
        "",
        *pruning_table(rows),
        "",
        commentary.strip(),
        "",
        "## Compression audits",
        "",
        *notes,
        "",
    ]
    return "\n".join(parts)


COMMENTARY = Path(__file__).with_name("RESULTS_NOTES.md")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m quantization.report", description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="pretrained:ffhq", help="model spec (default pretrained:ffhq)")
    parser.add_argument("--workdir", type=Path, default=None, help="folder for artifacts and cached rows (default: quantization-report in the model cache folder)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUTPUT, help="the Markdown file to write")
    parser.add_argument("--rounds", type=int, default=9, help="timed calls per TFLite model")
    parser.add_argument("--cache-dir", type=Path, default=None, help="cache folder of the released model")
    arguments = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")

    workdir = arguments.workdir or resolve_cache_dir(arguments.cache_dir) / "quantization-report"
    rows = build_rows(arguments.model, workdir, SEEDS, arguments.cache_dir)
    times = time_tflite(rows, arguments.rounds, warmup=2)
    commentary = COMMENTARY.read_text(encoding="utf-8") if COMMENTARY.is_file() else ""
    with atomic_path(arguments.out) as temporary:
        temporary.write_text(render(arguments.model, rows, times, arguments.rounds, commentary), encoding="utf-8")
    print(f"wrote {arguments.out}")


if __name__ == "__main__":
    main()
