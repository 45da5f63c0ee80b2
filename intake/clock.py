"""Time, passed in so tests can move it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


def today(clock: Clock) -> date:
    return clock().date()
