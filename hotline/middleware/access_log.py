"""Logging that cannot hold a client address (docs/design.md#threat-model-and-anonymity-rules, rule 1), nor the
time of a reporter's visit.

uvicorn's access log prints the client's address and port, so it is switched off and replaced by this
middleware, which is never given the address: it logs method, route, status and duration only. Every log line
is one JSON object.

Only the reviewer console and the operations endpoints are logged request by request. Every line carries the
time it was written (and journald or Docker add their own), so a line for a report, a follow-up, a phone call, an
exit interview or the pages and files they load would date it to the second, which the release slots exist to
prevent (docs/design.md#release-slots). Nor are they counted by route in /metrics (hotline.middleware.metrics).
A server error is logged wherever it happens, because an operator must see it.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

access_logger = logging.getLogger("hotline.access")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update(getattr(record, "fields", {}))
        if record.exc_info and record.exc_info[0] is not None:
            # The exception's type and where it happened, never its message: messages can quote input.
            entry["exception"] = record.exc_info[0].__name__
            tb = record.exc_info[2]
            while tb is not None and tb.tb_next is not None:
                tb = tb.tb_next
            if tb is not None:
                entry["at"] = f"{tb.tb_frame.f_code.co_filename}:{tb.tb_lineno}"
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(level: str = "info") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers[:] = []
        logger.propagate = True
    logging.getLogger("uvicorn.access").disabled = True


def route_of(scope: Scope) -> str:
    """The name of the endpoint that answered, or a fixed word: never the raw path, which could carry
    anything a visitor typed."""
    name = getattr(scope.get("endpoint"), "__name__", None)
    return name if isinstance(name, str) else "(unmatched)"


# Reviewers' and operators' requests: their times are theirs, not a reporter's.
LOGGED_PREFIXES = ("/review", "/healthz", "/readyz", "/metrics")


def logged_path(path: str) -> bool:
    return any(path == prefix or path.startswith(prefix + "/") for prefix in LOGGED_PREFIXES)


class AccessLogMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def record_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, record_status)
        finally:
            if logged_path(scope.get("path", "")) or status >= 500:
                access_logger.info("request", extra={"fields": {
                    "method": scope.get("method"), "route": route_of(scope), "status": status,
                    "ms": round((time.perf_counter() - started) * 1000, 1),
                }})
