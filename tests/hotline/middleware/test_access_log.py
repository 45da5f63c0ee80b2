"""Observability without surveillance: every flow runs (reporter, follow-up, reviewer, metrics and
health, worker jobs, retention, key rotation, recovery, backup) with the structured JSON logs captured at DEBUG,
and no line holds the client address, the user agent, a phone number, the report key or any content."""

import dataclasses
import io
import json
import logging
import re
from datetime import date

from sqlalchemy import update
from starlette.testclient import TestClient

from hotline.app import create_app
from hotline.cli.main import main
from hotline.middleware.access_log import JsonFormatter
from hotline.worker import job_handlers, schedule_recurring_jobs
from intake.accounts.reviewers import add_reviewer
from intake.cities import create_city, find_city, open_city_key_with_recovery_key
from intake.db import Database
from intake.keys.rotation import rotate_city_key
from intake.models import Case, Job
from intake.operations import jobs
from intake.operations.migrate import upgrade
from tests.hotline.conftest import PASSWORD, enrol, hidden, make_settings, sign_in, submit_report

ADDRESS = "192.0.2.144"  # TEST-NET-1 (RFC 5737)
AGENT = "Marker-Agent/7.1"
PHONE = "+18165550199"
NARRATIVE = f"Marker-content: the safety officer skipped the inspection; call me on {PHONE}"
MESSAGE = "Marker-message: more about the inspection"
REPLY = "Marker-reply: thank you, we are looking into it"


def test_no_address_number_or_content_in_any_log_line(tmp_path, monkeypatch, capsys):
    url = f"sqlite:///{tmp_path / 'hotline.sqlite3'}"
    settings = dataclasses.replace(make_settings(url), metrics_token=b"t" * 40)
    for name, value in {"HOTLINE_DATABASE_URL": url, "HOTLINE_PEPPER": "a" * 40, "HOTLINE_SESSION_KEY": "b" * 40,
                        "HOTLINE_INSECURE_TEST_KDF": "1"}.items():
        monkeypatch.setenv(name, value)
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.setLevel(logging.DEBUG)
    # The test's own HTTP client logs the URLs it requests; it is the visitor's side, not the service's logs.
    handler.addFilter(lambda record: not record.name.startswith("httpx"))
    root = logging.getLogger()
    root.addHandler(handler)
    previous_level = root.level
    root.setLevel(logging.DEBUG)
    try:
        database = Database(url)
        upgrade(database)
        created = create_city(database, "raytown", "Raytown")
        key = open_city_key_with_recovery_key(find_city(database, "raytown"), created.recovery_key)
        add_reviewer(database, settings.intake_config(), city_slug="raytown", email="ethics@raytown.example",
                     display_name="Pat Example", password=PASSWORD, role="reviewer", city_private_key=key)
        enrol(database, settings, "ethics@raytown.example")  # TOTP
        headers = {"x-forwarded-for": ADDRESS, "x-real-ip": ADDRESS, "forwarded": f"for={ADDRESS}",
                   "user-agent": AGENT}
        with TestClient(create_app(settings, database), base_url="https://testserver", headers=headers,
                        raise_server_exceptions=False) as client:
            report_key = submit_report(client, "raytown", NARRATIVE)
            follow_up = client.post("/follow-up", data={"form_token": hidden(client.get("/follow-up").text,
                                                                             "form_token"), "report_key": report_key})
            client.post("/follow-up/message", data={"access_token": hidden(follow_up.text, "access_token"),
                                                    "message": MESSAGE})
            client.post("/follow-up", data={"form_token": "forged", "report_key": "1234"})
            sign_in(client, "ethics@raytown.example")
            inbox = client.get("/review/")
            case_path = re.search(r'href="(/review/cases/[0-9a-f]{32})"', inbox.text).group(1)
            case_page = client.get(case_path)
            assert "Marker-content" in case_page.text
            client.post(case_path + "/reply", data={"csrf_token": hidden(case_page.text, "csrf_token"),
                                                    "reply": REPLY})
            client.get(f"/report/raytown?narrative={PHONE}")
            client.get("/nowhere/" + PHONE)
            for path in ("/healthz", "/readyz"):
                assert client.get(path).status_code == 200
            assert client.get("/metrics", headers={"authorization": "Bearer " + "t" * 40}).status_code == 200
        # Worker: the scheduled daily job and a failing job.
        schedule_recurring_jobs(database, settings)
        with database.write() as session:
            session.execute(update(Job).values(run_after=jobs.utc_now()))
            session.execute(update(Case).values(status="concluded", concluded_on=date(2001, 1, 1)))
            jobs.enqueue(session, "explodes", {"note": "ids only"})
        handlers = job_handlers(settings, database)
        handlers["explodes"] = lambda run: (_ for _ in ()).throw(ValueError(NARRATIVE))
        assert main(["retention", "set", "--city", "raytown", "--purger", "concluded-cases", "--days", "1"]) == 0
        while jobs.run_one(database, handlers):
            pass
        rotated = rotate_city_key(database, "raytown", created.recovery_key)
        key_file = tmp_path / "key"
        key_file.write_text(rotated.recovery_key)
        monkeypatch.setattr("sys.stdin", io.StringIO("a new admin password\n"))
        assert main(["key", "recover", "--city", "raytown", "--email", "admin@raytown.example",
                     "--recovery-key-file", str(key_file), "--password-stdin"]) == 0
        assert main(["backup", str(tmp_path / "backup")]) == 0
        assert main(["audit", "verify"]) == 0
        database.dispose()
    finally:
        root.removeHandler(handler)
        root.setLevel(previous_level)
    logged = stream.getvalue()
    lines = logged.splitlines()
    assert len(lines) > 20 and all(json.loads(line) for line in lines)  # every line is one JSON object
    assert '"route": "case_page"' in logged and '"error": "ValueError"' in logged  # the flows were logged
    # Reporter routes leave no line: its time would date the report
    # (docs/design.md#release-slots).
    for route in ("submit_report", "open_follow_up", "add_message", "report_form"):
        assert f'"route": "{route}"' not in logged, route
    printed = capsys.readouterr()
    for marker in (ADDRESS, AGENT, PHONE, "8165550199", "Marker", report_key, created.recovery_key,
                   rotated.recovery_key, "a" * 40):
        assert marker not in logged, marker
        assert marker not in printed.err, marker
