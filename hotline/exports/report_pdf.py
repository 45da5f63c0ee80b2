"""The annual report to a governing body (a city council, or MARC's board for the region) as a PDF: the findings
first, then the key figures, the charts (the same SVG as the printable page, drawn by fpdf2) and every table that
has a figure to show. The year is in the title, the first heading and the header of every page."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass

from markupsafe import Markup

from hotline.charts import Bar, bar_chart
from hotline.exports.pdf import Document
from hotline.statistics_text import (
    CHARTED,
    Translate,
    cell_text,
    findings_text,
    key_label,
    number,
    period_text,
    rules_text,
    scope_text,
    title,
)
from intake.casework.findings import findings
from intake.casework.statistics import Breakdown, Statistics

MIN_BARS = 2  # a chart with one visible bar says nothing its table does not


@dataclass(frozen=True)
class FigureTable:
    id: str
    title: str
    rows: tuple[tuple[str, str, bool], ...]  # label, figure in words, hidden
    hidden: bool  # nothing of it can be shown (the findings name it in one line)


def body_text(stats: Statistics, translate: Translate) -> str:
    _ = translate
    if stats.regional:
        return _("the Mid-America Regional Council")
    return _("the %(city)s City Council") % {"city": stats.scope}


def figure_tables(stats: Statistics, translate: Translate, language: str = "en") -> list[FigureTable]:
    return [FigureTable(b.id, title(b, translate),
                        tuple((key_label(b.id, key, translate, language), cell_text(cell, translate, language),
                               cell.suppressed) for key, cell in b.rows), b.hidden)
            for b in stats.breakdowns]


def shows_figures(stats: Statistics) -> bool:
    """Whether there is any table to show at all (enough cities, and a visible total)."""
    return stats.enough_cities and stats.total.value is not None


def _charted(breakdown: Breakdown) -> bool:
    return breakdown.id in CHARTED and sum(1 for _k, cell in breakdown.rows if cell.value is not None) >= MIN_BARS


def report_charts(stats: Statistics, translate: Translate, language: str = "en") -> list[tuple[str, Markup]]:
    """(title, SVG) of each chart worth drawing, shared by the pages and the PDF."""
    if not shows_figures(stats):
        return []
    order = {name: index for index, name in enumerate(CHARTED)}
    charts = []
    for breakdown in sorted((b for b in stats.breakdowns if _charted(b)), key=lambda b: order[b.id]):
        bars = [Bar(key_label(breakdown.id, key, translate, language), cell.value,
                    cell_text(cell, translate, language)) for key, cell in breakdown.rows]
        name = title(breakdown, translate)
        charts.append((name, bar_chart(f"chart-{breakdown.id}", name, bars)))
    return charts


def key_figures(stats: Statistics, translate: Translate, language: str = "en") -> list[tuple[str, str]]:
    _ = translate

    def median(days: float | None) -> str:
        return _("not shown (fewer than 5 cases)") if days is None else _("%(days)s days") % {
            "days": number(days, language)}

    return [(_("Reports received"), cell_text(stats.total, translate, language)),
            (_("Median days to acknowledge"), median(stats.days_to_acknowledge.days)),
            (_("Median days to conclude"), median(stats.days_to_conclude.days))]


def cities_text(stats: Statistics, translate: Translate) -> list[str]:
    """For the region: which cities' figures are combined, and which are left out and why."""
    if not stats.regional:
        return []
    _ = translate
    lines = []
    if stats.cities and stats.enough_cities:
        lines.append(_("Cities combined: %(cities)s.") % {"cities": ", ".join(stats.cities)})
    if stats.left_out:
        lines.append(_("Left out, with fewer than 5 reports in %(year)s: %(cities)s.")
                     % {"year": stats.year, "cities": ", ".join(stats.left_out)})
    return lines


def _for_pdf(svg: str) -> bytes:
    # fpdf2 draws shapes and text; the accessibility title and description are for the web page only.
    return re.sub(r"<(title|desc)[^>]*>.*?</\1>", "", svg).encode()


def report_title(stats: Statistics, translate: Translate) -> str:
    _ = translate
    return _("Employee hotline: report to %(body)s, %(period)s") % {
        "body": body_text(stats, translate), "period": period_text(stats, translate)}


def report_pdf(stats: Statistics, translate: Translate = str, language: str = "en", font_path: str = "") -> bytes:
    _ = translate
    period = period_text(stats, translate)
    heading = report_title(stats, translate)
    pdf = Document(font_path, title=heading, language=language,
                   header_text=_("Employee hotline · %(scope)s · report for %(period)s")
                   % {"scope": scope_text(stats, translate), "period": period},
                   footer_text=_("Figures protected: any group under 5 is not shown"),
                   page_label=_("page %(page)s of %(pages)s"))
    pdf.heading(heading)
    pdf.heading(_("Findings"), 13)
    pdf.bullets(findings_text(stats, findings(stats), translate, language))
    pdf.paragraph(rules_text(stats, translate), 9, muted=True)
    for line in cities_text(stats, translate):
        pdf.paragraph(line, 9)
    if not shows_figures(stats):
        return pdf.output_bytes()
    pdf.heading(_("Key figures, %(period)s") % {"period": period}, 13)
    pdf.facts(key_figures(stats, translate, language))
    for name, svg in report_charts(stats, translate, language):
        size = re.search(r'width="(\d+)" height="(\d+)"', str(svg))
        height = pdf.text_width * int(size.group(2)) / int(size.group(1)) if size else 60
        pdf.keep_with_next(height + 12)  # the chart's title stays on the chart's page
        pdf.heading(f"{name}, {period}", 12)
        pdf.image(io.BytesIO(_for_pdf(str(svg))), w=pdf.text_width)  # fpdf2 keeps the SVG's aspect ratio
        pdf.ln(4)
    pdf.heading(_("Tables, %(period)s") % {"period": period}, 13)
    for table in figure_tables(stats, translate, language):
        if table.hidden:
            continue
        pdf.heading(table.title, 11)
        pdf.figures_table((_("Group"), _("Cases")), [(label, figure) for label, figure, _h in table.rows])
    return pdf.output_bytes()
