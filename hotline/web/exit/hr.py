"""HR's exit-interview pages: settings, invitations, suppressed analytics with SVG charts and CSV, publishing a
quarter, and confidential responses.

Every route is a reviewer_route for the content roles, and every handler first asks intake.exit.hr.hr_access
whether this reviewer is in the city's HR group: anyone else gets the same not-found page a missing page gets,
and the attempt is audited.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from hotline.access import reviewer
from hotline.charts import Bar, bar_chart
from hotline.forms import text_field
from hotline.i18n import language_of
from hotline.rendering import render
from hotline.state import app_state
from hotline.web.errors import not_found_page
from intake.disclosure.suppression import Shown
from intake.errors import AlreadyExists, InvalidInput, NotFound
from intake.exit import analytics as exit_analytics
from intake.exit import hr as exit_hr
from intake.exit import regional as exit_regional
from intake.exit import responses as exit_responses
from intake.exit.analytics import CityAnalytics, Distribution, QuarterRelease
from intake.exit.findings import ExitFindings, exit_findings, fully_hidden


async def _access(request: Request) -> exit_hr.HrAccess | None:
    state = app_state(request)
    try:
        return await run_in_threadpool(exit_hr.hr_access, state.database, reviewer(request),
                                       request.path_params["city"])
    except NotFound:
        return None


def cell_text(value: int | None, shown: Shown | str, threshold: int) -> str:
    """What a published figure reads as, in a table, a chart and the CSV alike."""
    shown = Shown(shown)
    if shown is Shown.VISIBLE and value is not None:
        return str(value)
    return f"fewer than {threshold}" if shown is Shown.SMALL else "withheld"


def summary_text(distribution: Distribution) -> str | None:
    if distribution.summary is None:
        return None
    if distribution.measure.kind == exit_analytics.KIND_RECOMMEND:
        return f"{distribution.summary:+.0f}"
    return f"{distribution.summary:.2f}"


def exit_findings_text(found: ExitFindings | None, threshold: int) -> list[str]:
    """The quarter's findings as sentences, from visible figures only (intake.exit.findings)."""
    if found is None:
        return []
    if found.total is None:
        return [f"Fewer than {threshold} people answered in {found.quarter}, so no figure is shown."]
    sentences = [f"{found.total} people answered in {found.quarter}."]
    if found.previous_total is not None:
        change = found.total - found.previous_total
        more = f"{abs(change)} more than" if change > 0 else f"{abs(change)} fewer than" if change < 0 else \
            "as many as"
        sentences[0] = sentences[0][:-1] + f", {more} in {found.previous_quarter} ({found.previous_total})."
    if found.main_reasons:
        lead = "Main reasons most given" if found.main_reasons_certain else "Main reasons most given among those shown"
        sentences.append(lead + ": " + "; ".join(f"{share.label}, {share.count} ({share.percent}%)"
                                                 for share in found.main_reasons) + ".")
    if found.recommend is not None:
        line = f"Recommend score: {found.recommend:+.0f}"
        if found.previous_recommend is not None:
            line += f" (was {found.previous_recommend:+.0f} in {found.previous_quarter})"
        sentences.append(line + ".")
    if found.best_rated and found.worst_rated:
        sentences.append(f"Rated highest: {found.best_rated[0]} ({found.best_rated[1]:.2f} of 5); lowest: "
                         f"{found.worst_rated[0]} ({found.worst_rated[1]:.2f} of 5).")
    if found.hidden:
        sentences.append(f"Not shown, because every figure in them is under {threshold} or would give one away: "
                         + "; ".join(found.hidden) + ".")
    if found.hidden_mentions:
        sentences.append("Not shown for the same reason, how often each was given as another reason: "
                         + "; ".join(found.hidden_mentions) + ".")
    return sentences


def distribution_chart(distribution: Distribution, threshold: int, chart_id: str) -> Any:
    vector = distribution.vector
    bars = [Bar(label, vector.visible(i), cell_text(vector.values[i], vector.shown[i], threshold))
            for i, (_value, label) in enumerate(distribution.measure.categories)]
    return bar_chart(chart_id, distribution.measure.title, bars)


def trend_chart(analytics: CityAnalytics) -> Any:
    bars = []
    for release in analytics.trend:
        recommend = next((d for d in release.measures if d.measure.kind == exit_analytics.KIND_RECOMMEND), None)
        score = recommend.summary if recommend is not None else None
        bars.append(Bar(release.quarter, score, f"{score:+.0f}" if score is not None else "withheld"))
    return bar_chart("trend-recommend", "Recommend score by quarter (percent promoters minus percent detractors)",
                     bars, signed=True)


def _context(request: Request, hr: exit_hr.HrAccess, **extra: Any) -> dict[str, Any]:
    return {"context": reviewer(request), "hr": hr, **extra}


async def home(request: Request, *, created: Any = None, problems: dict[str, str] | None = None,
               status_code: int = 200) -> Response:
    state = app_state(request)
    hr = await _access(request)
    if hr is None:
        return not_found_page(request)
    language = language_of(request)
    invitations = await run_in_threadpool(lambda: exit_hr.list_invitations(state.database, hr, language=language))
    city_settings = await run_in_threadpool(exit_hr.read_settings, state.database, hr)
    choices = await run_in_threadpool(lambda: exit_hr.questionnaire_choices(state.database, hr, language=language))
    return render(request, "exit/hr_home.html", _context(
        request, hr, invitations=invitations, settings=city_settings, choices=choices, created=created,
        problems=problems or {}, public_url=state.settings.public_url.rstrip("/")), status_code=status_code)


async def settings(request: Request) -> Response:
    state, form = app_state(request), await request.form()
    hr = await _access(request)
    if hr is None:
        return not_found_page(request)
    try:
        await run_in_threadpool(lambda: exit_hr.change_settings(
            state.database, hr, mode=text_field(form, "mode"), threshold=text_field(form, "threshold"),
            invitation_days=text_field(form, "invitation_days"), open_link=text_field(form, "open_link") == "on"))
    except InvalidInput as invalid:
        return await home(request, problems=invalid.problems, status_code=400)
    return await home(request)


async def invite(request: Request) -> Response:
    state, form = app_state(request), await request.form()
    hr = await _access(request)
    if hr is None:
        return not_found_page(request)
    try:
        created = await run_in_threadpool(lambda: exit_hr.create_invitation(
            state.database, state.config, hr, department=text_field(form, "department"),
            separation_type=text_field(form, "separation_type"), last_day=text_field(form, "last_day")))
    except InvalidInput as invalid:
        return await home(request, problems=invalid.problems, status_code=400)
    return render(request, "exit/hr_invited.html", _context(
        request, hr, created=created, public_url=state.settings.public_url.rstrip("/")))


async def _analytics(request: Request) -> tuple[exit_hr.HrAccess, CityAnalytics] | None:
    state = app_state(request)
    hr = await _access(request)
    if hr is None:
        return None
    quarter = request.query_params.get("quarter", "")[:7] or None
    result = await run_in_threadpool(lambda: exit_analytics.city_analytics(state.database, hr, quarter))
    return hr, result


async def analytics(request: Request, *, problem: str | None = None, notice: str | None = None,
                    status_code: int = 200) -> Response:
    found = await _analytics(request)
    if found is None:
        return not_found_page(request)
    hr, result = found
    split = request.query_params.get("split", "")
    if result.release is None or split not in result.release.splits:
        split = ""
    release = result.release
    charts = {d.id: distribution_chart(d, result.threshold, f"chart-{d.id}")
              for d in (release.distributions() if release else ()) if not fully_hidden(d)}
    reasons = _reasons(release) if release else []
    return render(request, "exit/analytics.html", _context(
        request, hr, analytics=result, release=release, split=split, charts=charts, reasons=reasons,
        trend_chart=trend_chart(result) if result.trend else None, cell_text=cell_text, summary_text=summary_text,
        findings=exit_findings_text(exit_findings(result), result.threshold), fully_hidden=fully_hidden,
        problem=problem, notice=notice), status_code=status_code)


@dataclass(frozen=True)
class ReasonRow:
    label: str
    main: int | None
    main_text: str
    mentioned_text: str
    order: int


def _reasons(release: QuarterRelease) -> list[ReasonRow]:
    """Reasons ranked by how often they were the main reason, with how often they were given as another reason.
    Hidden figures rank last; their order among themselves is the questionnaire's, so it says nothing."""
    main = next((d for d in release.measures if d.id == "main_reason"), None)
    mentions = {d.measure.option: d for d in release.mentions}
    rows = []
    if main is not None:
        for index, (value, label) in enumerate(main.measure.categories[:-1]):
            mention = mentions.get(value)
            rows.append(ReasonRow(
                label, main.vector.visible(index),
                cell_text(main.vector.values[index], main.vector.shown[index], release.threshold),
                cell_text(mention.vector.values[0], mention.vector.shown[0], release.threshold) if mention else "",
                index))
    rows.sort(key=lambda row: (row.main is None, -(row.main or 0), row.order))
    return rows


def csv_rows(result: CityAnalytics) -> Iterator[list[str]]:
    """The same suppressed figures as the page, one figure per line."""
    yield ["quarter", "table", "row", "column", "figure"]
    threshold = result.threshold
    for release in result.trend:
        yield [release.quarter, "responses", "all", "total",
               cell_text(release.total, release.total_shown, threshold)]
        for distribution in release.distributions():
            vector = distribution.vector
            for i, (_value, label) in enumerate(distribution.measure.categories):
                yield [release.quarter, distribution.measure.title, "all", label,
                       cell_text(vector.values[i], vector.shown[i], threshold)]
            if (text := summary_text(distribution)) is not None:
                yield [release.quarter, distribution.measure.title, "all", "mean" if
                       distribution.measure.kind == exit_analytics.KIND_RATING else "recommend score", text]
    chosen = result.release
    if chosen is None:
        return
    for dimension_id, splits in chosen.splits.items():
        for split in splits:
            table = split.table
            name = f"{split.measure.measure.title} by {dimension_id.replace('_', ' ')}"
            for i, (_r, row_label) in enumerate(split.dimension.measure.categories):
                for j, (_c, column_label) in enumerate(split.measure.measure.categories):
                    yield [chosen.quarter, name, row_label, column_label,
                           cell_text(table.values[i][j], table.shown[i][j], threshold)]
                yield [chosen.quarter, name, row_label, "total",
                       cell_text(table.row_totals.values[i], table.row_totals.shown[i], threshold)]


async def analytics_csv(request: Request) -> Response:
    found = await _analytics(request)
    if found is None:
        return not_found_page(request)
    hr, result = found
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")  # RFC 4180
    for row in csv_rows(result):
        writer.writerow(row)
    quarter = result.release.quarter if result.release else "none"
    return Response(buffer.getvalue(), media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="exit-{hr.city_slug}-{quarter}.csv"'})


async def publish(request: Request) -> Response:
    state, form = app_state(request), await request.form()
    hr = await _access(request)
    if hr is None:
        return not_found_page(request)
    quarter = text_field(form, "quarter")[:7]
    try:
        # Published figures are never changed: the first post shows exactly what the partnership will see, and
        # only the confirming post from that page publishes (docs/design.md#exit-interviews).
        if text_field(form, "confirm") != "1":
            view = await run_in_threadpool(lambda: exit_regional.publication_preview(state.database, hr, quarter))
            return render(request, "exit/publish_preview.html", _context(request, hr, view=view, quarter=quarter,
                                                                          cell_text=cell_text))
        await run_in_threadpool(lambda: exit_regional.publish_quarter(state.database, hr, quarter))
    except (InvalidInput, AlreadyExists) as refused:
        message = (refused.problems.get("quarter", str(refused)) if isinstance(refused, InvalidInput)
                   else "This quarter was already published; published figures are never changed.")
        return await analytics(request, problem=message, status_code=400)
    return await analytics(request, notice=f"{quarter} was published to the partnership.")


async def responses(request: Request) -> Response:
    state = app_state(request)
    hr = await _access(request)
    if hr is None:
        return not_found_page(request)
    rows = await run_in_threadpool(exit_responses.list_confidential, state.database, hr)
    city_settings = await run_in_threadpool(exit_hr.read_settings, state.database, hr)
    return render(request, "exit/responses.html", _context(request, hr, rows=rows, settings=city_settings))


async def response(request: Request) -> Response:
    state = app_state(request)
    hr = await _access(request)
    if hr is None:
        return not_found_page(request)
    opened = await run_in_threadpool(exit_responses.read_confidential, state.database, hr,
                                     request.path_params["response_id"])
    return render(request, "exit/response.html", _context(request, hr, opened=opened))
