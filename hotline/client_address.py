"""The only place that reads a client's network address (DESIGN.md section 3, rule 1).

The address is turned at once into the throttle's hourly keyed hash and dropped: it is never stored, logged,
rendered or passed to ``intake``.
"""

from __future__ import annotations

from starlette.requests import Request

from hotline.throttle import Throttle


def count_attempt(request: Request, throttle: Throttle) -> float | None:
    """Count one attempt by this client; ``None`` if allowed, else seconds to wait."""
    address = request.client.host if request.client else None
    return throttle.attempt(throttle.tag(address))
