"""report.html: one self-contained page (inline CSS, PNG data URIs, inline SVG) that fetches nothing."""

from __future__ import annotations

import html
import json
import math

import numpy as np

from validation.report_images import difference_heatmap, png_data_uri, preview
from validation.report_json import json_safe
from validation.report_plot import psnr_plot_svg
from validation.results import ArtifactResult, ValidationResult
from validation.seeds import format_seeds

STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem; color: #222; max-width: 1200px; }
table { border-collapse: collapse; margin: 0.5rem 0 1rem; }
th, td { border: 1px solid #ccc; padding: 0.25rem 0.5rem; text-align: left; font-size: 0.9rem; vertical-align: top; }
th { background: #f3f3f3; }
td.number { text-align: right; font-variant-numeric: tabular-nums; }
.pass { color: #176117; font-weight: bold; }
.fail { color: #b00020; font-weight: bold; }
.muted { color: #666; }
pre { background: #f7f7f7; padding: 0.5rem; white-space: pre-wrap; font-size: 0.8rem; }
img { image-rendering: pixelated; display: block; }
section.artifact { border-top: 2px solid #ddd; margin-top: 2rem; }
"""

METRIC_FORMATS = {
    "psnr_db": ("PSNR (dB, uint8 images)", ".2f"),
    "ssim": ("SSIM", ".5f"),
    "max_abs_error": ("max abs error ([-1, 1] scale)", ".3g"),
    "mean_abs_error": ("mean abs error ([-1, 1] scale)", ".3g"),
    "nonfinite_count": ("NaN/Inf values", ".0f"),
    "image_std": ("image standard deviation (0..255)", ".2f"),
    "reference_image_std": ("reference standard deviation (0..255)", ".2f"),
    "clipped_fraction": ("fraction at 0 or 255", ".4f"),
    "reference_clipped_fraction": ("reference fraction at 0 or 255", ".4f"),
    "w_max_abs_error": ("w max abs error", ".3g"),
    "w_mean_abs_error": ("w mean abs error", ".3g"),
    "w_relative_error": ("w relative error (L2)", ".3g"),
}
MIN_DISPLAY_SIDE = 128
THRESHOLD_OF_METRIC = {"psnr_db": ("min_psnr_db", "≥"), "ssim": ("min_ssim", "≥"), "w_relative_error": ("max_w_relative_error", "≤")}


def escape(value: object) -> str:
    return html.escape(str(value), quote=True)


def number(value: float | None, spec: str = ".4g") -> str:
    if value is None:
        return "–"
    if isinstance(value, float) and math.isinf(value):
        return "∞ (identical)" if value > 0 else "−∞"
    if isinstance(value, float) and math.isnan(value):
        return "NaN"
    return format(value, spec)


def verdict(passed: bool) -> str:
    return '<span class="pass">PASS</span>' if passed else '<span class="fail">FAIL</span>'


def table(header: list[str], rows: list[list[str]]) -> str:
    """Build an HTML table from cells that are already escaped HTML."""
    head = "".join(f"<th>{cell}</th>" for cell in header)
    body = "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def fid_cell(artifact: ArtifactResult) -> str:
    fid = artifact.fid
    if fid.computed:
        return f"{number(fid.fid, '.3f')} (KID {number(fid.kid_mean, '.2e')})"
    return f'<span class="muted">{escape(fid.status)}</span>'


def metric_value(artifact: ArtifactResult, name: str, statistic: str, spec: str) -> str:
    summary = artifact.metrics.get(name)
    return number(getattr(summary, statistic), spec) if summary else "–"


def summary_section(result: ValidationResult) -> str:
    rows = []
    for artifact in result.artifacts:
        rows.append([
            f'<a href="#{anchor(artifact)}">{escape(artifact.info.name)}</a>',
            escape(artifact.info.kind),
            escape(artifact.runner),
            metric_value(artifact, "psnr_db", "mean", ".2f"),
            metric_value(artifact, "psnr_db", "min", ".2f"),
            metric_value(artifact, "ssim", "min", ".5f"),
            metric_value(artifact, "max_abs_error", "max", ".3g"),
            metric_value(artifact, "w_relative_error", "max", ".3g"),
            fid_cell(artifact),
            verdict(artifact.passed),
        ])
    header = ["artifact", "kind", "runner", "PSNR mean dB", "PSNR min dB", "SSIM min", "max abs error", "w relative error", "FID", "result"]
    return "<h2>Summary</h2>" + table(header, rows)


def anchor(artifact: ArtifactResult) -> str:
    return "artifact-" + "".join(c if c.isalnum() else "-" for c in artifact.info.name)


def header_section(result: ValidationResult) -> str:
    reference, options = result.reference, result.options
    failed = sum(not a.passed for a in result.artifacts)
    line = f"all {len(result.artifacts)} artifacts passed" if result.passed else f"{failed} of {len(result.artifacts)} artifacts failed"
    rows = [
        ["reference model", escape(reference.spec)],
        ["reference sha256", escape(reference.source_sha256 or "–")],
        ["reference runner", escape(reference.runner)],
        ["description", escape(reference.description or "–")],
        ["seeds (paired)", escape(format_seeds(options.seeds))],
        ["truncation psi", escape(options.truncation_psi)],
        ["LiteRT settings", escape(f"{options.threads} threads, XNNPACK {'on' if options.xnnpack else 'off'}")],
        ["created", escape(result.created)],
    ]
    return (
        f"<h1>Validation report</h1><p>{verdict(result.passed)} {escape(line)}</p>"
        + table(["", ""], rows)
    )


def plot_section(result: ValidationResult) -> str:
    series = [
        (a.info.name, list(a.metrics["psnr_db"].values), a.thresholds.min_psnr_db)
        for a in result.artifacts
        if "psnr_db" in a.metrics
    ]
    if not series:
        return ""
    return (
        "<h2>PSNR per seed</h2><p class=\"muted\">PSNR of each artifact's uint8 image against the float model's, per seed; "
        "dashed lines are each artifact's minimum. Hollow markers at the top are identical images (infinite PSNR).</p>"
        + psnr_plot_svg(result.options.seeds, series)
    )


def metrics_table(artifact: ArtifactResult) -> str:
    rows = []
    for name, summary in artifact.metrics.items():
        title, spec = METRIC_FORMATS.get(name, (name, ".4g"))
        field, relation = THRESHOLD_OF_METRIC.get(name, (None, ""))
        limit = getattr(artifact.thresholds, field) if field else None
        rows.append([escape(title)] + [f'<span class="number">{number(v, spec)}</span>' for v in (summary.mean, summary.min, summary.max)]
                    + [f"{relation} {number(limit, spec)}" if limit is not None else "–"])
    return table(["metric", "mean", "min", "max", "threshold"], rows)


def per_seed_table(artifact: ArtifactResult) -> str:
    names = [n for n in ("psnr_db", "ssim", "max_abs_error", "mean_abs_error", "nonfinite_count", "w_relative_error", "w_max_abs_error") if n in artifact.metrics]
    rows = []
    for index, seed in enumerate(artifact.seeds):
        rows.append([str(seed)] + [number(artifact.metrics[n].values[index], METRIC_FORMATS[n][1]) for n in names])
    return table(["seed"] + [escape(METRIC_FORMATS[n][0]) for n in names], rows)


def fid_block(artifact: ArtifactResult) -> str:
    fid = artifact.fid
    if not fid.computed:
        lines = [f"<p>FID and KID: <b>{escape(fid.status)}</b> ({escape(fid.reason or 'no reason recorded')}).</p>"]
        if fid.how_to_fix:
            lines.append(f"<p>To compute them: {escape(fid.how_to_fix)}</p>")
        return "".join(lines)
    details = fid.details
    rows = [
        ["FID", number(fid.fid, ".4f")],
        ["KID mean ± std", f"{number(fid.kid_mean, '.3e')} ± {number(fid.kid_std, '.3e')}"],
    ] + [[escape(key), escape(value)] for key, value in details.items()]
    return "<h3>FID and KID against the float model's images</h3>" + table(["", ""], rows)


def image_tag(image: np.ndarray, seed: int) -> str:
    """Build the <img> of a uint8 (H, W, 3) image, drawing small images at least MIN_DISPLAY_SIDE px wide."""
    height, width = image.shape[:2]
    scale = max(1, MIN_DISPLAY_SIDE // width)
    return f'<img src="{png_data_uri(image)}" width="{width * scale}" height="{height * scale}" alt="seed {seed}">'


def grid_caption(artifact: ArtifactResult, gain: float) -> str:
    height, width = artifact.grid[0].reference.shape[1:]
    shown = preview(artifact.grid[0].reference).shape[1]
    if shown < width:
        size = f"Images are {width}×{height}, downscaled to {shown} px wide here (box filter for images, block maximum for differences)."
    else:
        size = f"Images are {width}×{height}, at full resolution."
    return (
        f"<p class=\"muted\">Float model | artifact | |artifact − float| (uint8, max over RGB) × {number(gain, 'g')}, "
        f"clipped at 255, black → red → yellow → white. {size}</p>"
    )


def grid_block(artifact: ArtifactResult, gain: float) -> str:
    if not artifact.grid:
        return ""
    rows = []
    for sample in artifact.grid:
        images = [preview(sample.reference), preview(sample.artifact), difference_heatmap(sample.reference, sample.artifact, gain)]
        rows.append([str(sample.seed)] + [image_tag(image, sample.seed) for image in images])
    header = ["seed", "float", "artifact", f"difference × {number(gain, 'g')}"]
    return "<h3>Images</h3>" + grid_caption(artifact, gain) + table(header, rows)


def artifact_section(artifact: ArtifactResult, gain: float) -> str:
    info = artifact.info
    parts = [
        f'<section class="artifact" id="{anchor(artifact)}"><h2>{escape(info.name)} {verdict(artifact.passed)}</h2>',
        table(["", ""], [
            ["path", escape(info.path)],
            ["kind / role / input / output", escape(f"{info.kind} / {info.role} / {info.input_kind} / {info.image_output}")],
            ["runner", escape(artifact.runner)],
            ["truncation psi", escape(artifact.truncation_psi)],
            ["median time per run", number(artifact.median_seconds_per_run, ".4f") + " s"],
        ]),
    ]
    if artifact.failures:
        parts.append("<h3>Failures</h3><ul>" + "".join(f'<li class="fail">{escape(f.message)}</li>' for f in artifact.failures) + "</ul>")
    if artifact.notes:
        parts.append("<h3>Notes</h3><ul>" + "".join(f"<li>{escape(note)}</li>" for note in artifact.notes) + "</ul>")
    if artifact.metrics:
        parts += ["<h3>Metrics over seeds</h3>", metrics_table(artifact), "<h3>Per seed</h3>", per_seed_table(artifact)]
    parts.append(fid_block(artifact))
    parts.append(grid_block(artifact, gain))
    sidecar = json.dumps(json_safe(info.sidecar), indent=2, sort_keys=True)
    parts.append(f"<h3>Artifact metadata (sidecar)</h3><pre>{escape(sidecar)}</pre></section>")
    return "".join(parts)


def versions_section(result: ValidationResult) -> str:
    rows = [[escape(name), escape(version)] for name, version in result.versions.items()]
    return "<h2>Tool versions</h2>" + table(["tool", "version"], rows)


def report_html_text(result: ValidationResult) -> str:
    """Render the whole page as one string."""
    title = f"Validation report: {'PASS' if result.passed else 'FAIL'}"
    body = [
        header_section(result),
        summary_section(result),
        plot_section(result),
        *(artifact_section(artifact, result.options.difference_gain) for artifact in result.artifacts),
        versions_section(result),
    ]
    return (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>'
        f"<style>{STYLE}</style></head><body>\n" + "\n".join(body) + "\n</body></html>\n"
    )
