"""Bar charts drawn as SVG on the server: no script, no other origin, nothing but attributes (the page's
Content-Security-Policy allows no inline style). Each chart has a title and a description for screen readers,
and the same figures are always in a table beside it. Suppressed cells ("fewer than 5") get no bar."""

from __future__ import annotations

from html import escape

from intake.casework.statistics import Cell

BAR_COLOUR = "#0b5cad"
INK = "#1b1f23"
MUTED = "#4a5560"


def bar_chart(title: str, rows: list[tuple[str, Cell]], *, chart_id: str, width: int = 640) -> str:
    label_width, bar_height, gap, top = 200, 18, 8, 8
    height = top * 2 + len(rows) * (bar_height + gap)
    largest = max((cell.value or 0 for _label, cell in rows), default=0) or 1
    plot = width - label_width - 110
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-labelledby="{chart_id}-t {chart_id}-d" '
             f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="DejaVu Sans, sans-serif" '
             f'font-size="13">',
             f'<title id="{chart_id}-t">{escape(title)}</title>',
             f'<desc id="{chart_id}-d">{escape(describe(rows))}</desc>']
    for index, (label, cell) in enumerate(rows):
        y = top + index * (bar_height + gap)
        parts.append(f'<text x="{label_width - 8}" y="{y + bar_height - 4}" text-anchor="end" fill="{INK}">'
                     f'{escape(label)}</text>')
        if cell.value is None:
            parts.append(f'<text x="{label_width + 4}" y="{y + bar_height - 4}" fill="{MUTED}">fewer than 5</text>')
            continue
        length = max(1, round(plot * cell.value / largest)) if cell.value else 0
        if length:
            parts.append(f'<rect x="{label_width}" y="{y}" width="{length}" height="{bar_height}" '
                         f'fill="{BAR_COLOUR}"/>')
        parts.append(f'<text x="{label_width + length + 6}" y="{y + bar_height - 4}" fill="{INK}">{cell.value}</text>')
    parts.append("</svg>")
    return "".join(parts)


def describe(rows: list[tuple[str, Cell]]) -> str:
    return "; ".join(f"{label}: {'fewer than 5' if cell.value is None else cell.value}" for label, cell in rows)
