"""``hotline serve --with-worker`` as a small site runs it: one process serves /healthz, /readyz and
/metrics and runs due jobs; here the retention job purges a case whose time is up, with the audit chain intact."""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path

import httpx2 as httpx
from sqlalchemy import func, select, update

from intake.audit import verify_city
from intake.cities import create_city, find_city
from intake.config import IntakeConfig
from intake.db import Database
from intake.models import Case, Job
from intake.operations import jobs
from intake.operations.migrate import upgrade
from intake.operations.retention import RETENTION_JOB, set_rule
from intake.reports.submission import submit_report
from tests.conftest import TEST_KDF
from tests.e2e.servers import free_port, running

TOKEN = "m" * 40


def test_serve_with_worker_runs_jobs_and_answers_health_and_metrics(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'hotline.sqlite3'}"
    port = free_port()
    env = {"HOTLINE_DATABASE_URL": url, "HOTLINE_PEPPER": "p" * 40, "HOTLINE_SESSION_KEY": "s" * 40,
           "HOTLINE_INSECURE_TEST_KDF": "1", "HOTLINE_METRICS_TOKEN": TOKEN, "HOTLINE_WORKER_POLL_SECONDS": "0.2",
           "HOTLINE_PUBLIC_URL": f"http://127.0.0.1:{port}"}
    database = Database(url)
    upgrade(database)
    create_city(database, "raytown", "Raytown")
    set_rule(database, "raytown", "concluded-cases", 30)
    config = IntakeConfig(pepper=b"p" * 40, reviewer_kdf=TEST_KDF, report_key_kdf=TEST_KDF,
                          release_interval_seconds=0)
    for text in ("kept", "purged"):
        submit_report(database, config, city_slug="raytown", category="safety", narrative=text)
    with database.write() as session:
        session.execute(update(Case).where(Case.number == 2).values(status="concluded", concluded_on=date(2020, 1, 1)))
        jobs.enqueue(session, RETENTION_JOB, {}, dedupe_key="retention.run:now")
    log = tmp_path / "server.log"
    with running(["serve", "--with-worker", "--port", str(port)], env, port, log):
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with database.read() as session:
                if session.execute(select(Job.state).where(Job.dedupe_key == "retention.run:now")).scalar() == "done":
                    break
            time.sleep(0.2)
        base = f"http://127.0.0.1:{port}"
        assert httpx.get(base + "/healthz").text == "ok\n"
        assert httpx.get(base + "/readyz").status_code == 200
        metrics = httpx.get(base + "/metrics", headers={"authorization": f"Bearer {TOKEN}"}).text
    with database.read() as session:
        assert session.execute(select(func.count()).select_from(Case)).scalar_one() == 1
        assert verify_city(session, find_city(database, "raytown")).ok
    database.dispose()
    assert 'hotline_jobs{kind="retention.run",state="done"} 1.0' in metrics
    assert 'hotline_jobs{kind="retention.run",state="queued"} 1.0' in metrics  # tomorrow's run
    assert "Traceback" not in log.read_text()
