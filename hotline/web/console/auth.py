"""Signing in (password and TOTP), enrolling TOTP, signing out, changing city and password."""

from __future__ import annotations

import time

from markupsafe import Markup
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from hotline.access import reviewer
from hotline.client_address import count_attempt
from hotline.form_tokens import TokenCheck, check_public_form_token, issue_public_form_token
from hotline.forms import passkey_fields, text_field
from hotline.rendering import render
from hotline.state import AppState, app_state
from hotline.web.errors import forbidden_page, not_found_page, too_many_page
from intake.accounts import account, passkeys, totp
from intake.accounts.authentication import (
    RefusedByCityRules,
    SignInFailed,
    authenticate,
    authenticate_with_passkey,
    confirm_totp_enrolment,
    record_failure,
)
from intake.accounts.invitations import invitations_for
from intake.accounts.reviewers import CONTENT_ROLES, ROLE_ADMIN, ROLE_AUDITOR, ROLE_COORDINATOR
from intake.accounts.sessions import (
    ReviewerContext,
    cities_of,
    confirm_totp_stage,
    end_session,
    start_session,
    switch_city,
)
from intake.errors import InvalidInput, TooManyAttempts, WrongCredentials
from intake.messages import N_

ACCOUNT_NOTICES = {
    "joined": N_("You joined the city. Sign out and sign in again to open its cases: your copy of its key is waiting "
                 "for your password."),
    "declined": N_("The invitation was declined."),
    "passkey": N_("The passkey was added. It replaces the code from your authenticator app at sign-in; this "
                  "authenticator cannot unlock your keys, so you also type your password."),
    "passkey-unlocks": N_("The passkey was added. It signs you in and unlocks your keys on its own."),
    "passkey-removed": N_("The passkey was removed."),
}
HOME_BY_ROLE = {ROLE_AUDITOR: "/review/audit", ROLE_COORDINATOR: "/review/region"}


def home_path(context: ReviewerContext, *, hr_member: bool, case_member: bool) -> str:
    """Where each role starts its day: the auditor on the audit log, the coordinator on the regional figures, an
    HR officer (in the city's HR group and no case group) on the exit interviews, a reviewer on the inbox."""
    if context.role in CONTENT_ROLES:
        return f"/review/exit/{context.city_slug}" if hr_member and not case_member else "/review/"
    return HOME_BY_ROLE.get(context.role, "/review/account")


def sign_in_page(request: Request, state: AppState, *, problem: str | None = None, status_code: int = 200,
                  email: str = "", notice: str | None = None, wait_seconds: int = 0,
                  background: BackgroundTask | None = None) -> Response:
    """The sign-in form. ``wait_seconds``: how long the next attempt on this email must wait, told in words and
    in ``Retry-After`` (RFC 9110 section 10.2.3)."""
    response = render(request, "reviewer/sign_in.html", {
        "form_token": issue_public_form_token(state.settings.session_key, time.time()),
        "problem": problem, "email": email, "notice": notice, "wait_seconds": wait_seconds,
        "providers": [(name, client.provider.label) for name, client in state.sso_clients.items()]},
        status_code=status_code, headers={"Retry-After": str(wait_seconds)} if wait_seconds else None)
    response.background = background
    return response


def set_session_cookie(response: Response, state: AppState, cookie: str) -> Response:
    response.set_cookie(state.session_cookie, cookie, path="/", secure=state.settings.secure_cookies,
                        httponly=True, samesite="strict")
    return response


def clear_session_cookie(response: Response, state: AppState) -> Response:
    response.delete_cookie(state.session_cookie, path="/", secure=state.settings.secure_cookies, httponly=True,
                           samesite="strict")
    return response


async def sign_in_form(request: Request) -> Response:
    notice = {"password": N_("Your password was changed. Sign in with the new one."),
              "totp": N_("Two-step sign-in is set up.")}.get(request.query_params.get("done", ""))
    return sign_in_page(request, app_state(request), notice=notice)


async def sign_in_submit(request: Request) -> Response:
    state = app_state(request)
    form = await request.form()
    check = check_public_form_token(state.settings.session_key, text_field(form, "form_token"), time.time())
    if check is TokenCheck.INVALID:
        return forbidden_page(request)
    if check is TokenCheck.EXPIRED:
        return sign_in_page(request, state, problem="The page was open too long. Sign in again.", status_code=400)
    wait = count_attempt(request, state.sign_in_throttle)
    if wait is not None:
        return too_many_page(request, wait)
    email = text_field(form, "email")
    response, prf = passkey_fields(form)
    try:
        if response:  # a passkey in place of the code (hotline/static/passkeys.js)
            result = await run_in_threadpool(lambda: authenticate_with_passkey(
                state.database, state.config, email, text_field(form, "password"), response, prf,
                clock=state.clock))
        else:
            result = await run_in_threadpool(lambda: authenticate(
                state.database, state.config, email, text_field(form, "password"), text_field(form, "code"),
                clock=state.clock))
    except SignInFailed as failed:
        # The audit entries of a known account are written after the answer is sent, so an unknown email is
        # answered in the same time (docs/design.md#limits-an-attacker-cannot-turn-against-users).
        return sign_in_page(request, state, problem="Wrong email, password or code.", status_code=400, email=email,
                             wait_seconds=failed.retry_after_seconds,
                             background=BackgroundTask(record_failure, state.database, failed.failure))
    except TooManyAttempts as refused:
        return sign_in_page(request, state, problem="Too many failed sign-ins with this email.", status_code=429,
                            email=email, wait_seconds=refused.retry_after_seconds)
    except RefusedByCityRules:
        return sign_in_page(request, state, problem="Your city has turned sign-in with a password off: sign in "
                                                    "through your city's sign-in service below.", status_code=403,
                            email=email)
    signed_in = result.signed_in
    if not signed_in.memberships and not signed_in.regional_coordinator:
        return sign_in_page(request, state, problem="This account has no role in any city yet.", status_code=400)
    city_id = None if signed_in.regional_coordinator else signed_in.memberships[0].city_id
    cookie = await run_in_threadpool(lambda: start_session(state.database, signed_in, city_id,
                                                           pending_totp_secret=result.enrol_totp_secret,
                                                           method=result.method))
    target = "/review/totp" if result.enrol_totp_secret is not None else "/review/home"
    return set_session_cookie(RedirectResponse(target, status_code=303), state, cookie)


async def home(request: Request) -> Response:
    return RedirectResponse(home_path(reviewer(request), hr_member=getattr(request.state, "hr_member", False),
                                      case_member=getattr(request.state, "case_member", False)), status_code=303)


def _enrolment_page(request: Request, *, problem: str | None = None, status_code: int = 200) -> Response:
    context = reviewer(request)
    secret = context.pending_totp_secret
    if secret is None:
        return not_found_page(request)
    svg = totp.qr_svg(secret, context.email, "QR code for your authenticator app")
    svg = svg.replace("<svg ", '<svg role="img" aria-labelledby="qr-title" ', 1).replace(
        "<title>", '<title id="qr-title">', 1)
    text = totp.secret_text(secret)
    return render(request, "reviewer/totp.html", {
        "context": context, "qr": Markup(svg),  # noqa: S704 (segno's own SVG of a URI we built)
        "secret_groups": " ".join(text[i:i + 4] for i in range(0, len(text), 4)), "problem": problem,
    }, status_code=status_code)


async def totp_form(request: Request) -> Response:
    return _enrolment_page(request)


async def totp_confirm(request: Request) -> Response:
    state, context = app_state(request), reviewer(request)
    form = await request.form()
    if context.pending_totp_secret is None:
        return not_found_page(request)
    try:
        await run_in_threadpool(confirm_totp_enrolment, state.database, context.reviewer_id,
                                context.pending_totp_secret, text_field(form, "code"))
    except WrongCredentials:
        return _enrolment_page(request, problem="That code does not match. Check the time on your phone and type "
                                                "the six digits the app shows now.", status_code=400)
    await run_in_threadpool(confirm_totp_stage, state.database, context)
    return RedirectResponse("/review/home", status_code=303)


async def sign_out(request: Request) -> Response:
    state = app_state(request)
    await run_in_threadpool(end_session, state.database, request.cookies.get(state.session_cookie, ""))
    return clear_session_cookie(RedirectResponse("/review/sign-in", status_code=303), state)


async def change_city(request: Request) -> Response:
    state, context = app_state(request), reviewer(request)
    form = await request.form()
    await run_in_threadpool(switch_city, state.database, context, text_field(form, "city"))
    return RedirectResponse("/review/home", status_code=303)


async def account_page(request: Request, *, problems: dict[str, str] | None = None,
                       status_code: int = 200) -> Response:
    state, context = app_state(request), reviewer(request)
    cities = await run_in_threadpool(cities_of, state.database, context.reviewer_id)
    waiting = await run_in_threadpool(invitations_for, state.database, context)
    mine = await run_in_threadpool(passkeys.passkeys_of, state.database, context.reviewer_id)
    return render(request, "reviewer/account.html", {
        "context": context, "cities": cities, "problems": problems or {}, "is_admin": context.role == ROLE_ADMIN,
        "invitations": waiting, "passkeys": mine, "notice": ACCOUNT_NOTICES.get(request.query_params.get("done", ""))},
        status_code=status_code)


async def change_password(request: Request) -> Response:
    state, context = app_state(request), reviewer(request)
    form = await request.form()
    new = text_field(form, "new_password")
    if new != text_field(form, "new_password_again"):
        return await account_page(request, problems={"new_password_again": "The two new passwords differ."},
                                  status_code=400)
    try:
        await run_in_threadpool(account.change_password, state.database, state.config, context,
                                text_field(form, "current_password"), new)
    except InvalidInput as invalid:
        return await account_page(request, problems=invalid.problems, status_code=400)
    return clear_session_cookie(RedirectResponse("/review/sign-in?done=password", status_code=303), state)
