"""The annual report to a governing body (a city council, or MARC's board for the region) as a PDF, with the
same SVG charts as the printable page, embedded by fpdf2."""

from __future__ import annotations

import io
import re

from hotline.charts import Bar, bar_chart
from hotline.exports.pdf import Document
from intake.casework.statistics import Cell, Statistics


def _cell(cell: Cell) -> str:
    return "fewer than 5" if cell.value is None else str(cell.value)


def report_charts(stats: Statistics, labels: dict[str, str]) -> list[tuple[str, str]]:
    """(title, SVG) of each chart, shared by the page and the PDF."""
    def bars(rows: tuple[tuple[str, Cell], ...]) -> list[Bar]:
        return [Bar(labels.get(key, key), cell.value, _cell(cell)) for key, cell in rows]

    charts = (("chart-month", "Reports by month", stats.by_month),
              ("chart-category", "Reports by category", stats.by_category),
              ("chart-channel", "Reports by channel", stats.by_channel),
              ("chart-outcome", "Outcomes of concluded cases", stats.by_outcome))
    return [(title, str(bar_chart(chart_id, title, bars(rows)))) for chart_id, title, rows in charts]


def _for_pdf(svg: str) -> bytes:
    # fpdf2 draws shapes and text; the accessibility title and description are for the web page only.
    return re.sub(r"<(title|desc)[^>]*>.*?</\1>", "", svg).encode()


def report_pdf(stats: Statistics, body: str, labels: dict[str, str], font_path: str = "") -> bytes:
    year = str(stats.year) if stats.year is not None else "all years"
    pdf = Document(font_path, title=f"Hotline report {year}: {stats.scope}",
                   footer_text=f"Employee hotline · {stats.scope} · {year}")
    pdf.heading(f"Employee hotline: report to {body}, {year}")
    pdf.paragraph(f"Figures for {stats.scope}. Any group of fewer than 5 cases is shown as \"fewer than 5\" so "
                  "that no one can be recognised from them (ISO 37002 9.1.2 indicators).")
    pdf.facts([
        ("Reports received", _cell(stats.total)),
        ("Median days to acknowledge", "fewer than 5 cases" if stats.days_to_acknowledge.days is None
         else f"{stats.days_to_acknowledge.days:g}"),
        ("Median days to conclude", "fewer than 5 cases" if stats.days_to_conclude.days is None
         else f"{stats.days_to_conclude.days:g}"),
        ("Acknowledged after 7 days", _cell(stats.acknowledged_late)),
        ("Overdue now", _cell(stats.overdue)),
    ])
    for title, svg in report_charts(stats, labels):
        pdf.heading(title, 12)
        pdf.image(io.BytesIO(_for_pdf(svg)), w=170)  # fpdf2 keeps the SVG's aspect ratio
        pdf.ln(4)
    return pdf.output_bytes()
