"""The reporter's pages: city list, report form (questionnaire, files, exclusions, identity), confirmation with
the report key, follow-up.

No page sets a cookie or needs JavaScript; forms carry their own tokens (hotline.form_tokens), and the language
stays in the URL (hotline.i18n). Abuse resistance without tracking: a honeypot field, per-client and
per-city submission caps counted in memory, and the throttled report-key check. A reporter who hits a limit gets
the form back with everything typed (files must be attached again, and the page names them), the time to wait
and the phone numbers; nothing is stored.
"""

from __future__ import annotations

import time
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from hotline.client_address import count_attempt, waiting
from hotline.form_tokens import (
    TokenCheck,
    check_public_form_token,
    issue_public_form_token,
    open_reporter_access,
    seal_reporter_access,
)
from hotline.i18n import language_of
from hotline.receipts import Receipt, open_receipt, seal_receipt
from hotline.rendering import render
from hotline.state import AppState, app_state
from hotline.uploads import PostedForm, UploadLimits, read_form
from hotline.web.errors import bad_request_page, forbidden_page, too_many_page
from intake.categories import DEFAULT_CATEGORIES
from intake.cities import list_cities
from intake.errors import InvalidInput, TooManyAttempts, WrongCredentials
from intake.messages import N_
from intake.reports import submission as reports
from intake.reports.attachments import CLEANABLE_TYPES
from intake.reports.forms import ReportFormFacts, report_form_facts
from intake.reports.identity import IdentityChoice
from intake.reports.questionnaires import INPUT_PREFIX
from intake.reports.submission import ReporterAccess
from intake.routing import NobodyCanRead

# A field no person sees or fills (it is off-screen, hidden from assistive technology and out of the tab order);
# a bot that fills every box gives itself away.
HONEYPOT = "website"


def _token(state: AppState) -> str:
    return issue_public_form_token(state.settings.session_key, time.time())


def _limits(state: AppState) -> UploadLimits:
    settings = state.settings
    return UploadLimits(max_file_bytes=settings.max_attachment_bytes,
                        max_total_file_bytes=settings.max_attachments_bytes, max_files=settings.max_attachments,
                        max_text_bytes=settings.max_form_bytes)


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):g}"


def _minutes(wait_seconds: float) -> int:
    return max(1, round(wait_seconds / 60))


def _retry_after(wait_seconds: float) -> dict[str, str]:
    return {"Retry-After": str(int(wait_seconds) + 1)}


async def city_list(request: Request) -> Response:
    cities = await run_in_threadpool(list_cities, app_state(request).database)
    return render(request, "reporter/cities.html", {"cities": cities})


async def anonymity(request: Request) -> Response:
    return render(request, "reporter/anonymity.html")


def _report_form(request: Request, facts: ReportFormFacts, *, values: dict[str, list[str]] | None = None,
                 problems: dict[str, str] | None = None, status_code: int = 200, reattach: tuple[str, ...] = (),
                 wait_minutes: int = 0, nobody_left: bool = False,
                 headers: dict[str, str] | None = None) -> Response:
    state = app_state(request)
    settings = state.settings
    if values is not None and (values.get("identity") or ["anonymous"])[0] != "give":
        values = {name: value for name, value in values.items() if not name.startswith("identity_")}
    return render(request, "reporter/report_form.html", {
        "city": facts.city, "categories": DEFAULT_CATEGORIES, "questionnaire": facts.questionnaire,
        "reviewers": facts.reviewers, "values": values or {}, "problems": problems or {},
        "form_token": _token(state), "max_chars": settings.max_narrative_chars, "honeypot": HONEYPOT,
        "max_file_mb": _megabytes(settings.max_attachment_bytes),
        "max_total_mb": _megabytes(settings.max_attachments_bytes), "max_files": settings.max_attachments,
        "cleanable_types": CLEANABLE_TYPES, "reattach": reattach, "wait_minutes": wait_minutes,
        "nobody_left": nobody_left,
    }, status_code=status_code, headers=headers)


async def report_form(request: Request) -> Response:
    category = request.query_params.get("category")
    facts = await run_in_threadpool(report_form_facts, app_state(request).database,
                                    request.path_params["city"], category)
    return _report_form(request, facts)


def _honeypot_page(request: Request) -> Response:
    return render(request, "error.html", {
        "title": N_("This form could not be sent"),
        "message": N_("A box meant to stay empty was filled in, which is what automated programs do. Nothing was "
                      "stored. If you are a person, go back and send the form again.")}, status_code=400)


async def submit_report(request: Request) -> Response:
    state = app_state(request)
    form = await read_form(request, _limits(state))
    try:
        return await _submit_report(request, state, form)
    finally:
        form.close()


def _excluded_ids(form: PostedForm) -> list[int] | None:
    values = form.getlist("exclude")
    if any(not value.isascii() or not value.isdigit() or len(value) > 12 for value in values):
        return None
    return [int(value) for value in values]


def _refused(request: Request, state: AppState, response: Response) -> Response:
    """A post refused before anything was stored: counted against this client only, never against the city
    (docs/design.md#limits-an-attacker-cannot-turn-against-users)."""
    count_attempt(request, state.refused_post_throttle)
    return response


async def _submit_report(request: Request, state: AppState, form: PostedForm) -> Response:
    city_slug = request.path_params["city"]

    async def form_again(problems: dict[str, str], status_code: int, *, wait: float | None = None,
                         nobody_left: bool = False) -> Response:
        # The form's facts are looked up only when it has to be shown again: a good report costs no extra query.
        # Everything typed comes back (files must be attached again, and the page says which); a post refused by
        # a limit is not counted again, any other refusal counts against this client only.
        facts = await run_in_threadpool(report_form_facts, state.database, city_slug, form.get("category"))
        values = {name: form.getlist(name) for name in form.fields if name not in ("form_token", HONEYPOT)}
        page = _report_form(request, facts, values=values, problems=problems, status_code=status_code,
                            reattach=form.filenames, wait_minutes=_minutes(wait) if wait is not None else 0,
                            nobody_left=nobody_left, headers=_retry_after(wait) if wait is not None else None)
        return page if wait is not None else _refused(request, state, page)

    def admit() -> None:
        # Called by intake once the report passed validation, before the city's cap and before anything is stored.
        client_wait = count_attempt(request, state.submission_throttle)
        if client_wait is not None:
            raise TooManyAttempts(int(client_wait))

    refused_wait = waiting(request, state.refused_post_throttle)
    if refused_wait is not None:
        return await form_again({}, 429, wait=refused_wait)

    if form.unreadable:
        return _refused(request, state, bad_request_page(request))
    check = check_public_form_token(state.settings.session_key, form.get("form_token"), time.time())
    if check is TokenCheck.INVALID:
        return _refused(request, state, forbidden_page(request))
    if form.get(HONEYPOT):
        return _refused(request, state, _honeypot_page(request))
    if check is TokenCheck.EXPIRED:
        return await form_again({"form": N_("This form was open a long time. Nothing was sent yet: check your "
                                            "report and send it again.")}, 400)
    if form.problem is not None:
        return await form_again({form.problem_field: form.problem}, 413)
    excluded = _excluded_ids(form)
    if excluded is None:
        return await form_again({"exclude": N_("Choose reviewers from the list.")}, 400)
    answers = {name: form.getlist(name) for name in form.fields if name.startswith(INPUT_PREFIX)}
    giving = form.get("identity") == "give"  # the name fields are hidden, and ignored, for "stay anonymous"
    identity = IdentityChoice(giving, form.get("identity_name") if giving else "",
                              form.get("identity_contact") if giving else "")
    try:
        submitted = await run_in_threadpool(
            lambda: reports.submit_report(
                state.database, state.config, city_slug=city_slug, category=form.get("category"),
                narrative=form.get("narrative"), excluded_reviewer_ids=excluded, answers=answers, identity=identity,
                attachments=form.files, admit=admit, urgent=form.get("in_danger") == "yes"))
    except NobodyCanRead as nobody:
        return await form_again(nobody.problems, 400, nobody_left=True)
    except InvalidInput as invalid:
        return await form_again(invalid.problems, 400)
    except TooManyAttempts as limited:
        return await form_again({}, 429, wait=limited.retry_after_seconds)
    receipt = Receipt(submitted.report_key, submitted.city_name,
                      tuple((note.filename, note.cleaned) for note in submitted.attachments),
                      submitted.acknowledge_due_on, submitted.feedback_due_on, submitted.urgent)
    return _confirmation(request, state, receipt)


def _confirmation(request: Request, state: AppState, receipt: Receipt) -> Response:
    return render(request, "reporter/confirmation.html", {
        "receipt": receipt, "receipt_token": seal_receipt(state.settings.session_key, receipt, time.time())})


async def receipt(request: Request) -> Response:
    """The confirmation again (in the language asked for), or the key as a plain-text file to keep."""
    state = app_state(request)
    form = await read_form(request, _limits(state))
    form.close()
    opened = open_receipt(state.settings.session_key, form.get("receipt_token"), time.time())
    if opened is None:
        return _follow_up_again(request, state, N_("For your safety the receipt closed after an hour. Your key "
                                                   "still works: enter it here."), 403)
    if form.get("format") != "text":
        return _confirmation(request, state, opened)
    environment = state.environments.get(language_of(request), state.templates)
    text = environment.get_template("reporter/receipt.txt").render(receipt=opened)
    return Response(text, media_type="text/plain; charset=utf-8", headers={
        "Content-Disposition": 'attachment; filename="hotline-report-key.txt"'})


async def follow_up_form(request: Request) -> Response:
    return render(request, "reporter/follow_up.html", {"form_token": _token(app_state(request))})


def _follow_up_again(request: Request, state: AppState, message: str, status_code: int) -> Response:
    return render(request, "reporter/follow_up.html", {"form_token": _token(state), "problem": message},
                  status_code=status_code)


async def open_follow_up(request: Request) -> Response:
    state = app_state(request)
    form = await read_form(request, _limits(state))
    form.close()
    check = check_public_form_token(state.settings.session_key, form.get("form_token"), time.time())
    if check is TokenCheck.INVALID:
        return forbidden_page(request)
    wait = count_attempt(request, state.report_key_throttle)
    if wait is not None:
        return too_many_page(request, wait)
    try:
        access = await run_in_threadpool(reports.open_report, state.database, state.config, form.get("report_key"))
    except WrongCredentials:
        return _follow_up_again(request, state, N_("No report has that key. Check the digits and try again."), 400)
    return await _case_page(request, state, access)


async def _case_page(request: Request, state: AppState, access: ReporterAccess, *, problem: str | None = None,
                     sent: bool = False, files: tuple[tuple[str, bool], ...] = (), status_code: int = 200,
                     message: str = "", reattach: tuple[str, ...] = (), wait: float | None = None) -> Response:
    view = await run_in_threadpool(lambda: reports.reporter_view(state.database, access,
                                                                 language=language_of(request),
                                                                 release_at_once=state.config.release_at_once))
    settings = state.settings
    context: dict[str, Any] = {
        "view": view, "problem": problem, "sent": sent, "files": files, "message": message,
        "access_token": seal_reporter_access(settings.session_key, access, time.time()),
        "max_file_mb": _megabytes(settings.max_attachment_bytes),
        "max_total_mb": _megabytes(settings.max_attachments_bytes), "max_files": settings.max_attachments,
        "cleanable_types": CLEANABLE_TYPES, "reattach": reattach,
        "wait_minutes": _minutes(wait) if wait is not None else 0,
    }
    return render(request, "reporter/case.html", context, status_code=status_code,
                  headers=_retry_after(wait) if wait is not None else None)


def _expired_access(request: Request, state: AppState) -> Response:
    return _follow_up_again(request, state, N_("For your safety the page closed after an hour. Enter your report "
                                               "key again to continue."), 403)


async def view_case(request: Request) -> Response:
    """The case page again, e.g. in the other language, for a reporter who already gave their key."""
    state = app_state(request)
    form = await read_form(request, _limits(state))
    form.close()
    access = open_reporter_access(state.settings.session_key, form.get("access_token"), time.time())
    if access is None:
        return _expired_access(request, state)
    return await _case_page(request, state, access)


async def add_message(request: Request) -> Response:
    state = app_state(request)
    form = await read_form(request, _limits(state))
    try:
        if form.unreadable:
            return bad_request_page(request)
        access = open_reporter_access(state.settings.session_key, form.get("access_token"), time.time())
        if access is None:
            return _expired_access(request, state)
        if form.problem is not None:
            return await _case_page(request, state, access, problem=form.problem, status_code=413,
                                    message=form.get("message"), reattach=form.filenames)
        wait = count_attempt(request, state.submission_throttle)
        if wait is not None:
            return await _case_page(request, state, access, status_code=429, message=form.get("message"),
                                    reattach=form.filenames, wait=wait)
        try:
            notes = await run_in_threadpool(lambda: reports.add_reporter_message(
                state.database, state.config, access, form.get("message"), attachments=form.files))
        except InvalidInput as invalid:
            return await _case_page(request, state, access, problem=invalid.problems["message"], status_code=400,
                                    message=form.get("message"), reattach=form.filenames)
        return await _case_page(request, state, access, sent=True,
                                files=tuple((note.filename, note.cleaned) for note in notes))
    finally:
        form.close()
