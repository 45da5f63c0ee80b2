"""Passkeys and single sign-on in the console (docs/design.md#account-keys-and-passkeys,
docs/design.md#single-sign-on): WebAuthn options as JSON for the console's script (hotline/static/passkeys.js),
registering and removing passkeys, signing in through a city's identity provider, and unlocking the keys after it.
"""

from __future__ import annotations

import hmac
import logging
import time
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from hotline.access import reviewer
from hotline.client_address import count_attempt
from hotline.form_tokens import TokenCheck, check_public_form_token
from hotline.forms import passkey_fields, text_field
from hotline.rendering import render
from hotline.sso import COOKIE, SsoError, open_login, seal_login
from hotline.state import AppState, app_state
from hotline.web.console.auth import account_page, set_session_cookie, sign_in_page
from hotline.web.errors import forbidden_page, not_found_page, too_many_page
from intake.accounts import passkeys, sso
from intake.accounts.authentication import RefusedByCityRules, SignInFailed, record_failure
from intake.accounts.sessions import start_session, unlock_session
from intake.errors import InvalidInput, TooManyAttempts

logger = logging.getLogger("hotline.sso")


def _json(data: dict[str, Any]) -> Response:
    return JSONResponse(data, headers={"Cache-Control": "no-store"})


async def sign_in_options(request: Request) -> Response:
    """Options to sign in with a passkey as the email typed (the same shape for any email)."""
    state = app_state(request)
    form = await request.form()
    if check_public_form_token(state.settings.session_key, text_field(form, "form_token"),
                               time.time()) is not TokenCheck.VALID:
        return forbidden_page(request)
    if count_attempt(request, state.sign_in_throttle) is not None:
        return JSONResponse({"error": "too many attempts"}, status_code=429)
    options = await run_in_threadpool(passkeys.sign_in_options, state.database, state.config,
                                      text_field(form, "email"))
    return _json(options)


async def registration_options(request: Request) -> Response:
    state, context = app_state(request), reviewer(request)
    return _json(await run_in_threadpool(passkeys.registration_options, state.database, state.config, context))


async def register(request: Request) -> Response:
    state, context = app_state(request), reviewer(request)
    form = await request.form()
    response, prf = passkey_fields(form)
    try:
        unlocks = await run_in_threadpool(lambda: passkeys.register(state.database, state.config, context, response,
                                                                    prf, text_field(form, "name")))
    except InvalidInput as invalid:
        return await account_page(request, problems=invalid.problems, status_code=400)
    except passkeys.WrongCredentials:
        return await account_page(request, problems={"passkey": "The passkey could not be checked. Try again."},
                                  status_code=400)
    return RedirectResponse("/review/account?done=" + ("passkey-unlocks" if unlocks else "passkey"),
                            status_code=303)


async def remove(request: Request) -> Response:
    state, context = app_state(request), reviewer(request)
    form = await request.form()
    try:
        await run_in_threadpool(passkeys.remove, state.database, context, text_field(form, "passkey"))
    except InvalidInput as invalid:
        return await account_page(request, problems=invalid.problems, status_code=400)
    return RedirectResponse("/review/account?done=passkey-removed", status_code=303)


def _sso_problem(request: Request, state: AppState, problem: str, status_code: int) -> Response:
    return _clear_sso(sign_in_page(request, state, problem=problem, status_code=status_code), state)


def _clear_sso(response: Response, state: AppState) -> Response:
    response.delete_cookie(COOKIE, path="/review/sso/", secure=state.settings.secure_cookies, httponly=True,
                           samesite="lax")
    return response


async def sso_start(request: Request) -> Response:
    state = app_state(request)
    client = state.sso_clients.get(request.path_params["provider"])
    if client is None:
        return not_found_page(request)
    try:
        url, login = await run_in_threadpool(client.start)
    except SsoError as error:
        logger.warning("single sign-on unavailable", extra={"fields": {"provider": client.provider.name,
                                                                       "error": str(error)}})
        # Shown as the sign-in page with its problem: the trouble is the provider's, and other ways in still work.
        return _sso_problem(request, state, "The city's sign-in service cannot be reached. Try again in a few "
                                            "minutes.", 200)
    response = RedirectResponse(url, status_code=303)
    # SameSite=Lax: the provider sends the browser back with a top-level GET from its own site.
    response.set_cookie(COOKIE, seal_login(state.settings.session_key, login), max_age=600, path="/review/sso/",
                        secure=state.settings.secure_cookies, httponly=True, samesite="lax")
    return response


async def sso_callback(request: Request) -> Response:
    state = app_state(request)
    name = request.path_params["provider"]
    client = state.sso_clients.get(name)
    if client is None:
        return not_found_page(request)
    login = open_login(state.settings.session_key, request.cookies.get(COOKIE, ""), time.time())
    returned = request.query_params.get("state", "")
    if login is None or login.provider != name or not hmac.compare_digest(returned.encode(errors="replace"),
                                                                          login.state.encode()):
        return _sso_problem(request, state, "The sign-in took too long or did not start here. Sign in again.", 400)
    code = request.query_params.get("code", "")
    if not code or request.query_params.get("error"):
        return _sso_problem(request, state, "The city's sign-in service did not sign you in.", 400)
    try:
        claims = await run_in_threadpool(client.finish, login, code)
        signed_in = await run_in_threadpool(sso.sign_in, state.database, client.domain_provider, claims)
    except SsoError as error:
        logger.warning("single sign-on failed", extra={"fields": {"provider": name, "error": str(error)}})
        return _sso_problem(request, state, "The city's sign-in service did not sign you in.", 200)
    except sso.NotLinked:
        return _sso_problem(request, state, "That sign-in is not linked to a hotline account. Ask your city's "
                                            "hotline admin to link it.", 403)
    except RefusedByCityRules:
        return _sso_problem(request, state, "Your city requires a sign-in with a second factor at its identity "
                                            "provider.", 403)
    city_id = None if signed_in.regional_coordinator else signed_in.memberships[0].city_id
    cookie = await run_in_threadpool(lambda: start_session(state.database, signed_in, city_id, method="sso",
                                                           locked=True))
    # A page of ours rather than a redirect: a redirect would still count as the provider's cross-site navigation,
    # on which the SameSite=Strict session cookie is not sent.
    page = render(request, "reviewer/continue.html", {"target": "/review/unlock"})
    return _clear_sso(set_session_cookie(page, state, cookie), state)


async def unlock_page(request: Request, *, problem: str | None = None, status_code: int = 200,
                      wait_seconds: int = 0) -> Response:
    state, context = app_state(request), reviewer(request)
    mine = await run_in_threadpool(passkeys.passkeys_of, state.database, context.reviewer_id)
    return render(request, "reviewer/unlock.html", {
        "context": context, "problem": problem, "can_use_passkey": any(p.unlocks for p in mine),
        "wait_seconds": wait_seconds}, status_code=status_code,
        headers={"Retry-After": str(wait_seconds)} if wait_seconds else None)


async def unlock_options(request: Request) -> Response:
    state, context = app_state(request), reviewer(request)
    return _json(await run_in_threadpool(passkeys.unlock_options, state.database, state.config, context))


async def unlock_submit(request: Request) -> Response:
    state, context = app_state(request), reviewer(request)
    form = await request.form()
    response, prf = passkey_fields(form)
    try:
        if response:
            unlocked = await run_in_threadpool(lambda: sso.unlock_with_passkey(state.database, state.config, context,
                                                                               response, prf))
            method = sso.METHOD_SSO_PASSKEY
        else:
            unlocked = await run_in_threadpool(lambda: sso.unlock_with_password(
                state.database, state.config, context, text_field(form, "password")))
            method = sso.METHOD_SSO_PASSWORD
    except SignInFailed as failed:
        await run_in_threadpool(record_failure, state.database, failed.failure)
        return await unlock_page(request, problem="That did not unlock your keys.", status_code=400,
                                 wait_seconds=failed.retry_after_seconds)
    except TooManyAttempts as refused:
        return too_many_page(request, refused.retry_after_seconds)
    cookie = request.cookies.get(state.session_cookie, "")
    await run_in_threadpool(unlock_session, state.database, context, cookie, unlocked.signed_in, method)
    return RedirectResponse("/review/home", status_code=303)

