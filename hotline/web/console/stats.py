"""Statistics for a city (reviewers, admins, auditors) and for the region (the regional coordinator), and the
annual report to the governing body as a printable page and a PDF, each for one year (by default the last
complete one), in the console's language."""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from hotline.access import reviewer
from hotline.exports.report_pdf import (
    body_text,
    cities_text,
    figure_tables,
    key_figures,
    report_charts,
    report_pdf,
    report_title,
    shows_figures,
)
from hotline.i18n import language_of
from hotline.rendering import render, translation
from hotline.state import app_state
from hotline.statistics_text import findings_text, period_text, rules_text, scope_text
from intake.casework.findings import findings
from intake.casework.statistics import Statistics, city_statistics, region_statistics
from intake.errors import InvalidInput
from intake.exit.regional import published_quarters
from intake.messages import N_

YEAR_PROBLEM = N_("Choose a year from the list.")


def _year(request: Request) -> tuple[int | None, str | None]:
    """The year asked for, or None for the default; and a problem when the text is no year at all."""
    text = request.query_params.get("year", "").strip()
    if not text:
        return None, None
    if text.isascii() and text.isdigit() and len(text) == 4:
        return int(text), None
    return None, YEAR_PROBLEM


async def _stats(request: Request, *, regional: bool) -> tuple[Statistics, str | None]:
    state, context = app_state(request), reviewer(request)
    service = region_statistics if regional else city_statistics
    year, problem = _year(request)
    try:
        return await run_in_threadpool(service, state.database, context, year), problem
    except InvalidInput:
        # A year outside those offered: the default year, and the reason the asked-for one is not shown.
        return await run_in_threadpool(service, state.database, context, None), YEAR_PROBLEM


def _page_context(request: Request, stats: Statistics, *, regional: bool) -> dict[str, Any]:
    translate, language = translation(request), language_of(request)
    return {
        "context": reviewer(request), "stats": stats, "base": "/review/region" if regional else "/review/statistics",
        "body": body_text(stats, translate), "scope": scope_text(stats, translate),
        "period": period_text(stats, translate), "title": report_title(stats, translate),
        "findings": findings_text(stats, findings(stats), translate, language),
        "rules": rules_text(stats, translate), "cities": cities_text(stats, translate),
        "show_figures": shows_figures(stats), "key_figures": key_figures(stats, translate, language),
        "charts": report_charts(stats, translate, language),
        "tables": figure_tables(stats, translate, language),
    }


async def _statistics_page(request: Request, *, regional: bool, report: bool) -> Response:
    stats, problem = await _stats(request, regional=regional)
    page = _page_context(request, stats, regional=regional)
    if regional and not report:
        state = app_state(request)
        page["exit_quarters"] = await run_in_threadpool(published_quarters, state.database,
                                                        reviewer(request).reviewer_id)
    problems = {"year": problem} if problem else {}
    return render(request, "reviewer/report.html" if report else "reviewer/statistics.html",
                  {**page, "problems": problems, "labels": {"year": translation(request)("Year")}},
                  status_code=400 if problem else 200)


async def city_page(request: Request) -> Response:
    return await _statistics_page(request, regional=False, report=False)


async def city_report(request: Request) -> Response:
    return await _statistics_page(request, regional=False, report=True)


async def region_page(request: Request) -> Response:
    return await _statistics_page(request, regional=True, report=False)


async def region_report(request: Request) -> Response:
    return await _statistics_page(request, regional=True, report=True)


async def _pdf(request: Request, *, regional: bool) -> Response:
    stats, problem = await _stats(request, regional=regional)
    if problem:
        return await _statistics_page(request, regional=regional, report=True)
    body = await run_in_threadpool(report_pdf, stats, translation(request), language_of(request),
                                   app_state(request).settings.pdf_font_path)
    scope = "region" if regional else reviewer(request).city_slug
    name = f"hotline-report-{scope}-{stats.year}.pdf"
    return Response(body, media_type="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


async def city_report_pdf(request: Request) -> Response:
    return await _pdf(request, regional=False)


async def region_report_pdf(request: Request) -> Response:
    return await _pdf(request, regional=True)
