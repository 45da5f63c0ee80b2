"""The release job: at each release slot, hand what waits to reviewers (intake.reports.release,
docs/design.md#release-slots).

One ``release.run`` job is queued for the next slot; whichever worker takes it releases every city, queues the job
of the slot after, and drops the finished release jobs before it, in the transaction that finishes it. A slot
missed while no worker ran is made up by the next run: what waits is released whenever the job runs.
"""

from __future__ import annotations

from sqlmodel import Session, col, delete

from intake.clock import Clock, utc_now
from intake.db import Database
from intake.models.job import DONE, Job
from intake.operations.jobs import JobRun, enqueue
from intake.reports.release import next_slot, release_due

RELEASE_JOB = "release.run"


def schedule_next_release(session: Session, interval_seconds: int, *, clock: Clock = utc_now) -> None:
    """Queue the job of the next slot (a dedupe key per slot: any number of workers agree on one). Nothing with an
    interval of 0: everything is released at once (the test suite)."""
    if not interval_seconds:
        return
    slot = next_slot(clock(), interval_seconds)
    enqueue(session, RELEASE_JOB, {}, dedupe_key=f"{RELEASE_JOB}:{slot.strftime('%Y-%m-%dT%H:%M:%S')}",
            run_after=slot, clock=clock)


def run_release_job(db: Database, run: JobRun, interval_seconds: int) -> None:
    release_due(db)
    with db.write() as session:
        session.execute(delete(Job).where(col(Job.kind) == RELEASE_JOB, col(Job.state) == DONE))
        schedule_next_release(session, interval_seconds, clock=run.clock)
        run.finish(session)
