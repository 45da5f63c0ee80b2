"""Bar charts of suppressed figures, drawn as SVG on the server: no script, no other origin, nothing but
attributes (the pages' Content-Security-Policy allows no inline style). Used by the exit-interview analytics and
by the annual report, on the page and in its PDF (fpdf2 draws the same SVG).

A chart shows exactly what its table shows: a hidden figure gets no bar at all, only the words its table cell
has ("fewer than 5" or "withheld"), so a bar's length can never give a hidden count back. Every chart has a
title and a description for screen readers, and its table is on the same page.

Labels fit: each is measured in the font the chart names (DejaVu Sans, through Pillow, or a generous estimate
when the font is missing), wrapped onto two lines, and shortened with "…" only beyond that; the table beside the
chart always has the full text.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from markupsafe import Markup, escape

BAR_HEIGHT = 22
LINE_HEIGHT = 15  # a wrapped label's second line
GAP = 8
LABEL_WIDTH = 230
LABEL_PADDING = 10  # between a label and its bar, and at the chart's left edge
BAR_WIDTH = 290
FIGURE_WIDTH = 140
FONT_SIZE = 13
MAX_LINES = 2
INK, MUTED, ACCENT = "#1b1f23", "#4a5560", "#0b5cad"
FONT_FILE = "DejaVuSans.ttf"


@dataclass(frozen=True)
class Bar:
    label: str
    value: float | None  # None: hidden, shown as ``note`` only
    note: str  # what the bar's figure reads as: "12", "fewer than 5", "withheld", "+20"


def bar_chart(chart_id: str, title: str, bars: Sequence[Bar], *, signed: bool = False) -> Markup:
    """Horizontal bars, one per category; ``signed`` draws -100..100 about a middle axis (the recommend score)."""
    labels = [label_lines(bar.label) for bar in bars]
    rows = [max(BAR_HEIGHT, LINE_HEIGHT * len(lines) + 7) for lines in labels]
    height = sum(rows) + GAP * (len(bars) + 1)
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
    y = GAP
    for bar, lines, row in zip(bars, labels, rows, strict=True):
        bar_y = y + (row - BAR_HEIGHT) // 2
        text_y = bar_y + BAR_HEIGHT - 6
        first_y = y + (row - LINE_HEIGHT * len(lines)) // 2 + LINE_HEIGHT - 3
        for number, line in enumerate(lines):
            parts.append(f'<text x="{LABEL_WIDTH - LABEL_PADDING}" y="{first_y + number * LINE_HEIGHT}" '
                         f'text-anchor="end" font-size="{FONT_SIZE}" fill="{INK}">{escape(line)}</text>')
        y += row + GAP
        if bar.value is not None:
            span = BAR_WIDTH // 2 if signed else BAR_WIDTH
            length = round(abs(bar.value) / scale * span)
            x = middle - length if signed and bar.value < 0 else middle
            parts.append(f'<rect x="{x}" y="{bar_y}" width="{max(length, 1)}" height="{BAR_HEIGHT}" '
                         f'fill="{ACCENT}"/>')
            parts.append(f'<text x="{LABEL_WIDTH + BAR_WIDTH + 8}" y="{text_y}" font-size="13" '
                         f'fill="{INK}">{escape(bar.note)}</text>')
        else:
            parts.append(f'<text x="{LABEL_WIDTH + BAR_WIDTH + 8}" y="{text_y}" font-size="13" font-style="italic" '
                         f'fill="{MUTED}">{escape(bar.note)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704  (every piece of text above is escaped)


@lru_cache(maxsize=1)
def _font() -> Any:
    try:
        from PIL import ImageFont

        return ImageFont.truetype(FONT_FILE, FONT_SIZE)  # Pillow looks in the system's font folders
    except OSError:
        return None


def text_width(text: str) -> float:
    """The width of ``text`` in pixels at the chart's font size: measured when DejaVu Sans is installed (it is
    wider than most fallback fonts a browser would use instead), otherwise a generous estimate."""
    font = _font()
    if font is not None:
        return float(font.getlength(text))
    return len(text) * FONT_SIZE * 0.65


def label_lines(label: str, width: float = LABEL_WIDTH - 2 * LABEL_PADDING) -> list[str]:
    """The label as at most two lines that each fit ``width``; the last shortened with "…" if it must be."""
    lines: list[str] = []
    words = label.split()
    while words and len(lines) < MAX_LINES:
        line = words.pop(0)
        while words and text_width(f"{line} {words[0]}") <= width:
            line = f"{line} {words.pop(0)}"
        lines.append(line)
    if words:
        lines[-1] = f"{lines[-1]} {' '.join(words)}"
    return [line if text_width(line) <= width else _shortened(line, width) for line in lines] or [""]


def _shortened(text: str, width: float) -> str:
    while text and text_width(text + "…") > width:
        text = text[:-1]
    return text.rstrip() + "…"
