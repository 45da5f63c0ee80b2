"""The real server, killed with SIGKILL at random moments while many clients send reports, loses no acknowledged
report, leaves no case half-written, and keeps every audit chain intact (docs/design.md#operations-and-scale-out).

The suite kills it twenty times on each database; ``HOTLINE_CRASH_KILLS=N`` asks for more (a deeper run after a
change to the write path) or fewer (a quick look), as ``HOTLINE_FUZZ_EXAMPLES`` does for the fuzz tests."""

from __future__ import annotations

import os
import random
import re
import signal
import subprocess
import threading
import time
import uuid
from pathlib import Path

import httpx2 as httpx
from sqlmodel import func, select

from intake import audit
from intake.cities import create_city, list_cities
from intake.config import IntakeConfig
from intake.db import Database
from intake.models import Case, CaseItem
from intake.operations.migrate import upgrade
from intake.reports import submission as reports
from intake.reports.release import release_due
from tests.e2e.servers import free_port, hotline_command

DEFAULT_KILLS = 20


def kills() -> int:
    return int(os.environ.get("HOTLINE_CRASH_KILLS", "0")) or DEFAULT_KILLS


CLIENTS = 8
PEPPER = "crash-pepper-" + "p" * 32
CITIES = ("raytown", "grandview")


def start(env: dict[str, str], port: int, log: Path) -> subprocess.Popen[bytes]:
    handle = open(log, "ab")  # noqa: SIM115 (the server process owns the handle)
    process = subprocess.Popen(hotline_command("serve", "--port", str(port)), env={**os.environ, **env},
                               stdout=handle, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/", timeout=1)
            return process
        except httpx.TransportError:
            time.sleep(0.05)
    raise RuntimeError(log.read_text()[-2000:])


def client_loop(base: str, stop: threading.Event, acknowledged: list[tuple[str, str, str]],
                lock: threading.Lock) -> None:
    with httpx.Client(base_url=base, timeout=10) as client:
        while not stop.is_set():
            city = random.choice(CITIES)
            narrative = f"crash-test {uuid.uuid4().hex} " + "x" * random.randint(10, 2000)
            try:
                form = client.get(f"/report/{city}?category=safety")
                token = re.search(r'name="form_token" value="([^"]*)"', form.text).group(1)
                response = client.post(f"/report/{city}", data={"form_token": token, "category": "safety",
                                                                "narrative": narrative})
            except (httpx.TransportError, AttributeError):
                time.sleep(0.02)  # the server is down (or died mid-answer): nothing was acknowledged
                continue
            match = re.search(r'id="report-key"><strong>([\d ]+)</strong>', response.text)
            if response.status_code == 200 and match:
                with lock:
                    acknowledged.append((match.group(1).replace(" ", ""), narrative, city))


def test_no_acknowledged_report_is_lost_across_kills(database_url, tmp_path):
    database = Database(database_url)
    upgrade(database)
    for slug in CITIES:
        create_city(database, slug, slug.title())
    port = free_port()
    env = {"HOTLINE_DATABASE_URL": database_url, "HOTLINE_PEPPER": PEPPER, "HOTLINE_SESSION_KEY": "s" * 40,
           "HOTLINE_INSECURE_TEST_KDF": "1", "HOTLINE_LOG_LEVEL": "warning",
           # Every client here shares 127.0.0.1: lift the per-client and per-city hourly caps for the load.
           "HOTLINE_REPORTS_PER_CLIENT_PER_HOUR": "1000000", "HOTLINE_REPORTS_PER_CITY_PER_HOUR": "1000000",
           "HOTLINE_PUBLIC_URL": f"http://127.0.0.1:{port}"}
    log = tmp_path / "server.log"
    acknowledged: list[tuple[str, str, str]] = []
    lock, stop = threading.Lock(), threading.Event()
    server = start(env, port, log)
    clients = [threading.Thread(target=client_loop, args=(f"http://127.0.0.1:{port}", stop, acknowledged, lock))
               for _ in range(CLIENTS)]
    for thread in clients:
        thread.start()
    try:
        for _ in range(kills()):
            time.sleep(random.uniform(0.2, 0.8))
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
            server = start(env, port, log)
        time.sleep(0.5)
    finally:
        stop.set()
        for thread in clients:
            thread.join()
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()

    assert len(acknowledged) > 50, "the load was too light to prove anything"
    config = IntakeConfig(pepper=PEPPER.encode())
    for key, narrative, _city in acknowledged:
        view = reports.reporter_view(database, reports.open_report(database, config, key))
        assert view.items[0].text == narrative
    # Reports still waiting for their release slot when the server was killed are released by the next run.
    release_due(database)
    with database.read() as session:
        cases = session.exec(select(func.count()).select_from(Case)).one()
        reports_stored = session.exec(select(func.count()).select_from(CaseItem)
                                      .where(CaseItem.kind == "report")).one()
        orphans = session.exec(select(func.count()).select_from(Case).where(Case.group_id.is_(None))).one()
        assert cases == reports_stored >= len(acknowledged)  # some were stored but their answer was cut off
        assert orphans == 0
        for city in list_cities(database):
            assert audit.verify_city(session, city).ok
    database.dispose()
