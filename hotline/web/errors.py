"""Error pages. Every expected failure is a page with a plain sentence, never a traceback."""

from __future__ import annotations

import logging

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from hotline.rendering import render
from intake.messages import N_

logger = logging.getLogger("hotline.errors")


def not_found_page(request: Request) -> Response:
    return render(request, "not_found.html", status_code=404, links_to_start=True)


def bad_request_page(request: Request) -> Response:
    return render(request, "error.html", {"title": N_("This request could not be read"),
                                          "message": N_("Nothing was stored. Go back and try again.")},
                  status_code=400)


def forbidden_page(request: Request) -> Response:
    return render(request, "error.html", {"title": N_("This form has expired or was not sent from this site"),
                                          "message": N_("Go back, reload the page, and send it again.")},
                  status_code=403, links_to_start=True)


def too_many_page(request: Request, retry_after_seconds: float) -> Response:
    minutes = max(1, round(retry_after_seconds / 60))
    return render(request, "too_many.html", {"minutes": minutes}, status_code=429,
                  headers={"Retry-After": str(int(retry_after_seconds) + 1)})


async def http_exception(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 404:
        return not_found_page(request)
    titles = {
        400: N_("This request could not be read"),
        405: N_("This page does not take that kind of request"),
        413: N_("What you sent is too large"),
    }
    return render(request, "error.html", {"title": titles.get(exc.status_code, N_("This request was refused")),
                                          "message": N_("Go back and try again.")}, status_code=exc.status_code,
                  links_to_start=True)


async def not_found(request: Request, exc: Exception) -> Response:
    """Every ``intake.errors.NotFound`` a handler lets through: a case, city or page the person may not see is
    answered exactly like one that does not exist."""
    return not_found_page(request)


async def server_error(request: Request, exc: Exception) -> Response:
    # Logged without the message (it could quote what was typed): the formatter keeps type and location.
    logger.error("unhandled error", exc_info=exc)
    return render(request, "error.html", {"title": N_("Something went wrong on our side"),
                                          "message": N_("Nothing you sent was lost or stored half-way. "
                                                        "Please try again in a few minutes.")},
                  status_code=500, links_to_start=True)
