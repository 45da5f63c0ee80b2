"""The reporter's pages: city list, report form, confirmation with the report key, follow-up.

No page sets a cookie or needs JavaScript; forms carry their own tokens (hotline.form_tokens).
"""

from __future__ import annotations

import time
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from hotline.client_address import count_attempt
from hotline.form_tokens import (
    TokenCheck,
    check_public_form_token,
    issue_public_form_token,
    open_reporter_access,
    seal_reporter_access,
)
from hotline.forms import text_field
from hotline.rendering import render
from hotline.state import AppState, app_state
from hotline.web.errors import forbidden_page, not_found_page, too_many_page
from intake import reports
from intake.categories import DEFAULT_CATEGORIES
from intake.cities import find_city, list_cities
from intake.errors import InvalidInput, NotFound, WrongCredentials
from intake.reports import ReporterAccess


def _token(state: AppState) -> str:
    return issue_public_form_token(state.settings.session_key, time.time())


async def city_list(request: Request) -> Response:
    cities = await run_in_threadpool(list_cities, app_state(request).database)
    return render(request, "reporter/cities.html", {"cities": cities})


def _report_form(request: Request, city: Any, *, values: dict[str, str] | None = None,
                 problems: dict[str, str] | None = None, status_code: int = 200) -> Response:
    state = app_state(request)
    return render(request, "reporter/report_form.html", {
        "city": city, "categories": DEFAULT_CATEGORIES, "values": values or {}, "problems": problems or {},
        "form_token": _token(state), "max_chars": state.settings.max_narrative_chars,
    }, status_code=status_code)


async def report_form(request: Request) -> Response:
    try:
        city = await run_in_threadpool(find_city, app_state(request).database, request.path_params["city"])
    except NotFound:
        return not_found_page(request)
    return _report_form(request, city)


async def submit_report(request: Request) -> Response:
    state = app_state(request)
    try:
        city = await run_in_threadpool(find_city, state.database, request.path_params["city"])
    except NotFound:
        return not_found_page(request)
    form = await request.form()
    values = {"category": text_field(form, "category"), "narrative": text_field(form, "narrative")}
    check = check_public_form_token(state.settings.session_key, text_field(form, "form_token"), time.time())
    if check is TokenCheck.INVALID:
        return forbidden_page(request)
    if check is TokenCheck.EXPIRED:
        return _report_form(request, city, values=values, status_code=400,
                            problems={"form": "This form was open a long time. Nothing was sent yet: check your "
                                              "report and send it again."})
    try:
        submitted = await run_in_threadpool(
            reports.submit_report, state.database, state.config, city_slug=city.slug,
            category=values["category"], narrative=values["narrative"])
    except InvalidInput as invalid:
        return _report_form(request, city, values=values, problems=invalid.problems, status_code=400)
    return render(request, "reporter/confirmation.html", {"submitted": submitted})


async def follow_up_form(request: Request) -> Response:
    return render(request, "reporter/follow_up.html", {"form_token": _token(app_state(request))})


def _follow_up_again(request: Request, state: AppState, message: str, status_code: int) -> Response:
    return render(request, "reporter/follow_up.html", {"form_token": _token(state), "problem": message},
                  status_code=status_code)


async def open_follow_up(request: Request) -> Response:
    state = app_state(request)
    form = await request.form()
    check = check_public_form_token(state.settings.session_key, text_field(form, "form_token"), time.time())
    if check is TokenCheck.INVALID:
        return forbidden_page(request)
    wait = count_attempt(request, state.report_key_throttle)
    if wait is not None:
        return too_many_page(request, wait)
    try:
        access = await run_in_threadpool(reports.open_report, state.database, state.config,
                                         text_field(form, "report_key"))
    except WrongCredentials:
        return _follow_up_again(request, state, "No report has that key. Check the digits and try again.", 400)
    return await _case_page(request, state, access)


async def _case_page(request: Request, state: AppState, access: ReporterAccess, *,
                     problem: str | None = None, sent: bool = False, status_code: int = 200) -> Response:
    try:
        view = await run_in_threadpool(reports.reporter_view, state.database, access)
    except NotFound:
        return not_found_page(request)
    return render(request, "reporter/case.html", {
        "view": view, "problem": problem, "sent": sent,
        "access_token": seal_reporter_access(state.settings.session_key, access, time.time()),
    }, status_code=status_code)


async def add_message(request: Request) -> Response:
    state = app_state(request)
    form = await request.form()
    access = open_reporter_access(state.settings.session_key, text_field(form, "access_token"), time.time())
    if access is None:
        return _follow_up_again(request, state, "For your safety the page closed after an hour. Enter your "
                                                "report key again to continue.", 403)
    try:
        await run_in_threadpool(reports.add_reporter_message, state.database, state.config, access,
                                text_field(form, "message"))
    except InvalidInput as invalid:
        return await _case_page(request, state, access, problem=invalid.problems["message"], status_code=400)
    return await _case_page(request, state, access, sent=True)
