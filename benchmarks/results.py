"""Write the benchmark results as a Markdown page and JSON."""

from __future__ import annotations

import datetime
import json
from importlib import metadata
from pathlib import Path

from benchmarks.suite import PEER, SuiteResult
from msg_model.atomic import atomic_path

VERSIONED_PACKAGES = ("torch", "ai-edge-litert", "litert-torch", "coremltools", "openvino", "numpy")


def package_versions() -> dict[str, str]:
    versions = {}
    for package in VERSIONED_PACKAGES:
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = "not installed"
    return versions


def file_size(path: Path | None) -> int | None:
    if path is None or not path.exists():
        return None
    if path.is_dir():
        return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())
    return path.stat().st_size


def result_rows(result: SuiteResult) -> list[dict]:
    rows = []
    for candidate in result.candidates:
        timing = result.timings[candidate.name]
        low, high = timing.spread
        rows.append(
            {
                "name": candidate.name,
                "median_s": timing.median,
                "iqr_s": [low, high],
                "ratio_to_peer": timing.median_ratio,
                "seconds": list(timing.seconds),
                "peak_rss_bytes": result.memory.get(candidate.name),
                "file": str(candidate.file) if candidate.file else None,
                "file_bytes": file_size(candidate.file),
                "note": candidate.note,
            }
        )
    return rows


def to_json(result: SuiteResult, date: str) -> dict:
    sizes = {kind: file_size(path) for kind, path in result.artifacts.items()}
    return {
        "model": result.model,
        "date": date,
        "machine": result.machine,
        "versions": package_versions(),
        "peer": PEER,
        "macs": result.macs,
        "parameters": result.parameters,
        "rows": result_rows(result),
        "artifact_sizes": sizes,
    }


def duration(seconds: float) -> str:
    return f"{seconds:.3f} s" if seconds >= 1 else f"{seconds * 1000:.1f} ms"


def megabytes(value: int | None) -> str:
    return "n/a" if value is None else f"{value / 1e6:.1f} MB"


def to_markdown(data: dict) -> str:
    lines = [
        "# Benchmark results",
        "",
        f"Model `{data['model']}`, batch 1, measured {data['date']} with `python -m benchmarks` (`msg bench`).",
        f"Machine: {data['machine']['cpu']}, {data['machine']['cores']} cores, {data['machine']['platform']}, Python {data['machine']['python']}.",
        "Versions: " + ", ".join(f"{name} {version}" for name, version in data["versions"].items()) + ".",
        f"Load average (1, 5, 15 min) when the run started: {data['machine'].get('load_average', 'unknown')}; "
        "other work on the machine slows OpenVINO's threads more than LiteRT's, so compare runs made on a quiet machine.",
        f"Fused student: {data['parameters']:,} parameters, {data['macs'] / 1e9:.2f} GMAC (conv and matmul, counted by torch's FLOP counter).",
        "",
        "Times are medians over interleaved rounds (every round runs each candidate once, in a shuffled order);",
        f"the ratio is the median over rounds of the candidate's time divided by the peer's ({data['peer']}) in the same round.",
        "Peak memory is the resident set of a fresh process that loads the candidate and draws one image.",
        "",
        "| candidate | median | IQR | ratio to peer | peak memory | file | note |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for row in data["rows"]:
        low, high = row["iqr_s"]
        lines.append(
            f"| {row['name']} | {duration(row['median_s'])} | {duration(low)} - {duration(high)} | {row['ratio_to_peer']:.2f}x "
            f"| {megabytes(row['peak_rss_bytes'])} | {megabytes(row['file_bytes'])} | {row['note']} |"
        )
    lines += ["", "## Artifact sizes", "", "| artifact | size |", "| --- | --- |"]
    lines += [f"| {kind} | {megabytes(size)} |" for kind, size in data["artifact_sizes"].items()]
    lines.append("")
    lines.append("CoreML artifacts are listed by size only: no Core ML runtime exists on Linux.")
    return "\n".join(lines) + "\n"


def write_results(result: SuiteResult, markdown_path: Path, json_path: Path) -> dict:
    date = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    data = to_json(result, date)
    with atomic_path(json_path) as temporary:
        temporary.write_text(json.dumps(data, indent=2) + "\n")
    with atomic_path(markdown_path) as temporary:
        temporary.write_text(to_markdown(data))
    return data
