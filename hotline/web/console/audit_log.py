"""The city's audit log, for auditors and admins (read-only)."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from hotline.access import reviewer
from hotline.rendering import render
from hotline.state import app_state
from intake.audit.viewer import audit_page


async def audit_log(request: Request) -> Response:
    state, context = app_state(request), reviewer(request)
    text = request.query_params.get("page", "1")
    page = int(text) if text.isascii() and text.isdigit() and len(text) < 9 else 1
    action = request.query_params.get("action", "")
    data = await run_in_threadpool(audit_page, state.database, context, page, action=action)
    return render(request, "reviewer/audit.html", {"context": context, "data": data, "action": action})
