"""Who may use each route. Every route in the app is made by one of the helpers here, so each carries an
:class:`AccessRule`; a test walks the route table and fails on any route without one
(tests/hotline/test_access_matrix.py).

Reviewer routes resume the session from its cookie, check the role, and on POST check the session's CSRF token
before the handler runs. A wrong or expired session goes back to sign-in with nothing changed.
"""

from __future__ import annotations

import functools
import hmac
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.types import ASGIApp

from hotline.state import app_state
from hotline.web.errors import bad_request_page, forbidden_page, not_found_page
from intake.accounts.reviewers import CONTENT_ROLES, ROLE_ADMIN, ROLE_TOTP_ENROLMENT, ROLE_UNLOCK
from intake.accounts.sessions import ReviewerContext, resume_session
from intake.errors import NotFound
from intake.exit.hr import works_in_hr
from intake.routing import city_routing_gaps

Endpoint = Callable[[Request], Awaitable[Response]]

PUBLIC = "public"
SIGNED_IN = "signed-in"
TOTP_ENROLMENT_PATH = "/review/totp"
UNLOCK_PATH = "/review/unlock"


@dataclass(frozen=True)
class AccessRule:
    audience: str
    roles: frozenset[str] = frozenset()

    def describe(self) -> str:
        return PUBLIC if self.audience == PUBLIC else "roles: " + ", ".join(sorted(self.roles))


class RuledRoute(Route):
    access_rule: AccessRule


class RuledMount(Mount):
    access_rule: AccessRule


def nul_refusal(request: Request) -> Response | None:
    """The answer to a URL with a NUL character in a path parameter (404: it names nothing) or in the query
    (400), else None. PostgreSQL can neither hold nor compare a NUL (SQLite can), so a lookup with one would fail
    instead of finding nothing (the NUL sweep of tests/hotline/fuzz_support.py); no URL of this app carries one."""
    if any("\x00" in str(value) for value in request.path_params.values()):
        return not_found_page(request)
    if any("\x00" in name or "\x00" in value for name, value in request.query_params.multi_items()):
        return bad_request_page(request)
    return None


def _refusing_nul(endpoint: Endpoint) -> Endpoint:
    @functools.wraps(endpoint)
    async def checked(request: Request) -> Response:
        return nul_refusal(request) or await endpoint(request)

    return checked


def public_route(path: str, endpoint: Endpoint, *, methods: Sequence[str] = ("GET",), name: str | None = None) -> Route:
    route = RuledRoute(path, _refusing_nul(endpoint), methods=list(methods), name=name)
    route.access_rule = AccessRule(PUBLIC)
    return route


def public_mount(path: str, app: ASGIApp, *, name: str) -> Mount:
    mount = RuledMount(path, app=app, name=name)
    mount.access_rule = AccessRule(PUBLIC)
    return mount


def reviewer(request: Request) -> ReviewerContext:
    context: ReviewerContext = request.state.reviewer
    return context


def sign_in_redirect() -> Response:
    return RedirectResponse("/review/sign-in", status_code=303)


def reviewer_route(
    path: str, endpoint: Endpoint, *, roles: Iterable[str], methods: Sequence[str] = ("GET",), name: str | None = None
) -> Route:
    allowed = frozenset(roles)

    @functools.wraps(endpoint)
    async def guarded(request: Request) -> Response:
        refusal = nul_refusal(request)
        if refusal is not None:
            return refusal
        state = app_state(request)
        cookie = request.cookies.get(state.session_cookie, "")
        if not cookie:
            return sign_in_redirect()
        try:
            context = await run_in_threadpool(resume_session, state.database, state.config, cookie)
        except NotFound:
            response = sign_in_redirect()
            response.delete_cookie(state.session_cookie, path="/", secure=state.settings.secure_cookies,
                                   httponly=True, samesite="strict")
            return response
        if context.role not in allowed:
            if context.role == ROLE_TOTP_ENROLMENT:
                # Nothing but the enrolment page until TOTP is set up (docs/design.md#sessions).
                return RedirectResponse(TOTP_ENROLMENT_PATH, status_code=303)
            if context.role == ROLE_UNLOCK:
                # Nothing but the unlock page until the keys are open (docs/design.md#single-sign-on).
                return RedirectResponse(UNLOCK_PATH, status_code=303)
            return not_found_page(request)
        if request.method == "POST":
            form = await request.form()
            token = form.get("csrf_token")
            # Compared as bytes: compare_digest raises TypeError on a str with non-ASCII characters.
            if not isinstance(token, str) or not hmac.compare_digest(token.encode(errors="replace"),
                                                                      context.csrf_token.encode()):
                return forbidden_page(request)
        request.state.reviewer = context
        if context.role in CONTENT_ROLES:
            # The navigation offers exit interviews to the city's HR group (reviewer/base.html).
            request.state.hr_member, request.state.case_member = await run_in_threadpool(
                works_in_hr, state.database, context)
        if context.role == ROLE_ADMIN and context.city_id is not None:
            # Shown on every page of the console (reviewer/base.html) until fixed (docs/design.md#case-handling).
            request.state.routing_gaps = await run_in_threadpool(city_routing_gaps, state.database, context.city_id)
        return await endpoint(request)

    route = RuledRoute(path, guarded, methods=list(methods), name=name or endpoint.__name__)
    route.access_rule = AccessRule(SIGNED_IN, allowed)
    return route
