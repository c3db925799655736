"""Small server-rendered SVG charts (no script, no CDN, no style attributes: the console's
CSP allows neither). Every chart has a title for screen readers and sits next to a table
with the same numbers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

# Colour-blind-safe (Okabe–Ito) series colours, each >= 3:1 against white.
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#8a6d00", "#56606b")


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[float]


def _legend(series: Sequence[Series], *, y: int) -> list[str]:
    parts, x = [], 0
    for i, s in enumerate(series):
        parts.append(f'<rect x="{x}" y="{y}" width="12" height="12" '
                     f'fill="{PALETTE[i % len(PALETTE)]}"/>')
        parts.append(f'<text x="{x + 16}" y="{y + 11}" font-size="12">{escape(s.name)}</text>')
        x += 24 + 7 * len(s.name)
    return parts


def stacked_bars(
    *, title: str, labels: Sequence[str], series: Sequence[Series], width: int = 640
) -> str:
    """One horizontal bar per label, split into the series (e.g. unchanged/edited/rewritten)."""
    row, label_w, top = 26, 200, 8
    height = top + row * len(labels) + 36
    totals = [sum(s.values[i] for s in series) for i in range(len(labels))]
    scale = (width - label_w - 50) / max(max(totals, default=0), 1)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
             f'viewBox="0 0 {width} {height}" width="{width}" height="{height}">'
             f'<title>{escape(title)}</title>']
    for i, label in enumerate(labels):
        y = top + i * row
        short = label if len(label) <= 28 else label[:27] + "…"
        parts.append(f'<text x="{label_w - 6}" y="{y + 15}" font-size="12" '
                     f'text-anchor="end">{escape(short)}</text>')
        x = float(label_w)
        for j, s in enumerate(series):
            w = s.values[i] * scale
            if w > 0:
                parts.append(f'<rect x="{x:.1f}" y="{y + 3}" width="{w:.1f}" height="16" '
                             f'fill="{PALETTE[j % len(PALETTE)]}"/>')
            x += w
        parts.append(f'<text x="{x + 4:.1f}" y="{y + 15}" font-size="12">'
                     f'{totals[i]:g}</text>')
    parts += _legend(series, y=height - 20)
    parts.append("</svg>")
    return "".join(parts)


def line_chart(
    *, title: str, x_labels: Sequence[str], series: Sequence[Series], width: int = 640,
    height: int = 220,
) -> str:
    """Weekly counts as lines, one per series, with the x labels under the axis."""
    left, right, top, bottom = 36, 40, 10, 56
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = max((v for s in series for v in s.values), default=0) or 1
    step = plot_w / max(len(x_labels) - 1, 1)

    def point(i: int, v: float) -> str:
        return f"{left + i * step:.1f},{top + plot_h - v / peak * plot_h:.1f}"

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
             f'viewBox="0 0 {width} {height}" width="{width}" height="{height}">'
             f'<title>{escape(title)}</title>',
             f'<line x1="{left}" y1="{top + plot_h}" x2="{width - right}" y2="{top + plot_h}" '
             f'stroke="#6b717b"/>',
             f'<text x="{left - 6}" y="{top + 10}" font-size="11" text-anchor="end">'
             f'{peak:g}</text>',
             f'<text x="{left - 6}" y="{top + plot_h}" font-size="11" text-anchor="end">0</text>']
    for i, label in enumerate(x_labels):
        parts.append(f'<text x="{left + i * step:.1f}" y="{top + plot_h + 16}" font-size="11" '
                     f'text-anchor="middle">{escape(label)}</text>')
    for j, s in enumerate(series):
        colour = PALETTE[j % len(PALETTE)]
        points = " ".join(point(i, v) for i, v in enumerate(s.values))
        parts.append(f'<polyline points="{points}" fill="none" stroke="{colour}" '
                     f'stroke-width="2"/>')
    parts += _legend(series, y=height - 20)
    parts.append("</svg>")
    return "".join(parts)
