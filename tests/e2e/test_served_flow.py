"""The basic acceptance flow (report, key, follow-up, reply) against the real server, as a new user would run it.

SQLite: ``hotline demo`` exactly as the README says. PostgreSQL: ``hotline db upgrade``, ``city add``,
``reviewer add`` and ``serve``. Then: a Raytown report goes in through the form, its key opens the follow-up
page, the Raytown reviewer reads it, the Grandview reviewer gets not-found and the attempt is audited; the
database (file bytes or pg_dump), and the server's log, hold neither the narrative, the key nor the address;
``hotline audit verify`` passes, and fails naming the entry after an audit row is edited.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import time
import uuid
from pathlib import Path

import httpx2 as httpx
import pyotp
import pytest
import sqlalchemy

from tests.conftest import postgres_url_or_skip
from tests.e2e.servers import free_port, run_hotline, running

ADDRESS = "198.51.100.23"  # TEST-NET-2 (RFC 5737), sent as X-Forwarded-For, which uvicorn trusts from 127.0.0.1
NARRATIVE = "Marker-narrative-" + uuid.uuid4().hex
FAST = {"HOTLINE_INSECURE_TEST_KDF": "1"}


def hidden(page: str, name: str) -> str:
    return re.search(rf'name="{name}" value="([^"]*)"', page).group(1)


def browser(base: str) -> httpx.Client:
    return httpx.Client(base_url=base, headers={"x-forwarded-for": ADDRESS, "user-agent": "Marker-UA"},
                        follow_redirects=True, timeout=30)


def sign_in(base: str, email: str, password: str, totp_secret: str = "") -> httpx.Client:
    """Sign in with password and TOTP code; without a secret (a reviewer added on the command line), go
    through the TOTP enrolment the console asks for, reading the secret off the page as a person would."""
    # The cookie is Secure (a __Host- cookie); httpx only sends those over https, so carry it by hand,
    # as a browser does for http://127.0.0.1, which it treats as a secure context.
    client = browser(base)
    form = client.get("/review/sign-in").text
    code = pyotp.TOTP(totp_secret).now() if totp_secret else ""
    response = client.post("/review/sign-in", data={"form_token": hidden(form, "form_token"), "email": email,
                                                    "password": password, "code": code}, follow_redirects=False)
    assert response.status_code == 303, response.text
    cookie = response.headers["set-cookie"].split(";")[0]
    client.headers["cookie"] = cookie
    if not totp_secret:
        assert response.headers["location"] == "/review/totp"
        # No inbox before TOTP is set up. (Redirects are not followed: httpx drops a hand-set cookie on them.)
        assert client.get("/review/", follow_redirects=False).headers["location"] == "/review/totp"
        page = client.get("/review/totp").text
        secret = re.search(r'id="totp-secret">([A-Z2-7 ]+)<', page).group(1).replace(" ", "")
        confirmed = client.post("/review/totp", data={"csrf_token": hidden(page, "csrf_token"),
                                                      "code": pyotp.TOTP(secret).now()}, follow_redirects=False)
        assert confirmed.status_code == 303 and confirmed.headers["location"] == "/review/home", confirmed.text
    return client


def walk_the_flow(base: str, logins: dict[str, tuple[str, ...]]) -> tuple[str, str]:
    reporter = browser(base)
    assert "Raytown" in reporter.get("/").text
    form = reporter.get("/report/raytown?category=fraud-waste-abuse").text
    confirmation = reporter.post("/report/raytown", data={"form_token": hidden(form, "form_token"),
                                                          "category": "fraud-waste-abuse", "narrative": NARRATIVE})
    assert confirmation.status_code == 200
    key = re.search(r'id="report-key"><strong>([\d ]+)</strong>', confirmation.text).group(1).replace(" ", "")
    follow_up = reporter.post("/follow-up", data={"form_token": hidden(reporter.get("/follow-up").text,
                                                                       "form_token"), "report_key": key})
    assert NARRATIVE in follow_up.text

    raytown = sign_in(base, *logins["raytown"])
    deadline = time.monotonic() + 30
    while (listed := re.search(r'href="(/review/cases/[0-9a-f]{32})"', raytown.get("/review/").text)) is None:
        assert time.monotonic() < deadline, "the report was never released to the inbox"
        time.sleep(0.5)  # it waits for its release slot (docs/design.md#release-slots)
    case_path = listed.group(1)
    assert NARRATIVE in raytown.get(case_path).text

    grandview = sign_in(base, *logins["grandview"])
    denied = grandview.get(case_path)
    assert denied.status_code == 404 and NARRATIVE not in denied.text
    return key, case_path.rsplit("/", 1)[1]


def assert_audited_denial(url: str, case_id: str) -> None:
    engine = sqlalchemy.create_engine(url)
    with engine.connect() as connection:
        rows = connection.execute(sqlalchemy.text(
            "SELECT a.actor, c.slug FROM audit_entry a JOIN city c ON c.id = a.city_id "
            "WHERE a.action = 'case.access_denied' AND a.subject = :case"), {"case": case_id}).all()
    engine.dispose()
    assert len(rows) == 1 and rows[0][1] == "raytown" and rows[0][0].startswith("reviewer:")


def assert_nothing_leaks(stored: bytes, log: str, key: str) -> None:
    for marker in (NARRATIVE, key, ADDRESS, "Marker-UA"):
        assert marker.encode() not in stored, marker
        assert marker not in log, marker
    grouped = " ".join(key[i:i + 4] for i in range(0, 20, 4))
    assert grouped.encode() not in stored


def assert_audit_verify_catches_an_edit(url: str, env: dict[str, str]) -> None:
    verified = run_hotline("audit", "verify", env=env)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "raytown:" in verified.stdout and "chain intact" in verified.stdout
    engine = sqlalchemy.create_engine(url)
    with engine.begin() as connection:
        connection.execute(sqlalchemy.text(
            "UPDATE audit_entry SET action = 'case.nothing' WHERE sequence = 3 AND city_id = "
            "(SELECT id FROM city WHERE slug = 'raytown')"))
    engine.dispose()
    broken = run_hotline("audit", "verify", "--city", "raytown", env=env)
    assert broken.returncode == 1
    assert "raytown: chain BROKEN at entry 3" in broken.stdout


def test_demo_on_sqlite(tmp_path: Path) -> None:
    port = free_port()
    log = tmp_path / "server.log"
    # A short release interval: the demo's worker must release the report before the reviewer can see it.
    with running(["demo", "--port", str(port), "--dir", str(tmp_path), "--json"],
                  {**FAST, "HOTLINE_RELEASE_INTERVAL_SECONDS": "2"}, port, log):
        printed = json.loads(log.read_text()[: log.read_text().index("\n}\n") + 3])
        logins = {row["city"]: (row["email"], row["password"], row["totp_secret"]) for row in printed["logins"]
                  if row["email"].startswith("ethics@")}
        assert set(logins) == {"blue-springs", "grandview", "independence", "lees-summit", "raytown"}
        key, case_id = walk_the_flow(f"http://127.0.0.1:{port}", logins)
    database_file = Path(printed["directory"]) / "hotline.sqlite3"
    url = f"sqlite:///{database_file}"
    assert_audited_denial(url, case_id)
    stored = b"".join(path.read_bytes() for path in database_file.parent.glob("hotline.sqlite3*"))
    assert_nothing_leaks(stored, log.read_text(), key)
    assert_audit_verify_catches_an_edit(url, {"HOTLINE_DATABASE_URL": url})


@pytest.mark.postgres
def test_served_on_postgresql(tmp_path: Path) -> None:
    base_url = postgres_url_or_skip()
    if shutil.which("pg_dump") is None:
        pytest.fail("pg_dump is needed to check what PostgreSQL stores")
    database = "hotline_e2e_" + uuid.uuid4().hex[:10]
    admin = sqlalchemy.create_engine(base_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f"CREATE DATABASE {database}")
    url = base_url.rsplit("/", 1)[0] + "/" + database
    try:
        port = free_port()
        env = {**FAST, "HOTLINE_DATABASE_URL": url, "HOTLINE_PEPPER": "p" * 40, "HOTLINE_SESSION_KEY": "s" * 40,
               "HOTLINE_PUBLIC_URL": f"http://127.0.0.1:{port}", "HOTLINE_RELEASE_INTERVAL_SECONDS": "2"}
        assert run_hotline("db", "upgrade", env=env).returncode == 0
        logins = {}
        for slug in ("raytown", "grandview"):
            added = run_hotline("city", "add", "--slug", slug, "--name", slug.title(), "--json", env=env)
            recovery = json.loads(added.stdout)["recovery_key"]
            reviewer = run_hotline("reviewer", "add", "--city", slug, "--email", f"ethics@{slug}.example",
                                   "--name", "Officer", "--password-stdin", "--json",
                                   env={**env, "HOTLINE_RECOVERY_KEY": recovery}, stdin="a good long password\n")
            assert reviewer.returncode == 0, reviewer.stderr
            logins[slug] = (f"ethics@{slug}.example", "a good long password")
        log = tmp_path / "server.log"
        with running(["serve", "--port", str(port), "--with-worker"], env, port, log):
            key, case_id = walk_the_flow(f"http://127.0.0.1:{port}", logins)
        assert_audited_denial(url, case_id)
        sqlalchemy_url = sqlalchemy.engine.make_url(url)
        dump = subprocess.run(["pg_dump", "-h", sqlalchemy_url.host or "127.0.0.1", "-p",
                               str(sqlalchemy_url.port or 5432), "-U", sqlalchemy_url.username or "postgres",
                               database], capture_output=True, check=True).stdout
        assert b"audit_entry" in dump
        assert_nothing_leaks(dump, log.read_text(), key)
        assert_audit_verify_catches_an_edit(url, env)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
        admin.dispose()
