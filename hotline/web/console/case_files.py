"""The reviewer's side of attachments and identities: downloading an attachment (audited, metadata already
stripped), opening a reporter's identity with a reason (audited). Each handler calls one intake service."""

from __future__ import annotations

from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from hotline.access import reviewer
from hotline.forms import text_field
from hotline.rendering import render
from hotline.state import app_state
from hotline.web.console.downloads import streamed_download
from hotline.web.errors import not_found_page
from intake.errors import InvalidInput
from intake.reports.attachments import download_for_reviewer
from intake.reports.identity import identity_mark, open_identity


def content_disposition(filename: str) -> str:
    """RFC 6266 with an ASCII fallback and the UTF-8 name (RFC 8187), always as a download, never shown inline."""
    fallback = "".join(ch if ch.isascii() and ch.isprintable() and ch not in '"\\;' else "_" for ch in filename)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


async def download(request: Request) -> Response:
    state, context = app_state(request), reviewer(request)
    info, chunks = await run_in_threadpool(download_for_reviewer, state.database, context,
                                           request.path_params["case_id"], request.path_params["item_id"])
    # Served as opaque bytes: the browser saves it and never renders it in the console's origin.
    return await streamed_download(chunks, info.size, media_type="application/octet-stream",
                                   headers={"Content-Disposition": content_disposition(info.filename)})


async def identity_form(request: Request) -> Response:
    state, context = app_state(request), reviewer(request)
    mark = await run_in_threadpool(identity_mark, state.database, context, request.path_params["case_id"])
    if not mark.identity_given:
        return not_found_page(request)
    return render(request, "reviewer/identity.html", {"context": context, "mark": mark,
                                                      "case_id": request.path_params["case_id"]})


async def identity_open(request: Request) -> Response:
    state, context = app_state(request), reviewer(request)
    form = await request.form()
    case_id = request.path_params["case_id"]
    try:
        identity = await run_in_threadpool(open_identity, state.database, context, case_id,
                                           text_field(form, "reason"))
    except InvalidInput as invalid:
        mark = await run_in_threadpool(identity_mark, state.database, context, case_id)
        return render(request, "reviewer/identity.html", {"context": context, "mark": mark, "case_id": case_id,
                                                          "problem": invalid.problems["reason"]}, status_code=400)
    return render(request, "reviewer/identity.html", {"context": context, "case_id": case_id, "identity": identity})
