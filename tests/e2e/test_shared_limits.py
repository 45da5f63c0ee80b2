"""Two ``hotline serve`` processes on one PostgreSQL database give an attacker no more tries at an account than
one (docs/design.md#limits-an-attacker-cannot-turn-against-users): guesses alternating between them, from
threads and addresses that change every time, are evaluated no faster than the growing delays allow a single
process, and every evaluated guess and every delay is in the city's audit log."""

from __future__ import annotations

import itertools
import secrets
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx2 as httpx
import pytest
import sqlalchemy
from sqlmodel import select

from hotline.settings import Settings
from intake.accounts.authentication import delay_after
from intake.db import Database
from intake.models import AuditEntry
from tests.conftest import postgres_url_or_skip
from tests.e2e.servers import free_port, running
from tests.e2e.test_brute_force import hidden, seed

ATTACK_SECONDS = 8.0
GUESSERS = 4


@pytest.fixture
def postgres_url() -> Iterator[str]:
    base = postgres_url_or_skip()
    schema = "t_" + uuid.uuid4().hex[:16]
    admin = sqlalchemy.create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f"CREATE SCHEMA {schema}")
    try:
        yield f"{base}{'&' if '?' in base else '?'}options=-csearch_path%3D{schema}"
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
        admin.dispose()


def test_two_instances_on_one_database_hold_guesses_at_an_account_as_tightly_as_one(
        postgres_url: str, tmp_path: Path) -> None:
    env = {"HOTLINE_INSECURE_TEST_KDF": "1", "HOTLINE_DATABASE_URL": postgres_url, "HOTLINE_PEPPER": "p" * 40,
           "HOTLINE_SESSION_KEY": "s" * 40, "HOTLINE_TRUSTED_PROXIES": "127.0.0.1"}
    settings = Settings.from_env(env)
    seed(postgres_url, settings)
    ports = [free_port(), free_port()]
    evaluated: list[tuple[int, float, float]] = []  # (instance, sent, answered)
    refused, unexpected, lock, stop = [0, 0], [], threading.Lock(), threading.Event()

    def guesser() -> None:
        clients = [httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) for port in ports]
        try:
            tokens = [hidden(client.get("/review/sign-in").text, "form_token") for client in clients]
            for turn in itertools.count():
                if stop.is_set():
                    return
                instance = turn % 2  # alternate between the two instances
                sent = time.monotonic()
                answer = clients[instance].post("/review/sign-in", headers={
                    "x-forwarded-for": f"203.0.113.{secrets.randbelow(200) + 1}"}, data={
                    "form_token": tokens[instance], "email": "victim@raytown.example",
                    "password": secrets.token_hex(12), "code": "123456"})
                with lock:
                    if answer.status_code == 400 and "Wrong email, password or code" in answer.text:
                        evaluated.append((instance, sent, time.monotonic()))
                    elif answer.status_code == 429 and "retry-after" in answer.headers:
                        refused[instance] += 1
                    else:
                        unexpected.append(f"{answer.status_code} {answer.text[:200]}")
        finally:
            for client in clients:
                client.close()

    with running(["serve", "--port", str(ports[0])], env, ports[0], tmp_path / "a.log"), \
            running(["serve", "--port", str(ports[1])], env, ports[1], tmp_path / "b.log"):
        threads = [threading.Thread(target=guesser) for _ in range(GUESSERS)]
        for thread in threads:
            thread.start()
        time.sleep(ATTACK_SECONDS)
        stop.set()
        for thread in threads:
            thread.join(timeout=30)
    assert not unexpected, unexpected[:3]
    assert min(refused) >= 20, refused  # both instances were hammered, and both refused
    # As one process: 3 free guesses, then one after each growing delay. In 8 s that is at most 3 + (1, 2, 4) = 6.
    config = settings.intake_config()
    times = sorted(evaluated, key=lambda guess: guess[2])
    assert 4 <= len(times) <= 6, times
    spans = [later[2] - earlier[1] for earlier, later in itertools.pairwise(times)]
    for failures, span in enumerate(spans, start=1):
        assert span >= delay_after(failures, config) - 0.05, (failures, spans)
    database = Database(postgres_url)
    try:
        with database.read() as session:
            actions = [entry.action for entry in session.exec(select(AuditEntry)).all()]
    finally:
        database.dispose()
    assert actions.count("reviewer.sign_in_failed") == len(times)
    assert actions.count("reviewer.sign_in_delayed") == len(times) - 2
