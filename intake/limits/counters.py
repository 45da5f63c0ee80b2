"""Counters in the database, so that several instances of the service give an attacker no more tries than one
(docs/design.md#limits-an-attacker-cannot-turn-against-users).

Each counter is one ``attempt_counter`` row, locked while it is read and changed (``SELECT ... FOR UPDATE`` on
PostgreSQL; SQLite's write transactions are serialised by ``BEGIN IMMEDIATE``). Two kinds:

- a *cap*: at most ``limit`` takes per fixed window (a city's reports an hour);
- a *failure count*: failures in a row, each failure making the next attempt wait ``delay_after(failures)``
  seconds (sign-in). An attempt is counted as a failure before it is checked, so concurrent guesses cannot all
  pass a check that saw the same count; a success clears the count.

A counter's row names what it counts by HMAC-SHA256 under the pepper, and expires: expired rows are deleted.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, case, delete, or_, select
from sqlmodel import Session, col

from intake.db import Database, insert_on_conflict, run_on_driver
from intake.errors import TooManyAttempts
from intake.models import AttemptCounter

PURGE_BATCH = 1000


def counter_key(pepper: bytes, purpose: str, name: str) -> str:
    """The row key of a counter: what it counts, keyed under the pepper (``purpose`` separates kinds)."""
    return hmac.new(pepper, f"hotline/v1/counter|{purpose}|{name}".encode(), hashlib.sha256).hexdigest()


def _as_utc(moment: datetime | None, now: datetime) -> datetime | None:
    # SQLite hands back naive datetimes; everything stored is UTC.
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=now.tzinfo)


def _seconds_until(moment: datetime, now: datetime) -> int:
    return max(1, int((moment - now).total_seconds() + 0.999))


def aligned_window_start(now: datetime, window: timedelta) -> datetime:
    """The start of the fixed window ``now`` falls in, counted from the Unix epoch (so an hour's window starts at
    the top of the hour)."""
    seconds = int(window.total_seconds())
    epoch = int(now.timestamp())
    return now - timedelta(seconds=epoch % seconds, microseconds=now.microsecond)


def _locked_row(session: Session, key: str, now: datetime, expires_at: datetime) -> AttemptCounter:
    """The counter's row, made if missing, locked for this transaction (``now``: the moment it starts counting)."""
    insert = insert_on_conflict(session.get_bind().dialect.name, AttemptCounter)
    session.execute(insert.values(key=key, count=0, window_started_at=now, blocked_until=None,
                                  expires_at=expires_at).on_conflict_do_nothing(index_elements=["key"]))
    row = session.execute(select(AttemptCounter).where(col(AttemptCounter.key) == key).with_for_update()
                          .execution_options(populate_existing=True)).scalar_one()
    expired = _as_utc(row.expires_at, now)
    if expired is not None and expired <= now:  # an expired count starts again
        row.count, row.window_started_at, row.blocked_until = 0, now, None
    return row


def take_from_cap(db: Database, key: str, *, limit: int, window: timedelta, now: datetime) -> None:
    """Take one of ``limit`` per ``window``; :class:`TooManyAttempts` when none is left."""
    with db.write() as session:
        take_from_cap_in(session, key, limit=limit, window=window, now=now)


def take_from_cap_in(session: Session, key: str, *, limit: int, window: timedelta, now: datetime) -> None:
    """:func:`take_from_cap` in the caller's write transaction, so what it guards is stored (or, on
    :class:`TooManyAttempts`, rolled back) with the take: a report's intake takes from its city's cap in the
    transaction that stores the report, rather than in one of its own (bench intake)."""
    cap_taken_from(run_on_driver(session, *cap_take(session.get_bind().dialect.name, key, window=window, now=now))
                   .one(), limit=limit, window=window, now=now)


def cap_take(dialect: str, key: str, *, window: timedelta, now: datetime) -> tuple[Any, dict[str, Any]]:
    """The statement and values :func:`take_from_cap_in` runs, for intake.db.run_together: a report's intake sends
    it with the other statements under its city lock. :func:`cap_taken_from` says what its row means."""
    # The window is aligned to the clock (the top of the hour for an hour), not started by the first take: a
    # city's report cap must not store the moment its first report of the hour arrived
    # (docs/design.md#release-slots: nothing a reporter causes keeps a time of day).
    window_start = aligned_window_start(now, window)
    # One statement, built once: made if missing, started again if its window is over, counted, and read back.
    return _take_statement(dialect), {"counter_key": key, "window_start": window_start,
                                      "window_end": window_start + window, "now": now, "stale_before": now - window}


def cap_taken_from(row: tuple[Any, ...], *, limit: int, window: timedelta, now: datetime) -> None:
    """:class:`TooManyAttempts` if the take :func:`cap_take` made (its row: the count and the window's start) went
    over ``limit``. The caller's transaction is then rolled back, and the count with it."""
    count, started = row
    if count > limit:
        started = _as_utc(started, now) or aligned_window_start(now, window)
        raise TooManyAttempts(_seconds_until(started + window, now))


@functools.cache
def _take_statement(dialect: str) -> Any:
    table = AttemptCounter.__table__  # type: ignore[attr-defined]
    when = table.c.window_started_at.type
    window_start = bindparam("window_start", type_=when)
    window_end = bindparam("window_end", type_=when)
    statement = insert_on_conflict(dialect, table).values(
        key=bindparam("counter_key", type_=table.c.key.type), count=1, window_started_at=window_start,
        blocked_until=None, expires_at=window_end)
    over = or_(table.c.expires_at <= bindparam("now", type_=when),
               table.c.window_started_at <= bindparam("stale_before", type_=when))
    return statement.on_conflict_do_update(index_elements=["key"], set_={
        "count": case((over, 1), else_=table.c.count + 1),
        "window_started_at": case((over, window_start), else_=table.c.window_started_at),
        "expires_at": case((over, window_end), else_=table.c.expires_at),
        "blocked_until": None,
    }).returning(table.c.count, table.c.window_started_at)


@functools.cache
def _read_counter() -> Any:
    table = AttemptCounter.__table__  # type: ignore[attr-defined]
    return (select(table.c.count, table.c.window_started_at, table.c.expires_at)
            .where(table.c.key == bindparam("counter_key")))


def cap_read(key: str) -> tuple[Any, dict[str, Any]]:
    """The statement and values that read a cap's counter without taking or locking it (for
    intake.db.run_together); :func:`cap_wait_from` says what its row means."""
    return _read_counter(), {"counter_key": key}


def cap_wait_from(row: tuple[Any, ...] | None, *, limit: int, window: timedelta, now: datetime) -> int | None:
    """Seconds until the cap has room again, if it has none now (``None``: it has), from the row :func:`cap_read`
    read: the early answer that spares a refused report the expensive work before the take."""
    if row is None:
        return None
    count, window_started_at, expires_at = row
    started, expires = _as_utc(window_started_at, now), _as_utc(expires_at, now)
    if started is None or started + window <= now or (expires is not None and expires <= now):
        return None
    return _seconds_until(started + window, now) if count >= limit else None


@dataclass(frozen=True)
class FailureClaim:
    """An attempt counted as a failure until it succeeds: how many failures in a row that makes, and how long
    the next attempt must wait if this one fails."""

    failures: int
    delay_seconds: int


def claim_attempt(db: Database, key: str, *, delay_after: Callable[[int], int], forget_after: timedelta,
                  now: datetime) -> FailureClaim:
    """Count an attempt as a failure (before it is checked). :class:`TooManyAttempts` while an earlier failure's
    delay runs; such an attempt is not counted."""
    with db.write() as session:
        row = _locked_row(session, key, now, now + forget_after)
        blocked = _as_utc(row.blocked_until, now)
        if blocked is not None and now < blocked:
            raise TooManyAttempts(_seconds_until(blocked, now))
        row.count += 1
        delay = delay_after(row.count)
        row.window_started_at = now
        row.blocked_until = now + timedelta(seconds=delay) if delay else None
        row.expires_at = now + forget_after
        session.add(row)
        return FailureClaim(row.count, delay)


def waiting(db: Database, key: str, *, now: datetime) -> int:
    """Seconds the next attempt must still wait (0: none)."""
    with db.read() as session:
        row = session.get(AttemptCounter, key)
    blocked = _as_utc(row.blocked_until, now) if row is not None else None
    return _seconds_until(blocked, now) if blocked is not None and now < blocked else 0


def clear(db: Database, key: str) -> None:
    """Forget a count (a success)."""
    with db.write() as session:
        session.execute(delete(AttemptCounter).where(col(AttemptCounter.key) == key))


def purge_expired(db: Database, *, now: datetime) -> int:
    """Delete counters that expired; rows another transaction holds are left for the next purge."""
    total = 0
    while True:
        with db.write() as session:
            chosen = select(col(AttemptCounter.key)).where(col(AttemptCounter.expires_at) <= now).limit(PURGE_BATCH)
            if not db.is_sqlite:
                chosen = chosen.with_for_update(skip_locked=True)
            keys = list(session.execute(chosen).scalars())
            if keys:
                session.execute(delete(AttemptCounter).where(col(AttemptCounter.key).in_(keys)))
        total += len(keys)
        if len(keys) < PURGE_BATCH:
            return total
