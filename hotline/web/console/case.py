"""The case page and everything done from it. Each POST calls one intake service; a case the reviewer cannot
read is a 404 (audited by the service), bad input shows the page again with the problem and changes nothing,
and success redirects back to the page with a notice (post/redirect/get)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from dataclasses import replace
from typing import IO, Any, cast

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from crypto.scratch import ScratchFile
from hotline.access import reviewer
from hotline.audit_words import AuditWords
from hotline.exports.case_pdf import case_pdf
from hotline.forms import text_field
from hotline.i18n import language_of
from hotline.rendering import render, translation
from hotline.state import app_state
from hotline.web.console.downloads import streamed_download
from intake.case_status import OUTCOMES, STATUSES
from intake.casework import assignment, closed_records, notes, redaction
from intake.casework import status_changes as case_status_changes
from intake.casework.cases import reply_to_reporter
from intake.casework.export import CaseExport, export_case, open_streamed_item, write_case_zip
from intake.casework.page import open_case_page
from intake.errors import InvalidInput
from intake.items import KIND_INFORMATION_REQUEST, KIND_REVIEWER_REPLY
from intake.messages import N_

NOTICES = {
    "reply": N_("Your reply was sent. The reporter will see it with their report key."),
    "request": N_("Your request for information was sent. The reporter will see it with their report key."),
    "note": N_("Your internal note was saved. Only reviewers of the city can read it."),
    "status": N_("The status was changed."),
    "assign": N_("The assignment was changed."),
    "redact": N_("The passage was redacted. The original is gone for good."),
    "redact-item": N_("The item was redacted. The original is gone for good."),
    "record": N_("The closed-record designation was saved."),
}


def _case_id(request: Request) -> str:
    return str(request.path_params["case_id"])


# Which action panel of the case page holds each field: the panel with a problem opens, the others stay closed.
ACTION_OF_FIELD = {"reply": "reply", "feedback": "reply", "request": "request", "note": "note", "status": "status",
                   "outcome": "status", "reason": "status", "assignee": "assign", "subsection": "record"}
FIELD_LABELS = {"reply": N_("Reply"), "request": N_("Your question"), "note": N_("Note for the city's reviewers"),
                "status": N_("New status"), "outcome": N_("Outcome (needed to conclude)"),
                "reason": N_("Reason (needed to reopen a concluded case)"), "assignee": N_("Assigned to"),
                "subsection": N_("Closed under")}
# What a reviewer typed comes back with a problem, so nothing has to be typed twice.
TYPED_FIELDS = ("reply", "request", "note", "reason", "passage")


async def _page(request: Request, *, problems: dict[str, str] | None = None, status_code: int = 200,
                form: FormData | None = None) -> Response:
    state, context = app_state(request), reviewer(request)
    data = await run_in_threadpool(open_case_page, state.database, context, _case_id(request))
    done, problems = request.query_params.get("done", ""), problems or {}
    translate = translation(request)
    words = AuditWords(translate, language_of(request), state.settings.time_zone_of(context.city_slug))
    # A built-in group's name is stored in English (intake.routing.DEFAULT_GROUPS): shown in the page's language.
    facts = replace(data.facts, group_name=translate(data.facts.group_name) if data.facts.group_name else None)
    typed = {name: text_field(form, name) if form is not None else "" for name in TYPED_FIELDS}
    redacting = text_field(form, "item") if form is not None and ("passage" in problems or "item" in problems) else ""
    return render(request, "reviewer/case.html", {
        "context": context, "view": data.view, "facts": facts, "timeline": words.entries(data.timeline),
        "assignable": data.assignable, "names": dict(data.assignable), "problems": problems,
        "notice": NOTICES.get(done), "sent": done == "reply", "statuses": STATUSES, "outcomes": OUTCOMES,
        "subsections": closed_records.SUBSECTIONS, "typed": typed, "redact_item_id": redacting,
        "open_action": next((ACTION_OF_FIELD[name] for name in problems if name in ACTION_OF_FIELD), None),
        "labels": {name: translate(label) for name, label in FIELD_LABELS.items()},
    }, status_code=status_code)


async def case_page(request: Request) -> Response:
    return await _page(request)


Action = Callable[[Any, FormData], Any]


async def _act(request: Request, done: str, action: Action) -> Response:
    state = app_state(request)
    form = await request.form()
    try:
        await run_in_threadpool(action, state, form)
    except InvalidInput as invalid:
        return await _page(request, problems=invalid.problems, status_code=400, form=form)
    return RedirectResponse(f"/review/cases/{_case_id(request)}?done={done}", status_code=303)


def _handler(done: str, make: Callable[[Request], Action]) -> Callable[[Request], Awaitable[Response]]:
    async def handle(request: Request) -> Response:
        return await _act(request, done, make(request))
    handle.__name__ = "case_" + done.replace("-", "_")
    return handle


def _reply(request: Request) -> Action:
    return lambda state, form: reply_to_reporter(
        state.database, state.config, reviewer(request), _case_id(request), text_field(form, "reply"),
        feedback=text_field(form, "feedback") == "1", kind=KIND_REVIEWER_REPLY)


def _request(request: Request) -> Action:
    return lambda state, form: reply_to_reporter(
        state.database, state.config, reviewer(request), _case_id(request), text_field(form, "request"),
        kind=KIND_INFORMATION_REQUEST)


def _note(request: Request) -> Action:
    return lambda state, form: notes.add_internal_note(state.database, state.config, reviewer(request),
                                                       _case_id(request), text_field(form, "note"))


def _status(request: Request) -> Action:
    return lambda state, form: case_status_changes.change_status(
        state.database, state.config, reviewer(request), _case_id(request), text_field(form, "status"),
        outcome=text_field(form, "outcome"), reason=text_field(form, "reason"))


def _assign(request: Request) -> Action:
    def act(state: Any, form: FormData) -> None:
        text = text_field(form, "assignee")
        if text and not (text.isascii() and text.isdigit() and len(text) < 10):
            raise InvalidInput({"assignee": N_("Choose a reviewer from the list.")})
        assignment.assign_case(state.database, reviewer(request), _case_id(request), int(text) if text else None)
    return act


def _redact(request: Request) -> Action:
    return lambda state, form: redaction.redact_passage(state.database, reviewer(request), _case_id(request),
                                                        text_field(form, "item"), text_field(form, "passage"))


def _redact_item(request: Request) -> Action:
    return lambda state, form: redaction.redact_item(state.database, reviewer(request), _case_id(request),
                                                     text_field(form, "item"))


def _record(request: Request) -> Action:
    return lambda state, form: closed_records.close_as_record(state.database, reviewer(request), _case_id(request),
                                                              text_field(form, "subsection"))


reply = _handler("reply", _reply)
request_information = _handler("request", _request)
add_note = _handler("note", _note)
change_status = _handler("status", _status)
assign = _handler("assign", _assign)
_apply_passage = _handler("redact", _redact)
_apply_item = _handler("redact-item", _redact_item)


async def _second_look(request: Request, whole_item: bool) -> Response:
    """A redaction cannot be undone: the first post shows exactly what would go (the confirmation page), and only
    a post with ``confirm=1`` from that page removes it (docs/design.md#case-handling)."""
    state, context = app_state(request), reviewer(request)
    form = await request.form()
    if text_field(form, "confirm") == "1":
        return await (_apply_item if whole_item else _apply_passage)(request)
    item_id = text_field(form, "item")
    try:
        if whole_item:
            preview = await run_in_threadpool(redaction.preview_item, state.database, context, _case_id(request),
                                              item_id)
        else:
            preview = await run_in_threadpool(redaction.preview_passage, state.database, context,
                                              _case_id(request), item_id, text_field(form, "passage"))
    except InvalidInput as invalid:
        return await _page(request, problems=invalid.problems, status_code=400, form=form)
    return render(request, "reviewer/redact_confirm.html", {
        "context": context, "case_id": _case_id(request), "preview": preview})


async def redact_passage(request: Request) -> Response:
    return await _second_look(request, whole_item=False)


async def redact_item(request: Request) -> Response:
    return await _second_look(request, whole_item=True)
closed_record = _handler("record", _record)


def _case_document(request: Request, export_format: str) -> tuple[CaseExport, bytes]:
    """The case exported (audited with ``export_format``) and its PDF, in the console's language and the city's
    time zone. Runs in a worker thread."""
    state, context, language = app_state(request), reviewer(request), language_of(request)
    exported = export_case(state.database, context, _case_id(request), export_format=export_format,
                           language=language)
    body = case_pdf(exported, state.settings.pdf_font_path, translate=translation(request), language=language,
                    zone=state.settings.time_zone_of(exported.city_slug))
    return exported, body


async def export_pdf(request: Request) -> Response:
    exported, body = await run_in_threadpool(_case_document, request, "pdf")
    return Response(body, media_type="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="case-{exported.view.summary.number}.pdf"'})


async def export_zip(request: Request) -> Response:
    state, context = app_state(request), reviewer(request)

    def build() -> tuple[ScratchFile, int]:
        # The archive holds the files in clear: it is built in an encrypted scratch file (crypto.scratch), so it
        # is never whole in memory and never on disk in clear (a spooled temporary file wrote it out in clear).
        exported, pdf = _case_document(request, "zip")
        scratch = ScratchFile()
        try:
            write_case_zip(state.database, context, exported, pdf, cast(IO[bytes], scratch))
        except BaseException:
            scratch.close()
            raise
        return scratch.finish(), exported.view.summary.number

    scratch, number = await run_in_threadpool(build)

    def chunks() -> Iterator[bytes]:
        with scratch:
            yield from scratch.chunks()

    return await streamed_download(chunks(), scratch.size, media_type="application/zip", headers={
        "Content-Disposition": f'attachment; filename="case-{number}.zip"'})


async def item_content(request: Request) -> Response:
    """A file or recording, decrypted as it streams (the audio player's source)."""
    state, context = app_state(request), reviewer(request)
    item = await run_in_threadpool(open_streamed_item, state.database, context, _case_id(request),
                                   str(request.path_params["item_id"]))
    disposition = "inline" if item.media_type.startswith("audio/") else "attachment"
    return await streamed_download(item.chunks, item.size, media_type=item.media_type, headers={
        "Content-Disposition": f'{disposition}; filename="item-{item.position}-{item.kind}"'})

