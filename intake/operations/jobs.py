"""A job queue in the database that any number of workers on any number of instances can share
(docs/design.md#operations-and-scale-out).

- ``enqueue`` adds a job inside the caller's transaction, so a job exists exactly when the change that needs
  it commits. A ``dedupe_key`` makes enqueueing idempotent.
- ``claim`` takes one due job: ``SELECT ... FOR UPDATE SKIP LOCKED`` on PostgreSQL, so workers never wait
  for or take each other's jobs; on SQLite the write transaction (``BEGIN IMMEDIATE``) makes one claimer at a
  time. A claim is a lease: a worker that dies mid-job loses it when the lease runs out, and the job is retried.
- A handler commits its effect and ``JobRun.finish`` in ONE transaction. ``finish`` checks the lease token, so
  if the lease was lost and another worker took the job, this worker's transaction rolls back: each job's
  effect commits exactly once.
- A long job (transcribing a long recording) keeps its lease with ``kept_alive``: a thread renews it every
  third of the lease while the handler works, so no other worker takes the job from a worker still at it.
- Failures are retried with exponential backoff and jitter, up to ``max_attempts``; the error's type is kept,
  never its message.
"""

from __future__ import annotations

import json
import logging
import secrets
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from intake.clock import Clock, utc_now
from intake.db import Database
from intake.models.job import DONE, FAILED, QUEUED, RUNNING, Job

logger = logging.getLogger("hotline.jobs")

DEFAULT_LEASE = timedelta(minutes=5)
MAX_BACKOFF = timedelta(hours=1)


class LeaseLost(Exception):
    """The job's lease ran out and another worker took it; this worker's transaction must not commit."""


class HandlerDidNotFinish(Exception):
    """A handler returned without calling JobRun.finish inside its final transaction."""


def enqueue(
    session: Session,
    kind: str,
    payload: Mapping[str, Any] | None = None,
    *,
    dedupe_key: str | None = None,
    run_after: datetime | None = None,
    max_attempts: int = 12,
    clock: Clock = utc_now,
) -> Job | None:
    """Add a job in the caller's transaction. Returns None when a job with ``dedupe_key`` already exists."""
    if dedupe_key is not None and session.exec(select(Job.id).where(Job.dedupe_key == dedupe_key)).first():
        return None
    now = clock()
    job = Job(kind=kind, payload=json.dumps(dict(payload or {}), sort_keys=True), run_after=run_after or now,
              max_attempts=max_attempts, dedupe_key=dedupe_key, created_at=now)
    if dedupe_key is None:
        session.add(job)
        return job
    try:
        with session.begin_nested():  # a concurrent enqueue of the same key loses quietly
            session.add(job)
    except IntegrityError:
        return None
    return job


@dataclass
class JobRun:
    """A claimed job, handed to its handler."""

    id: int
    kind: str
    payload: dict[str, Any]
    attempt: int
    lease_token: str
    database: Database
    clock: Clock
    finished: bool = False
    lease: timedelta = DEFAULT_LEASE
    max_attempts: int = 12

    @property
    def last_attempt(self) -> bool:
        """Whether a failure now would fail the job for good."""
        return self.attempt >= self.max_attempts

    def finish(self, session: Session, *, month_only: bool = False) -> None:
        """Mark the job done in ``session``'s transaction, which must also hold the job's effect. A finished job
        keeps the day only and no payload (:func:`closed_values`).

        ``month_only``: the job's times become the first of the month, as an anonymous exit response's are
        (docs/design.md#exit-interviews): a job that stored one must not date it even to the day."""
        values = closed_values(self.clock())
        if month_only:
            month = values["finished_at"].replace(day=1)
            values.update(finished_at=month, created_at=month, run_after=month)
        result = session.execute(
            update(Job)
            .where(col(Job.id) == self.id, col(Job.lease_token) == self.lease_token, col(Job.state) == RUNNING)
            .values(state=DONE, **values)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise LeaseLost(f"job {self.id} was taken over by another worker")
        self.finished = True

    def renew(self) -> None:
        """Extend the lease by its length from now; LeaseLost if another worker has taken the job."""
        with self.database.write() as session:
            result = session.execute(
                update(Job)
                .where(col(Job.id) == self.id, col(Job.lease_token) == self.lease_token, col(Job.state) == RUNNING)
                .values(lease_until=self.clock() + self.lease)
            )
            if result.rowcount != 1:  # type: ignore[attr-defined]
                raise LeaseLost(f"job {self.id} was taken over by another worker")


@contextmanager
def kept_alive(run: JobRun, *, every: timedelta | None = None) -> Iterator[None]:
    """Renew ``run``'s lease every third of it (or ``every``) while the block runs, from a thread of its own:
    the handler's work (a download, voice disguise, transcription) needs no pauses to call back."""
    interval = (every or run.lease / 3).total_seconds()
    stop = threading.Event()

    def renew() -> None:
        while not stop.wait(interval):
            try:
                run.renew()
            except LeaseLost:
                return  # the handler's own finish() will find out and roll back
            except Exception as error:  # the database was busy or away: try again at the next tick
                logger.warning("job lease not renewed", extra={"fields": {"job": run.id,
                                                                           "error": type(error).__name__}})

    thread = threading.Thread(target=renew, name=f"lease-{run.id}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


Handler = Callable[[JobRun], None]


def day_of(moment: datetime) -> datetime:
    """Midnight UTC of ``moment``'s day: what a finished job keeps of its times."""
    return datetime.combine(moment.astimezone(UTC).date(), time(), tzinfo=UTC)


def closed_values(now: datetime) -> dict[str, Any]:
    """What a job keeps once it succeeded or failed for good (docs/design.md#threat-model-and-anonymity-rules):
    its times cut to the day, no payload and no lease. A voice job's times would otherwise date a call to the
    minute, and its payload names the case and the call; the exact times were needed only while it was open."""
    day = day_of(now)
    return {"finished_at": day, "created_at": day, "run_after": day, "payload": "{}", "lease_token": None,
            "lease_until": None}


def claim(
    database: Database, kinds: Mapping[str, Handler] | set[str], *, lease: timedelta = DEFAULT_LEASE,
    clock: Clock = utc_now,
) -> JobRun | None:
    """Take one due job of the given kinds, or None."""
    now = clock()
    with database.write() as session:
        due = or_(
            (col(Job.state) == QUEUED) & (col(Job.run_after) <= now),
            (col(Job.state) == RUNNING) & (col(Job.lease_until) < now),  # its worker died or stalled
        )
        job = session.exec(
            select(Job).where(due, col(Job.kind).in_(list(kinds))).order_by(col(Job.run_after), col(Job.id))
            .limit(1).with_for_update(skip_locked=True)
        ).first()
        if job is None:
            return None
        job.state = RUNNING
        job.attempts += 1
        job.lease_token = secrets.token_hex(16)
        job.lease_until = now + lease
        session.add(job)
        assert job.id is not None and job.lease_token is not None
        return JobRun(id=job.id, kind=job.kind, payload=json.loads(job.payload), attempt=job.attempts,
                      lease_token=job.lease_token, database=database, clock=clock, lease=lease,
                      max_attempts=job.max_attempts)


def backoff(attempt: int) -> timedelta:
    """Exponential backoff with full jitter (AWS Architecture Blog, "Exponential Backoff and Jitter", 2015)."""
    ceiling = min(MAX_BACKOFF.total_seconds(), 2.0 ** min(attempt, 20))
    return timedelta(seconds=ceiling / 2 + secrets.randbelow(int(ceiling * 500) + 1) / 1000)


def record_failure(run: JobRun, error: BaseException) -> None:
    """Put the job back for a later attempt, or mark it failed after its last attempt."""
    now = run.clock()
    with run.database.write() as session:
        job = session.get(Job, run.id)
        if job is None or job.lease_token != run.lease_token or job.state != RUNNING:
            return  # the lease was taken over; the other worker owns the job now
        job.last_error = type(error).__name__[:200]
        job.lease_token = None
        job.lease_until = None
        if job.attempts >= job.max_attempts:
            job.state = FAILED
            for name, value in closed_values(now).items():
                setattr(job, name, value)
        else:
            job.state = QUEUED
            job.run_after = now + backoff(job.attempts)
        session.add(job)


def run_one(database: Database, handlers: Mapping[str, Handler], *, lease: timedelta = DEFAULT_LEASE,
            clock: Clock = utc_now) -> bool:
    """Claim and run one job. Returns whether there was one."""
    run = claim(database, handlers, lease=lease, clock=clock)
    if run is None:
        return False
    try:
        handlers[run.kind](run)
        if not run.finished:
            raise HandlerDidNotFinish(run.kind)
    except LeaseLost:
        logger.warning("job lease lost", extra={"fields": {"job": run.id, "kind": run.kind}})
    except Exception as error:
        logger.warning("job failed", extra={"fields": {"job": run.id, "kind": run.kind, "attempt": run.attempt,
                                                        "error": type(error).__name__}})
        record_failure(run, error)
    return True


def run_worker(database: Database, handlers: Mapping[str, Handler], stop: threading.Event, *,
               idle_seconds: float = 1.0, lease: timedelta = DEFAULT_LEASE, clock: Clock = utc_now) -> None:
    """Run jobs until ``stop`` is set, sleeping ``idle_seconds`` whenever no job is due."""
    while not stop.is_set():
        try:
            busy = run_one(database, handlers, lease=lease, clock=clock)
        except Exception as error:  # the database went away: wait and try again, never die
            logger.error("worker could not reach the job table", extra={"fields": {"error": type(error).__name__}})
            busy = False
        if not busy:
            stop.wait(idle_seconds)


def queue_depth(database: Database) -> dict[tuple[str, str], int]:
    """(kind, state) -> number of jobs, for metrics."""
    with database.read() as session:
        rows = session.exec(select(Job.kind, Job.state, func.count()).group_by(col(Job.kind), col(Job.state))).all()
    return {(kind, state): count for kind, state, count in rows}


def run_sooner(session: Session, dedupe_key: str, when: datetime) -> None:
    """Bring a queued job forward to ``when`` (if it was due later), in the caller's transaction: a job that
    waits for others can be woken by the last of them instead of polling (as a call record is deleted
    once its recordings are)."""
    session.execute(update(Job).where(col(Job.dedupe_key) == dedupe_key, col(Job.state) == QUEUED,
                                      col(Job.run_after) > when).values(run_after=when))
