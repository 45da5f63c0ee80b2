"""Error pages. Every expected failure is a page with a plain sentence, never a traceback (issue 2)."""

from __future__ import annotations

import logging

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from hotline.rendering import render

logger = logging.getLogger("hotline.errors")


def not_found_page(request: Request) -> Response:
    return render(request, "not_found.html", status_code=404)


def forbidden_page(request: Request) -> Response:
    return render(request, "error.html", {"title": "This form has expired or was not sent from this site",
                                          "message": "Go back, reload the page, and send it again."},
                  status_code=403)


def too_many_page(request: Request, retry_after_seconds: float) -> Response:
    minutes = max(1, round(retry_after_seconds / 60))
    return render(request, "too_many.html", {"minutes": minutes}, status_code=429,
                  headers={"Retry-After": str(int(retry_after_seconds) + 1)})


async def http_exception(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 404:
        return not_found_page(request)
    titles = {
        400: "This request could not be read",
        405: "This page does not take that kind of request",
        413: "What you sent is too large",
    }
    return render(request, "error.html", {"title": titles.get(exc.status_code, "This request was refused"),
                                          "message": "Go back and try again."}, status_code=exc.status_code)


async def server_error(request: Request, exc: Exception) -> Response:
    # Logged without the message (it could quote what was typed): the formatter keeps type and location.
    logger.error("unhandled error", exc_info=exc)
    return render(request, "error.html", {"title": "Something went wrong on our side",
                                          "message": "Nothing you sent was lost or stored half-way. "
                                                     "Please try again in a few minutes."},
                  status_code=500)
