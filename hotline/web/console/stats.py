"""Statistics for a city (reviewers, admins, auditors) and for the region (the regional coordinator), and the
annual report to the governing body as a printable page and a PDF."""

from __future__ import annotations

from markupsafe import Markup
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from hotline.access import reviewer
from hotline.exports.report_pdf import report_charts, report_pdf
from hotline.rendering import render
from hotline.state import app_state
from hotline.web.errors import not_found_page
from intake.casework.statistics import Statistics, city_statistics, region_statistics
from intake.categories import DEFAULT_CATEGORIES
from intake.errors import InvalidInput

LABELS = {c.slug: c.label for c in DEFAULT_CATEGORIES}


def _year(request: Request) -> int | None:
    text = request.query_params.get("year", "")
    return int(text) if text.isascii() and text.isdigit() and len(text) == 4 else None


def _body(stats: Statistics) -> str:
    return "the Mid-America Regional Council" if stats.scope == "the region" else f"the {stats.scope} City Council"


async def _stats(request: Request, *, regional: bool) -> Statistics | None:
    state, context = app_state(request), reviewer(request)
    service = region_statistics if regional else city_statistics
    try:
        return await run_in_threadpool(service, state.database, context, _year(request))
    except InvalidInput:
        return None


async def _statistics_page(request: Request, *, regional: bool, report: bool) -> Response:
    stats = await _stats(request, regional=regional)
    if stats is None:
        return not_found_page(request)
    charts = [(title, Markup(svg)) for title, svg in report_charts(stats, LABELS)]  # noqa: S704 (our own SVG, escaped)
    base = "/review/region" if regional else "/review/statistics"
    return render(request, "reviewer/report.html" if report else "reviewer/statistics.html", {
        "context": reviewer(request), "stats": stats, "charts": charts, "labels": LABELS, "base": base,
        "body": _body(stats), "year": stats.year})


async def city_page(request: Request) -> Response:
    return await _statistics_page(request, regional=False, report=False)


async def city_report(request: Request) -> Response:
    return await _statistics_page(request, regional=False, report=True)


async def region_page(request: Request) -> Response:
    return await _statistics_page(request, regional=True, report=False)


async def region_report(request: Request) -> Response:
    return await _statistics_page(request, regional=True, report=True)


async def _pdf(request: Request, *, regional: bool) -> Response:
    stats = await _stats(request, regional=regional)
    if stats is None:
        return not_found_page(request)
    body = await run_in_threadpool(report_pdf, stats, _body(stats), LABELS, app_state(request).settings.pdf_font_path)
    name = f"hotline-report-{stats.year or 'all'}.pdf"
    return Response(body, media_type="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


async def city_report_pdf(request: Request) -> Response:
    return await _pdf(request, regional=False)


async def region_report_pdf(request: Request) -> Response:
    return await _pdf(request, regional=True)
