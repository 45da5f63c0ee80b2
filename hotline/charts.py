"""Bar charts of suppressed figures, drawn as SVG on the server: no script, no other origin, nothing but
attributes (the pages' Content-Security-Policy allows no inline style). Used by the exit-interview analytics and
by the annual report, on the page and in its PDF (fpdf2 draws the same SVG).

A chart shows exactly what its table shows: a hidden figure gets no bar at all, only the words its table cell
has ("fewer than 5" or "withheld"), so a bar's length can never give a hidden count back. Every chart has a
title and a description for screen readers, and its table is on the same page.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

BAR_HEIGHT = 22
GAP = 8
LABEL_WIDTH = 210
BAR_WIDTH = 300
FIGURE_WIDTH = 150
INK, MUTED, ACCENT = "#1b1f23", "#4a5560", "#0b5cad"


@dataclass(frozen=True)
class Bar:
    label: str
    value: float | None  # None: hidden, shown as ``note`` only
    note: str  # what the bar's figure reads as: "12", "fewer than 5", "withheld", "+20"


def bar_chart(chart_id: str, title: str, bars: Sequence[Bar], *, signed: bool = False) -> Markup:
    """Horizontal bars, one per category; ``signed`` draws -100..100 about a middle axis (the recommend score)."""
    height = len(bars) * (BAR_HEIGHT + GAP) + GAP
    width = LABEL_WIDTH + BAR_WIDTH + FIGURE_WIDTH
    largest = max((abs(bar.value) for bar in bars if bar.value is not None), default=0) or 1
    scale = 100 if signed else largest
    parts = [
        f'<svg class="chart" id="{escape(chart_id)}" role="img" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg" font-family="DejaVu Sans, sans-serif" '
        f'aria-labelledby="{escape(chart_id)}-title {escape(chart_id)}-desc">',
        f'<title id="{escape(chart_id)}-title">{escape(title)}</title>',
        f'<desc id="{escape(chart_id)}-desc">{escape("; ".join(f"{b.label}: {b.note}" for b in bars))}</desc>',
    ]
    middle = LABEL_WIDTH + (BAR_WIDTH // 2 if signed else 0)
    if signed:
        parts.append(f'<line x1="{middle}" y1="0" x2="{middle}" y2="{height}" stroke="{MUTED}" stroke-width="1"/>')
    for index, bar in enumerate(bars):
        y = GAP + index * (BAR_HEIGHT + GAP)
        text_y = y + BAR_HEIGHT - 6
        parts.append(f'<text x="{LABEL_WIDTH - 8}" y="{text_y}" text-anchor="end" font-size="13" '
                     f'fill="{INK}">{escape(_short(bar.label))}</text>')
        if bar.value is not None:
            span = BAR_WIDTH // 2 if signed else BAR_WIDTH
            length = round(abs(bar.value) / scale * span)
            x = middle - length if signed and bar.value < 0 else middle
            parts.append(f'<rect x="{x}" y="{y}" width="{max(length, 1)}" height="{BAR_HEIGHT}" fill="{ACCENT}"/>')
            parts.append(f'<text x="{LABEL_WIDTH + BAR_WIDTH + 8}" y="{text_y}" font-size="13" '
                         f'fill="{INK}">{escape(bar.note)}</text>')
        else:
            parts.append(f'<text x="{LABEL_WIDTH + BAR_WIDTH + 8}" y="{text_y}" font-size="13" font-style="italic" '
                         f'fill="{MUTED}">{escape(bar.note)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704  (every piece of text above is escaped)


def _short(label: str, limit: int = 30) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"
