"""Joining a city by invitation (docs/design.md#joining-a-city-by-invitation): accepting or declining while signed
in, and the public join page where a person without an account uses the code an admin gave them."""

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
from hotline.web.console.auth import account_page
from hotline.web.errors import forbidden_page, too_many_page
from intake.accounts import invitations
from intake.errors import AlreadyExists, InvalidInput, NotFound


async def accept(request: Request) -> Response:
    state, context = app_state(request), reviewer(request)
    form = await request.form()
    try:
        await run_in_threadpool(invitations.accept, state.database, context, text_field(form, "invitation"))
    except (InvalidInput, AlreadyExists) as refused:
        problem = (refused.problems.get("invitation", "") if isinstance(refused, InvalidInput)
                   else "You already have a role in that city.")
        return await account_page(request, problems={"invitation": problem}, status_code=400)
    return RedirectResponse("/review/account?done=joined", status_code=303)


async def decline(request: Request) -> Response:
    state, context = app_state(request), reviewer(request)
    form = await request.form()
    try:
        await run_in_threadpool(invitations.decline, state.database, context, text_field(form, "invitation"))
    except InvalidInput as invalid:
        return await account_page(request, problems=invalid.problems, status_code=400)
    return RedirectResponse("/review/account?done=declined", status_code=303)


def _join_page(request: Request, state: AppState, *, step: str = "code", code: str = "",
               invitation: invitations.CodeInvitation | None = None, problems: dict[str, str] | None = None,
               status_code: int = 200) -> Response:
    return render(request, "reviewer/join.html", {
        "form_token": issue_public_form_token(state.settings.session_key, time.time()), "step": step, "code": code,
        "invitation": invitation, "problems": problems or {}}, status_code=status_code)


async def join_form(request: Request) -> Response:
    return _join_page(request, app_state(request))


async def join_submit(request: Request) -> Response:
    """With the code alone: what the invitation is for, and the password form. With a password too: the account
    is made, or, for an email that already has one, nothing changes; the answer is the same."""
    state = app_state(request)
    form = await request.form()
    check = check_public_form_token(state.settings.session_key, text_field(form, "form_token"), time.time())
    if check is TokenCheck.INVALID:
        return forbidden_page(request)
    if check is TokenCheck.EXPIRED:
        return _join_page(request, state, problems={"code": "The page was open too long. Enter the code again."},
                          status_code=400)
    wait = count_attempt(request, state.invitation_code_throttle)
    if wait is not None:
        return too_many_page(request, wait)
    code = text_field(form, "code")
    try:
        invitation = await run_in_threadpool(invitations.invitation_for_code, state.database, state.config, code)
    except NotFound:
        return _join_page(request, state, problems={"code": "No open invitation has that code. Check it, or ask "
                                                            "the city's admin for a new one."}, status_code=400)
    password = text_field(form, "password")
    if "password" not in form:
        return _join_page(request, state, step="password", code=code, invitation=invitation)
    if password != text_field(form, "password_again"):
        return _join_page(request, state, step="password", code=code, invitation=invitation,
                          problems={"password_again": "The two passwords differ."}, status_code=400)
    try:
        await run_in_threadpool(lambda: invitations.join_with_code(state.database, state.config, code=code,
                                                                   password=password))
    except InvalidInput as invalid:
        return _join_page(request, state, step="password", code=code, invitation=invitation,
                          problems=invalid.problems, status_code=400)
    except NotFound:
        return _join_page(request, state, problems={"code": "No open invitation has that code. Check it, or ask "
                                                            "the city's admin for a new one."}, status_code=400)
    return _join_page(request, state, step="done", invitation=invitation)
