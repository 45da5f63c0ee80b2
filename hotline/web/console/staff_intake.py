"""Operator mode: a reviewer records a report received by letter, in person or by a call to HR, and hands the
report key to the reporter (intake.reports.staff_intake)."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from hotline.access import reviewer
from hotline.forms import text_field
from hotline.rendering import render
from hotline.state import app_state
from intake.categories import DEFAULT_CATEGORIES
from intake.errors import InvalidInput
from intake.reports.staff_intake import record_staff_report
from intake.reports.submission import STAFF_CHANNELS


def _form(request: Request, *, values: dict[str, str] | None = None, problems: dict[str, str] | None = None,
          status_code: int = 200) -> Response:
    return render(request, "reviewer/staff_intake.html", {
        "context": reviewer(request), "categories": DEFAULT_CATEGORIES, "channels": STAFF_CHANNELS,
        "values": values or {}, "problems": problems or {}}, status_code=status_code)


async def staff_intake_form(request: Request) -> Response:
    return _form(request)


async def staff_intake_submit(request: Request) -> Response:
    state, context = app_state(request), reviewer(request)
    form = await request.form()
    values = {name: text_field(form, name) for name in ("category", "channel", "narrative")}
    try:
        submitted = await run_in_threadpool(record_staff_report, state.database, state.config, context,
                                            category=values["category"], channel=values["channel"],
                                            narrative=values["narrative"])
    except InvalidInput as invalid:
        return _form(request, values=values, problems=invalid.problems, status_code=400)
    return render(request, "reviewer/staff_intake_done.html", {"context": context, "submitted": submitted})
