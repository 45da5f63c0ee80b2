"""The annual report to a governing body (a city council, or MARC's board for the region) as a PDF, with the
same SVG charts as the printable page, embedded by fpdf2."""

from __future__ import annotations

import io
import re

from hotline.exports.charts import bar_chart
from hotline.exports.pdf import Document
from intake.casework.statistics import Cell, Statistics


def _cell(cell: Cell) -> str:
    return "fewer than 5" if cell.value is None else str(cell.value)


def report_charts(stats: Statistics, labels: dict[str, str]) -> list[tuple[str, str]]:
    """(title, SVG) of each chart, shared by the page and the PDF."""
    def named(rows: tuple[tuple[str, Cell], ...]) -> list[tuple[str, Cell]]:
        return [(labels.get(key, key), cell) for key, cell in rows]

    return [
        ("Reports by month", bar_chart("Reports by month", named(stats.by_month), chart_id="chart-month")),
        ("Reports by category", bar_chart("Reports by category", named(stats.by_category),
                                          chart_id="chart-category")),
        ("Reports by channel", bar_chart("Reports by channel", named(stats.by_channel), chart_id="chart-channel")),
        ("Outcomes of concluded cases", bar_chart("Outcomes of concluded cases", named(stats.by_outcome),
                                                  chart_id="chart-outcome")),
    ]


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
