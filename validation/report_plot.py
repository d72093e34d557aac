"""An inline SVG line plot of PSNR per seed, one line per artifact, drawn without a plotting library.

The SVG is inline HTML5, which needs no xmlns attribute, so the plot contains no URL.
"""

from __future__ import annotations

import html
import math

WIDTH, HEIGHT = 800, 320
MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP, MARGIN_BOTTOM = 56, 260, 16, 40
LEGEND_CHARACTERS = 38
COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf")


def value_range(series: list[tuple[str, list[float], float | None]]) -> tuple[float, float]:
    """Bottom and top of the y axis in dB: finite values and thresholds, padded, at least 10 dB tall."""
    finite = [v for _, values, _ in series for v in values if math.isfinite(v)]
    finite += [t for _, _, t in series if t is not None]
    low, high = (min(finite), max(finite)) if finite else (0.0, 60.0)
    low, high = math.floor(low / 5) * 5 - 5, math.ceil(high / 5) * 5 + 5
    return (low, max(high, low + 10))


def psnr_plot_svg(seeds: tuple[int, ...], series: list[tuple[str, list[float], float | None]]) -> str:
    """SVG of PSNR (dB) per seed: `series` contains (label, values in seed order, threshold or None).

    Infinite PSNR (identical images) is drawn at the top edge with a hollow marker.
    """
    low, high = value_range(series)
    plot_width, plot_height = WIDTH - MARGIN_LEFT - MARGIN_RIGHT, HEIGHT - MARGIN_TOP - MARGIN_BOTTOM

    def x_of(index: int) -> float:
        return MARGIN_LEFT + (plot_width * (index + 0.5) / max(1, len(seeds)))

    def y_of(value: float) -> float:
        clipped = high if not math.isfinite(value) else min(max(value, low), high)
        return MARGIN_TOP + plot_height * (high - clipped) / (high - low)

    parts = [f'<svg width="{WIDTH}" height="{HEIGHT}" role="img" aria-label="PSNR per seed">']
    parts += axes_svg(seeds, low, high, x_of, y_of, plot_width)
    for number, (label, values, threshold) in enumerate(series):
        color = COLORS[number % len(COLORS)]
        parts += series_svg(values, threshold, color, x_of, y_of, plot_width)
        legend_y = MARGIN_TOP + 14 + 18 * number
        parts.append(f'<rect x="{WIDTH - MARGIN_RIGHT + 12}" y="{legend_y - 9}" width="12" height="3" fill="{color}"/>')
        shown = label if len(label) <= LEGEND_CHARACTERS else label[: LEGEND_CHARACTERS - 1] + "…"
        parts.append(f'<text x="{WIDTH - MARGIN_RIGHT + 30}" y="{legend_y - 3}" font-size="11">{html.escape(shown)}</text>')
    parts.append("</svg>")
    return "\n".join(parts)


def axes_svg(seeds, low, high, x_of, y_of, plot_width) -> list[str]:
    parts = []
    step = 5 if high - low <= 40 else 10
    for tick in range(int(low), int(high) + 1, step):
        y = y_of(tick)
        parts.append(f'<line x1="{MARGIN_LEFT}" y1="{y:.1f}" x2="{MARGIN_LEFT + plot_width}" y2="{y:.1f}" stroke="#e5e5e5"/>')
        parts.append(f'<text x="{MARGIN_LEFT - 6}" y="{y + 4:.1f}" font-size="11" text-anchor="end">{tick}</text>')
    label_every = max(1, len(seeds) // 16)
    for index, seed in enumerate(seeds):
        if index % label_every == 0:
            parts.append(f'<text x="{x_of(index):.1f}" y="{HEIGHT - MARGIN_BOTTOM + 16}" font-size="11" text-anchor="middle">{seed}</text>')
    parts.append(f'<text x="{MARGIN_LEFT + plot_width / 2:.1f}" y="{HEIGHT - 6}" font-size="12" text-anchor="middle">seed</text>')
    parts.append(f'<text x="14" y="{MARGIN_TOP + 10}" font-size="12">dB</text>')
    return parts


def series_svg(values, threshold, color, x_of, y_of, plot_width) -> list[str]:
    parts = []
    if threshold is not None:
        y = y_of(threshold)
        parts.append(f'<line x1="{MARGIN_LEFT}" y1="{y:.1f}" x2="{MARGIN_LEFT + plot_width}" y2="{y:.1f}" stroke="{color}" stroke-dasharray="5,4" opacity="0.7"/>')
    points = " ".join(f"{x_of(i):.1f},{y_of(v):.1f}" for i, v in enumerate(values))
    parts.append(f'<polyline points="{points}" fill="none" stroke="{color}" stroke-width="1.5"/>')
    for index, value in enumerate(values):
        fill = color if math.isfinite(value) else "white"
        title = "inf (identical images)" if not math.isfinite(value) else f"{value:.2f} dB"
        parts.append(f'<circle cx="{x_of(index):.1f}" cy="{y_of(value):.1f}" r="3" fill="{fill}" stroke="{color}"><title>{title}</title></circle>')
    return parts
