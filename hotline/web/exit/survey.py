"""The departing employee's pages: enter a code, open a link, answer, done. English or Spanish (``?lang=es``).

No page sets a cookie or needs JavaScript; the form carries its own token (hotline.form_tokens) and the
invitation it answers. Nothing here logs or stores the link, the code or the address
(docs/design.md#threat-model-and-anonymity-rules).
"""

from __future__ import annotations

import time

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from hotline.access import public_route
from hotline.client_address import count_attempt
from hotline.form_tokens import TokenCheck, check_public_form_token, issue_public_form_token
from hotline.forms import text_field
from hotline.state import AppState, app_state
from hotline.throttle import Throttle
from hotline.web.errors import forbidden_page, too_many_page
from hotline.web.exit.i18n import language_of, render_exit
from intake.errors import InvalidInput
from intake.exit import survey as exit_survey
from intake.exit.survey import UNAVAILABLE, Credential, InvitationUnknown, Survey

# The uninvited link is rate limited (docs/design.md#exit-interviews); so is guessing short codes.
OPEN_LINK_PER_HOUR = 5
CODE_ATTEMPTS_PER_10_MINUTES = 10


def routes() -> list[BaseRoute]:
    return [
        public_route("/exit", code_form),
        public_route("/exit/code", code_submit, methods=["POST"]),
        public_route("/exit/i/{token}", invited_survey),
        public_route("/exit/open/{city}/{link}", open_survey),
        public_route("/exit/answer", answer, methods=["POST"]),
    ]


def _throttles(request: Request) -> tuple[Throttle, Throttle]:
    state = request.app.state
    throttles: tuple[Throttle, Throttle] | None = getattr(state, "exit_throttles", None)
    if throttles is None:
        throttles = (Throttle(CODE_ATTEMPTS_PER_10_MINUTES, 600), Throttle(OPEN_LINK_PER_HOUR, 3600))
        state.exit_throttles = throttles
    return throttles


def _token(state: AppState) -> str:
    return issue_public_form_token(state.settings.session_key, time.time())


def _notice(request: Request, language: str, kind: str) -> Response:
    """A plain page for an invitation that cannot be used; says nothing about who used it."""
    status = {"unknown": 404, "expired": 410, "used": 409}[kind]
    return render_exit(request, "exit/notice.html", language, {"kind": kind}, status_code=status)


def _survey_page(request: Request, survey: Survey, language: str, *, values: dict[str, list[str]] | None = None,
                 problems: dict[str, str] | None = None, status_code: int = 200) -> Response:
    prefill = {f"q_{key}": [value] for key, value in survey.prefill.items()}
    return render_exit(request, "exit/survey.html", language, {
        "survey": survey, "values": values if values is not None else prefill, "problems": problems or {},
        "form_token": _token(app_state(request)), "credential": survey.credential.encode(),
    }, status_code=status_code)


async def _open(request: Request, credential: Credential, language: str) -> Response:
    state = app_state(request)
    try:
        survey = await run_in_threadpool(exit_survey.open_survey, state.database, state.config, credential)
    except UNAVAILABLE as refused:
        return _notice(request, language, refused.notice)
    return _survey_page(request, survey, language)


async def code_form(request: Request) -> Response:
    language = language_of(request)
    return render_exit(request, "exit/code.html", language, {"form_token": _token(app_state(request))})


async def code_submit(request: Request) -> Response:
    state, form = app_state(request), await request.form()
    language = language_of(request, text_field(form, "lang"))
    if check_public_form_token(state.settings.session_key, text_field(form, "form_token"),
                               time.time()) is TokenCheck.INVALID:
        return forbidden_page(request)
    wait = count_attempt(request, _throttles(request)[0])
    if wait is not None:
        return too_many_page(request, wait)
    try:
        credential = exit_survey.code_credential(text_field(form, "code"))
    except InvitationUnknown:
        return render_exit(request, "exit/code.html", language, {"form_token": _token(state), "problem": True},
                           status_code=400)
    return await _open(request, credential, language)


async def invited_survey(request: Request) -> Response:
    return await _open(request, Credential("token", request.path_params["token"][:200]), language_of(request))


async def open_survey(request: Request) -> Response:
    value = f"{request.path_params['city'][:64]}/{request.path_params['link'][:64]}"
    return await _open(request, Credential("open", value), language_of(request))


def _answers(form: FormData) -> dict[str, list[str]]:
    return {name: [v for v in form.getlist(name) if isinstance(v, str)] for name in form if name.startswith("q_")}


async def answer(request: Request) -> Response:
    state, form = app_state(request), await request.form()
    language = language_of(request, text_field(form, "lang"))
    check = check_public_form_token(state.settings.session_key, text_field(form, "form_token"), time.time())
    credential = Credential.decode(text_field(form, "credential"))
    if check is TokenCheck.INVALID or credential is None:
        return forbidden_page(request)
    if credential.kind != "token":
        throttle = _throttles(request)[0 if credential.kind == "code" else 1]
        wait = count_attempt(request, throttle)
        if wait is not None:
            return too_many_page(request, wait)
    values = _answers(form)
    try:
        if check is TokenCheck.EXPIRED:
            raise InvalidInput({"form": "This form was open a long time. Nothing was sent yet: check your answers "
                                        "and send them again."})
        submitted = await run_in_threadpool(exit_survey.submit_survey, state.database, state.config, credential,
                                            text_field(form, "questionnaire"), values)
    except UNAVAILABLE as refused:
        return _notice(request, language, refused.notice)
    except InvalidInput as invalid:
        try:
            survey = await run_in_threadpool(exit_survey.open_survey, state.database, state.config, credential)
        except UNAVAILABLE:
            return _notice(request, language, "unknown")
        return _survey_page(request, survey, language, values=values, problems=invalid.problems, status_code=400)
    return render_exit(request, "exit/done.html", language, {"submitted": submitted})
