"""/healthz and /readyz (docs/design.md#operations-and-scale-out), for the container health check and the proxy.

``/healthz``: the process answers (no database call, so a slow database does not get instances killed).
``/readyz``: the database answers and its schema is this version's, so a proxy sends no traffic to an instance
that would fail every request.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from hotline.state import app_state
from intake.db import Database
from intake.operations.migrate import current_revisions, head_revisions


async def healthz(request: Request) -> Response:
    return PlainTextResponse("ok\n")


def readiness(database: Database) -> str | None:
    """None when ready, else why not (a fixed sentence: nothing from the error itself)."""
    try:
        current = current_revisions(database)
    except Exception:
        return "the database cannot be reached"
    if current != head_revisions():
        return "the database schema is not this version's (run `hotline db upgrade`)"
    return None


async def readyz(request: Request) -> Response:
    problem = await run_in_threadpool(readiness, app_state(request).database)
    if problem is None:
        return PlainTextResponse("ready\n")
    return PlainTextResponse(f"not ready: {problem}\n", status_code=503)
