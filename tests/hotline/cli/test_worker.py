"""``hotline worker``: two worker processes started as the command, against one PostgreSQL database,
run 1,000 jobs whose handlers crash a fifth of the time, and each job's effect commits exactly once. On SQLite
(one writer at a time, each commit synced to disk) the same runs with 200 jobs to keep the suite quick."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import func, select

from intake.db import Database
from intake.models import Job
from intake.operations import jobs
from intake.operations.migrate import upgrade
from tests.intake.operations.job_probe import PROBE, effects

ROOT = Path(__file__).resolve().parents[3]


def environment(database_url: str) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT), "HOTLINE_DATABASE_URL": database_url,
            "HOTLINE_PEPPER": "p" * 40, "HOTLINE_SESSION_KEY": "s" * 40, "HOTLINE_INSECURE_TEST_KDF": "1",
            "HOTLINE_WORKER_POLL_SECONDS": "0.05"}


def test_two_worker_commands_run_a_thousand_jobs_each_effect_once(database_url, tmp_path):
    database = Database(database_url)
    upgrade(database)
    PROBE.create_all(database.engine)
    count = 200 if database.is_sqlite else 1000
    with database.write() as session:
        for n in range(count):
            jobs.enqueue(session, "probe", {"n": n}, max_attempts=50)
    logs = [open(tmp_path / f"worker{n}.log", "w") for n in range(2)]  # noqa: SIM115 (closed below)
    workers = [subprocess.Popen([sys.executable, "-m", "tests.hotline.cli.worker_probe"], cwd=ROOT,
                                env=environment(database_url), stdout=log, stderr=subprocess.STDOUT)
               for log in logs]
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            with database.read() as session:
                left = session.execute(select(func.count()).select_from(Job)
                                       .where(Job.kind == "probe", Job.state != "done")).scalar_one()
            if left == 0:
                break
            with database.write() as session:  # pull retries' backoff forward instead of waiting minutes
                session.execute(Job.__table__.update().where(Job.state == "queued", Job.kind == "probe")
                                .values(run_after=jobs.utc_now()))
            time.sleep(0.3)
    finally:
        for worker in workers:
            worker.send_signal(signal.SIGTERM)
        codes = [worker.wait(timeout=30) for worker in workers]
        for log in logs:
            log.close()
    with database.read() as session:
        counts = dict(session.execute(select(effects.c.n, func.count()).group_by(effects.c.n)).all())
        attempts = session.execute(select(func.sum(Job.attempts)).where(Job.kind == "probe")).scalar_one()
        daily = session.execute(select(func.count()).select_from(Job).where(Job.kind == "retention.run")).scalar_one()
    database.dispose()
    assert len(counts) == count and set(counts.values()) == {1}
    assert attempts > count  # handlers crashed and their jobs were retried
    assert codes == [0, 0]  # SIGTERM stops a worker cleanly
    assert daily == 1  # both workers scheduled the daily retention run; it exists once
    worker_log = (tmp_path / "worker0.log").read_text()
    assert '"message": "worker started"' in worker_log and "Traceback" not in worker_log


def test_until_idle_runs_what_is_due_and_stops(database_url):
    database = Database(database_url)
    upgrade(database)
    PROBE.create_all(database.engine)
    with database.write() as session:
        for n in range(5):
            jobs.enqueue(session, "probe", {"n": n}, max_attempts=50)
    env = {**environment(database_url), "PROBE_FAILURE_RATE": "0"}
    completed = subprocess.run([sys.executable, "-m", "tests.hotline.cli.worker_probe", "--until-idle"], cwd=ROOT,
                               env=env, capture_output=True, text=True, timeout=120)
    assert completed.returncode == 0, completed.stderr
    with database.read() as session:
        assert session.execute(select(func.count()).select_from(effects)).scalar_one() == 5
        states = session.execute(select(Job.kind, Job.state)).all()
    # The next release and tomorrow's retention run wait.
    assert sorted(states) == [*[("probe", "done")] * 5, ("release.run", "queued"), ("retention.run", "queued")]
    database.dispose()
