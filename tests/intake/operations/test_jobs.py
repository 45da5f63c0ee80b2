"""The job queue: idempotent enqueue, leases, retries with backoff, and each effect committed exactly once."""

import os
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlmodel import select as sqlmodel_select

from intake.clock import utc_now
from intake.models import Job
from intake.operations import jobs
from tests.intake.operations.job_probe import PROBE, effects, make_handler

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def probe(database):
    PROBE.create_all(database.engine)
    return database


def enqueue_many(database, count: int) -> None:
    with database.write() as session:
        for n in range(count):
            jobs.enqueue(session, "probe", {"n": n}, max_attempts=50)


def effect_counts(database) -> dict[int, int]:
    with database.read() as session:
        rows = session.execute(select(effects.c.n, func.count()).group_by(effects.c.n)).all()
    return dict(rows)


def test_dedupe_key_makes_enqueue_idempotent(database):
    with database.write() as session:
        assert jobs.enqueue(session, "k", {"a": 1}, dedupe_key="recording:RE1") is not None
    with database.write() as session:
        assert jobs.enqueue(session, "k", {"a": 1}, dedupe_key="recording:RE1") is None
    with database.read() as session:
        assert len(session.exec(sqlmodel_select(Job)).all()) == 1


def test_done_jobs_keep_no_payload(probe):
    enqueue_many(probe, 1)
    assert jobs.run_one(probe, {"probe": make_handler(probe, failure_rate=0)})
    with probe.read() as session:
        job = session.exec(sqlmodel_select(Job)).one()
    assert job.state == "done" and job.payload == "{}" and job.lease_token is None
    assert not jobs.run_one(probe, {"probe": make_handler(probe)})


def test_failures_are_retried_later_and_finally_marked_failed(probe):
    with probe.write() as session:
        jobs.enqueue(session, "boom", {}, max_attempts=2)

    def boom(run):
        raise ValueError("content that must not be logged")

    now = utc_now()
    assert jobs.run_one(probe, {"boom": boom}, clock=lambda: now)
    with probe.read() as session:
        job = session.exec(sqlmodel_select(Job)).one()
    assert job.state == "queued" and job.attempts == 1 and job.run_after > now
    assert job.last_error == "ValueError"
    assert not jobs.run_one(probe, {"boom": boom}, clock=lambda: now)  # not due yet
    later = now + timedelta(hours=2)
    assert jobs.run_one(probe, {"boom": boom}, clock=lambda: later)
    with probe.read() as session:
        assert session.exec(sqlmodel_select(Job)).one().state == "failed"


def test_a_handler_that_forgets_to_finish_is_a_failure(probe):
    enqueue_many(probe, 1)
    jobs.run_one(probe, {"probe": lambda run: None})
    with probe.read() as session:
        job = session.exec(sqlmodel_select(Job)).one()
    assert job.state == "queued" and job.last_error == "HandlerDidNotFinish"


def test_a_lost_lease_rolls_back_the_stale_workers_effect(probe):
    enqueue_many(probe, 1)
    now = utc_now()
    stale = jobs.claim(probe, {"probe"}, lease=timedelta(seconds=1), clock=lambda: now)
    later = now + timedelta(seconds=5)
    fresh = jobs.claim(probe, {"probe"}, clock=lambda: later)  # the lease ran out: another worker takes it
    assert stale is not None and fresh is not None and fresh.id == stale.id and fresh.attempt == 2
    with pytest.raises(jobs.LeaseLost), probe.write() as session:
        session.execute(effects.insert().values(n=0))
        stale.finish(session)
    with probe.write() as session:
        session.execute(effects.insert().values(n=0))
        fresh.finish(session)
    assert effect_counts(probe) == {0: 1}


def test_backoff_grows_and_is_capped():
    assert jobs.backoff(1) <= timedelta(seconds=2)
    assert jobs.backoff(30) <= jobs.MAX_BACKOFF
    assert jobs.backoff(8) >= timedelta(seconds=128)


def test_two_worker_processes_run_a_thousand_jobs_each_exactly_once(probe):
    """Two workers in two processes against one database, each job's effect exactly once, with
    handlers failing before and inside their transaction a fifth of the time."""
    enqueue_many(probe, 1000)
    # The workers live until the jobs are done (they are stopped below); on a loaded machine that takes a while.
    workers = [subprocess.Popen([sys.executable, "-m", "tests.intake.operations.job_probe", probe.url, "170"], cwd=ROOT,
                                env={**os.environ, "PYTHONPATH": str(ROOT)}) for _ in range(2)]
    deadline = utc_now() + timedelta(seconds=180)
    try:
        while utc_now() < deadline:
            with probe.read() as session:
                left = session.exec(sqlmodel_select(func.count()).select_from(Job).where(Job.state != "done")).one()
            if left == 0:
                break
            # Failed jobs wait for their backoff; let the test's own clock pull them forward.
            with probe.write() as session:
                session.execute(Job.__table__.update().where(Job.state == "queued").values(run_after=utc_now()))
            time.sleep(0.5)
    finally:
        for worker in workers:
            worker.terminate()
            worker.wait(timeout=30)
    counts = effect_counts(probe)
    assert len(counts) == 1000 and set(counts.values()) == {1}
    with probe.read() as session:
        attempts = session.exec(sqlmodel_select(func.sum(Job.attempts))).one()
    assert attempts > 1000  # failures happened and were retried


def test_a_long_job_keeps_its_lease_while_it_works(database):
    """A job that works for several times its lease (a long recording being transcribed) renews it from a
    thread, so no other worker takes it meanwhile; without renewal, the job is taken over."""
    with database.write() as session:
        jobs.enqueue(session, "long", {})
    lease = timedelta(milliseconds=600)
    taken_meanwhile = []

    def handler(run: jobs.JobRun) -> None:
        with jobs.kept_alive(run, every=timedelta(milliseconds=150)):
            for _ in range(6):
                time.sleep(0.25)
                taken_meanwhile.append(jobs.claim(database, {"long"}, lease=lease))
        with database.write() as session:
            run.finish(session)

    assert jobs.run_one(database, {"long": handler}, lease=lease)
    assert taken_meanwhile and all(other is None for other in taken_meanwhile)
    with database.read() as session:
        assert session.exec(sqlmodel_select(Job.state)).one() == "done"

    with database.write() as session:
        jobs.enqueue(session, "short-lease", {})
    stolen = []

    def careless(run: jobs.JobRun) -> None:
        time.sleep(0.9)
        stolen.append(jobs.claim(database, {"short-lease"}, lease=lease))
        with database.write() as session:
            run.finish(session)

    jobs.run_one(database, {"short-lease": careless}, lease=lease)
    assert stolen[0] is not None  # the lease had run out: another worker took it, and this one's finish failed
