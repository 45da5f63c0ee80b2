"""The confidentiality scan: every flow of the service runs against the real server (``hotline serve
--with-worker``, logging at debug) with unique markers in everything a reporter, caller, employee or reviewer
gives, a fake client address and user agent on every request, and a fake caller number and caller fields on every
phone webhook. Then the database (its files byte for byte, write-ahead log included, or pg_dump), the job table,
every log line, the backup and the scratch directory are searched for all of them, as text, hex and base64: none
may be found, since everything given is sealed before it is stored
(docs/design.md#threat-model-and-anonymity-rules, rule 2)."""

from __future__ import annotations

import base64
import io
import json
import logging
import time
from pathlib import Path
from uuid import uuid4

import pytest
import sqlalchemy
from sqlmodel import col, select, update

from crypto.account_keys import open_with_passkey
from hotline.bench.fake_twilio import FakeTwilio
from hotline.cli.main import main
from hotline.middleware.access_log import JsonFormatter
from hotline.settings import INSECURE_TEST_KDF
from hotline.voice.pipeline import FORGET_CALL, ROUTE_CASE
from intake.accounts.account import set_up_totp
from intake.accounts.reviewers import add_reviewer
from intake.cities import create_city, find_city, open_city_key_with_recovery_key
from intake.clock import utc_now
from intake.config import IntakeConfig
from intake.db import Database
from intake.models import City, Job, Passkey
from intake.models.job import DONE, QUEUED
from intake.operations.migrate import upgrade
from intake.operations.releases import RELEASE_JOB
from intake.operations.retention import RETENTION_JOB
from intake.phone.lines import add_number
from tests.e2e import confidentiality_flows as flows
from tests.e2e.leak_scan import (
    Finding,
    address_forms,
    files_under,
    pg_dump_plain,
    pg_restore_plain,
    report,
    scan,
    sqlite_files,
    table_rows,
)
from tests.e2e.oidc import openid_provider
from tests.e2e.servers import free_port, running
from tests.hotline.voice.twilio_calls import ACCOUNT_SID, AUTH_TOKEN, PUBLIC_URL
from tests.intake.accounts.soft_passkey import SoftPasskey

PEPPER = "scan-pepper-" + "p" * 32
PASSWORD = "a good long password"
EMAIL = "ethics@raytown.example"


def stored(url: str) -> dict[str, bytes]:
    """What the database holds: its files byte for byte (SQLite), or pg_dump's plain SQL of the test's schema."""
    parsed = sqlalchemy.engine.make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return sqlite_files(Path(str(parsed.database)))
    schema = str(parsed.query["options"]).removeprefix("-csearch_path=")
    return {"pg_dump of the schema": pg_dump_plain(url, schema)}


def prepare(url: str) -> str:
    """The schema, Raytown with its phone line, and an admin in its ethics and HR groups; returns the admin's TOTP
    secret."""
    database = Database(url)
    config = IntakeConfig(pepper=PEPPER.encode(), reviewer_kdf=INSECURE_TEST_KDF, report_key_kdf=INSECURE_TEST_KDF)
    try:
        upgrade(database)
        created = create_city(database, "raytown", "Raytown")
        key = open_city_key_with_recovery_key(find_city(database, "raytown"), created.recovery_key)
        add_reviewer(database, config, city_slug="raytown", email=EMAIL, display_name="Officer", password=PASSWORD,
                     role="admin", city_private_key=key, groups=["ethics", "hr"])
        add_number(database, "raytown", flows.PHONE_LINE)
        add_number(database, "raytown", flows.EXIT_LINE, purpose="exit")
        return set_up_totp(database, config, EMAIL, PASSWORD)
    finally:
        database.dispose()


def account_key(url: str, authenticator: SoftPasskey) -> bytes:
    """The reviewer's account key, opened as the server opens it, to be looked for everywhere."""
    database = Database(url)
    try:
        with database.read() as session:
            passkey = session.exec(select(Passkey)).one()
    finally:
        database.dispose()
    assert passkey.wrapped_account_key is not None
    return open_with_passkey(passkey.wrapped_account_key, authenticator.prf_output(passkey.prf_salt) or b"",
                             passkey.reviewer_id, authenticator.credential_id)


def wait_for_jobs(url: str) -> None:
    """Until the worker has done every job but tomorrow's retention run and the next release. The call record
    waits ten minutes for late recording callbacks unless its last recording's deletion wakes it, which a fast
    worker can do before the call ends, and a phone case's routing deadline an hour: here that time passes at
    once."""
    database = Database(url)
    try:
        deadline = time.monotonic() + 60
        while True:
            with database.write() as session:
                session.execute(update(Job).where(col(Job.kind).in_([FORGET_CALL, ROUTE_CASE]),
                                                  col(Job.state) == QUEUED)
                                .values(run_after=utc_now()))
                left = session.exec(select(Job).where(col(Job.kind).not_in([RETENTION_JOB, RELEASE_JOB]),
                                                      col(Job.state) != DONE)).all()
            if not left:
                return
            assert time.monotonic() < deadline, [(job.kind, job.state, job.last_error) for job in left]
            time.sleep(0.2)
    finally:
        database.dispose()


def backup_in_process(env: dict[str, str], target_file: Path, monkeypatch: pytest.MonkeyPatch,
                      capsys: pytest.CaptureFixture[str]) -> str:
    """``hotline backup`` as the command line runs it, with every log line at DEBUG and its output captured."""
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    previous = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        assert main(["backup", str(target_file)]) == 0
    finally:
        root.removeHandler(handler)
        root.setLevel(previous)
    printed = capsys.readouterr()
    return stream.getvalue() + printed.out + printed.err


def backup_places(backup: Path) -> dict[str, bytes]:
    places = files_under(backup.parent, "backup directory:")
    if backup.read_bytes().startswith(b"PGDMP"):  # custom format: compressed, so read what it holds too
        places["backup as pg_restore reads it"] = pg_restore_plain(backup)
    return places


def test_no_marker_address_agent_or_caller_number_is_kept_anywhere(
        database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    secrets = flows.Secrets()
    headers = flows.hostile_headers(secrets)
    for form in address_forms(flows.ADDRESS):
        secrets.add(f"client address as {form}", form)
    totp_secret = prepare(database_url)
    scratch, workdir = tmp_path / "scratch", tmp_path / "workdir"
    scratch.mkdir()
    workdir.mkdir()
    port = free_port()
    places: dict[str, bytes] = {}
    client_secret = secrets.marker("OpenID Connect client secret")
    (tmp_path / "client_secret").write_text(client_secret + "\n")
    provider_accounts = {"officer": {"email": EMAIL, "email_verified": True}}
    with FakeTwilio(ACCOUNT_SID, AUTH_TOKEN, seed=8).running() as fake, openid_provider(
            free_port(), "hotline-scan", client_secret, [PUBLIC_URL + "/review/sso/marc/callback"], provider_accounts,
            tmp_path / "provider.log") as issuer:
        (tmp_path / "providers.json").write_text(json.dumps({"providers": [{
            "name": "marc", "issuer": issuer, "client_id": "hotline-scan",
            "client_secret_file": str(tmp_path / "client_secret"), "cities": "*"}]}))
        env = {"HOTLINE_DATABASE_URL": database_url, "HOTLINE_PEPPER": PEPPER, "HOTLINE_SESSION_KEY": "s" * 40,
               "HOTLINE_INSECURE_TEST_KDF": "1", "HOTLINE_PUBLIC_URL": PUBLIC_URL, "HOTLINE_LOG_LEVEL": "debug",
               "HOTLINE_TWILIO_ACCOUNT_SID": ACCOUNT_SID, "HOTLINE_TWILIO_AUTH_TOKEN": AUTH_TOKEN,
               "HOTLINE_TWILIO_API_BASE_URL": fake.base_url, "HOTLINE_WORKER_POLL_SECONDS": "0.1",
               "HOTLINE_TRUSTED_PROXIES": "127.0.0.1", "HOTLINE_OIDC_PROVIDERS_FILE": str(tmp_path / "providers.json"),
               # Release slots on, a second apart, so the scan covers what waits for them too.
               "HOTLINE_RELEASE_INTERVAL_SECONDS": "1"}
        site = flows.Site(f"http://127.0.0.1:{port}", headers, fake, flows.caller_fields(secrets))
        log = tmp_path / "server.log"
        with running(["serve", "--with-worker", "--port", str(port)], {**env, "TMPDIR": str(scratch)}, port, log,
                     cwd=workdir):
            web = flows.report_on_the_web(site, secrets)
            flows.rejected_and_stray_requests(site, secrets)
            phone_key = flows.report_by_phone(site, secrets)
            secrets.add("web report key", web.key)
            secrets.add("phone report key", phone_key)
            reviewer = flows.Reviewer(site, EMAIL, PASSWORD, totp_secret)
            try:
                expected = flows.ask_and_answer(reviewer, secrets, web)
                flows.follow_up_on_the_web(site, secrets, web.key, expected)
                flows.follow_up_by_phone(site, phone_key, "There are no replies yet.")
                wait_for_jobs(database_url)
                flows.work_the_web_case(reviewer, secrets, web)
                flows.work_the_phone_case(reviewer)
                flows.staff_intake(reviewer, secrets)
                flows.exit_surveys(site, reviewer, secrets)
                flows.invite_and_join(site, reviewer, secrets)
                authenticator = flows.passkeys(site, reviewer, secrets, EMAIL)
                flows.single_sign_on(site, reviewer, secrets, authenticator, "officer")
                flows.sign_in_failures(site, secrets, EMAIL)
                wait_for_jobs(database_url)  # the keypad interview's comment
            finally:
                reviewer.close()
            backup = tmp_path / "backups" / "hotline.backup"
            places["backup command's log and output"] = backup_in_process(env, backup, monkeypatch, capsys).encode()
            places.update({f"{name} (server running)": content for name, content in stored(database_url).items()})
        assert fake.deleted_calls and len(fake.deleted_recordings) == 3  # the worker did fetch and delete
    secrets.add_bytes("account key", account_key(database_url, authenticator))
    places["server log"] = log.read_bytes()
    places.update(stored(database_url))
    places["job table rows"] = table_rows(database_url, "job")
    places.update(backup_places(backup))
    places.update(files_under(scratch, "scratch directory:"))
    places.update(files_under(workdir, "server's working directory:"))
    # The places hold what the flows left: the served process's log at debug, the worker's jobs, the backup.
    # (Reporter and phone routes are not logged: a line would date them. The console's are logged.)
    assert b'"route": "case_page"' in places["server log"] and b'"level": "debug"' in places["server log"]
    assert b'"route": "recording_status"' not in places["server log"]
    assert places["job table rows"].count(b"voice.") >= 6 and backup.stat().st_size > 0
    findings: list[Finding] = scan(secrets.values, places)
    assert not findings, "found where nothing may be:\n" + report(findings)


def test_the_scan_finds_what_is_planted_in_clear(database: Database, tmp_path: Path) -> None:
    """The scan can fail: a marker left in a job's payload and in a binary column, the address in a log line and
    the user agent base64-encoded in another are each reported, with where and in which form."""
    job_marker, column_marker = f"MARKER-{uuid4().hex}", f"MARKER-{uuid4().hex}"
    agent = f"Mozilla/5.0 (ScanAgent/{uuid4().hex})"
    create_city(database, "raytown", "Raytown")
    with database.write() as session:
        session.add(Job(kind="planted", payload=f'{{"note": "{job_marker}"}}', run_after=utc_now(),
                        created_at=utc_now()))
        session.execute(update(City).values(public_key=column_marker.encode()))
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "app.log").write_text(f'{{"message": "request", "client": "{flows.ADDRESS}"}}\n')
    (logs / "other.log").write_text(base64.b64encode(f"agent={agent};".encode()).decode())
    # A key or a PRF output: raw bytes, sent by browsers as base64url. These bytes make "+" and "/" in base64, so
    # only the base64url form can find them.
    key = bytes([0xFB, 0xFF, 0xBF]) * 10 + b"\x01\x02"
    (logs / "key.log").write_text("prf=" + base64.urlsafe_b64encode(key).decode().rstrip("=") + "\n")
    places = {**stored(database.url), "job table rows": table_rows(database.url, "job"),
              **files_under(logs, "log")}
    secrets: dict[str, str | bytes] = {"job marker": job_marker, "column marker": column_marker, "user agent": agent,
               "key": key,
               **{f"address as {form}": form for form in address_forms(flows.ADDRESS)}}
    in_database = ("database file", "pg_dump")  # SQLite: the main file or its log, wherever the page is now
    found = {(finding.secret, "database" if finding.place.startswith(in_database) else finding.place, finding.form)
             for finding in scan(secrets, places)}
    assert found == {
        ("job marker", "job table rows", "text"), ("job marker", "database", "text"),
        # pg_dump writes a bytea column as hex: the hex form is what finds it there.
        ("column marker", "database", "text" if database.is_sqlite else "hex"),
        ("address as 203.0.113.77", "log app.log", "text"), ("user agent", "log other.log", "base64"),
        ("key", "log key.log", "base64url"),
    }, report(scan(secrets, places))
