"""The reviewer console: sign-in, inbox, case page, reply. Every route but sign-in is a reviewer_route."""

from __future__ import annotations

import time

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from hotline.access import reviewer
from hotline.client_address import count_attempt
from hotline.form_tokens import TokenCheck, check_public_form_token, issue_public_form_token
from hotline.forms import text_field
from hotline.rendering import render
from hotline.state import AppState, app_state
from hotline.web.errors import forbidden_page, not_found_page, too_many_page
from intake import casework
from intake.errors import InvalidInput, NotFound, WrongCredentials
from intake.reviewer_sessions import cities_of, end_session, start_session, switch_city
from intake.reviewers import sign_in


def _sign_in_page(request: Request, state: AppState, *, problem: str | None = None, status_code: int = 200,
                  email: str = "") -> Response:
    return render(request, "reviewer/sign_in.html", {
        "form_token": issue_public_form_token(state.settings.session_key, time.time()),
        "problem": problem, "email": email}, status_code=status_code)


async def sign_in_form(request: Request) -> Response:
    return _sign_in_page(request, app_state(request))


async def sign_in_submit(request: Request) -> Response:
    state = app_state(request)
    form = await request.form()
    check = check_public_form_token(state.settings.session_key, text_field(form, "form_token"), time.time())
    if check is TokenCheck.INVALID:
        return forbidden_page(request)
    if check is TokenCheck.EXPIRED:
        return _sign_in_page(request, state, problem="The page was open too long. Sign in again.", status_code=400)
    wait = count_attempt(request, state.sign_in_throttle)
    if wait is not None:
        return too_many_page(request, wait)
    email = text_field(form, "email")
    try:
        signed_in = await run_in_threadpool(sign_in, state.database, state.config, email, text_field(form, "password"))
    except WrongCredentials:
        return _sign_in_page(request, state, problem="Wrong email or password.", status_code=400, email=email)
    if not signed_in.memberships:
        return _sign_in_page(request, state, problem="This account has no role in any city yet.", status_code=400)
    cookie = await run_in_threadpool(start_session, state.database, signed_in, signed_in.memberships[0].city_id)
    response = RedirectResponse("/review/", status_code=303)
    response.set_cookie(state.session_cookie, cookie, path="/", secure=state.settings.secure_cookies,
                        httponly=True, samesite="strict")
    return response


async def sign_out(request: Request) -> Response:
    state = app_state(request)
    await run_in_threadpool(end_session, state.database, request.cookies.get(state.session_cookie, ""))
    response = RedirectResponse("/review/sign-in", status_code=303)
    response.delete_cookie(state.session_cookie, path="/", secure=state.settings.secure_cookies, httponly=True,
                           samesite="strict")
    return response


async def inbox(request: Request) -> Response:
    state, context = app_state(request), reviewer(request)
    page_text = request.query_params.get("page", "1")
    page = int(page_text) if page_text.isdigit() and len(page_text) < 9 else 1
    listing = await run_in_threadpool(casework.list_cases, state.database, context, page=page)
    cities = await run_in_threadpool(cities_of, state.database, context.reviewer_id)
    return render(request, "reviewer/inbox.html", {"context": context, "listing": listing, "cities": cities})


async def change_city(request: Request) -> Response:
    state, context = app_state(request), reviewer(request)
    form = await request.form()
    try:
        await run_in_threadpool(switch_city, state.database, context, text_field(form, "city"))
    except NotFound:
        return not_found_page(request)
    return RedirectResponse("/review/", status_code=303)


async def _case_page(request: Request, *, problem: str | None = None, sent: bool = False,
                     status_code: int = 200) -> Response:
    state, context = app_state(request), reviewer(request)
    try:
        view = await run_in_threadpool(casework.read_case, state.database, context, request.path_params["case_id"])
    except NotFound:
        return not_found_page(request)
    return render(request, "reviewer/case.html", {"context": context, "view": view, "problem": problem,
                                                   "sent": sent}, status_code=status_code)


async def case_page(request: Request) -> Response:
    return await _case_page(request)


async def reply(request: Request) -> Response:
    state, context = app_state(request), reviewer(request)
    form = await request.form()
    try:
        await run_in_threadpool(casework.reply_to_reporter, state.database, state.config, context,
                                request.path_params["case_id"], text_field(form, "reply"))
    except NotFound:
        return not_found_page(request)
    except InvalidInput as invalid:
        return await _case_page(request, problem=invalid.problems["reply"], status_code=400)
    return await _case_page(request, sent=True)
