"""The metadata scan: nothing a dump, a log or a reviewer sees pins down who or when
(docs/design.md#threat-model-and-anonymity-rules, docs/design.md#release-slots).

Against the real server (``hotline serve --with-worker``, release slots of two seconds, logs at debug), a web report
that names one reviewer and a phone report are made within one known minute. After that minute has passed, the
reviewers work both cases. Then:

- no table row (open jobs aside), log line, reviewer page, audit export, PDF or ZIP holds a time of day in that
  minute, in UTC or in the city's zone, as a 24- or 12-hour clock or a PDF date;
- no row, audit detail or sealed value in the database links the named reviewer to the case, or says that it went to
  the alternate group; the named reviewer gets not-found for it everywhere, while the alternate group reads it.

Setting the city up uses a clock fixed in 2020, so nothing made before the reports can share their minute.
"""

from __future__ import annotations

import io
import re
import time
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pypdf
import sqlalchemy
from sqlalchemy import MetaData, select

from hotline.bench.fake_twilio import FakeTwilio
from hotline.settings import INSECURE_TEST_KDF
from intake.accounts.account import set_up_totp
from intake.accounts.reviewers import add_reviewer
from intake.audit.export import dumps, export_chain
from intake.cities import create_city, find_city, open_city_key_with_recovery_key
from intake.config import IntakeConfig
from intake.db import Database
from intake.models.job import QUEUED, RUNNING
from intake.operations.migrate import upgrade
from intake.phone.lines import add_number
from tests.e2e import confidentiality_flows as flows
from tests.e2e.servers import free_port, running
from tests.hotline.voice.twilio_calls import ACCOUNT_SID, AUTH_TOKEN, PUBLIC_URL, spoken_key

PEPPER = "metadata-pepper-" + "p" * 32
PASSWORD = "a good long password"
OFFICER, NAMED, AUDITOR = "officer@raytown.example", "ana@raytown.example", "auditor@raytown.example"
NAMED_NAME = "Ana Quintanilla"
SETUP = datetime(2020, 1, 2, 3, 4, 5, tzinfo=UTC)
CHICAGO = ZoneInfo("America/Chicago")
CASE_ROUTES = ("", "/export.pdf", "/files.zip", "/identity")


@dataclass
class Prepared:
    officer_totp: str
    named_totp: str
    auditor_totp: str
    named_id: int


def prepare(url: str) -> Prepared:
    """Raytown with its phone line; the officer in the alternate and HR groups, the reviewer the report will name
    alone in the ethics group (so naming her sends it to the alternate group). All dated 2020."""
    database = Database(url)
    config = IntakeConfig(pepper=PEPPER.encode(), reviewer_kdf=INSECURE_TEST_KDF, report_key_kdf=INSECURE_TEST_KDF)
    setup_clock = lambda: SETUP  # noqa: E731
    try:
        upgrade(database)
        created = create_city(database, "raytown", "Raytown", clock=setup_clock)
        key = open_city_key_with_recovery_key(find_city(database, "raytown"), created.recovery_key)
        add_reviewer(database, config, city_slug="raytown", email=OFFICER, display_name="Officer Ortega",
                     password=PASSWORD, role="reviewer", city_private_key=key, groups=["alternate", "hr"],
                     clock=setup_clock)
        named = add_reviewer(database, config, city_slug="raytown", email=NAMED, display_name=NAMED_NAME,
                             password=PASSWORD, role="reviewer", city_private_key=key, groups=["ethics"],
                             clock=setup_clock)
        add_reviewer(database, config, city_slug="raytown", email=AUDITOR, display_name="Audra Auditor",
                     password=PASSWORD, role="auditor", city_private_key=None, clock=setup_clock)
        add_number(database, "raytown", flows.PHONE_LINE, clock=setup_clock)
        return Prepared(*(set_up_totp(database, config, email, PASSWORD, clock=setup_clock)
                          for email in (OFFICER, NAMED, AUDITOR)), named.reviewer_id)
    finally:
        database.dispose()


def minute_of(moment: datetime) -> datetime:
    return moment.replace(second=0, microsecond=0)


def wait_for_minute_after(moment: datetime) -> None:
    while minute_of(datetime.now(UTC)) <= minute_of(moment):
        time.sleep(0.5)


def patterns(minutes: list[datetime]) -> dict[str, str]:
    """Every way a time in these minutes could be written: 24- and 12-hour clocks in UTC and in the city's zone
    (the console shows Chicago time as "2:07:33 PM"), and a PDF date (D:YYYYMMDDHHmm)."""
    found = {}
    for minute in minutes:
        for zone_name, moment in (("UTC", minute), ("Chicago", minute.astimezone(CHICAGO))):
            twelve = moment.hour % 12 or 12
            found[f"{moment:%H:%M} ({zone_name})"] = f"{moment:%H:%M}"
            found[f"{twelve}:{moment:%M} ({zone_name}, 12-hour)"] = rf"(?<![0-9]){twelve}:{moment:%M}(?![0-9])"
            found[f"PDF date {moment:%Y%m%d%H%M} ({zone_name})"] = f"{moment:%Y%m%d%H%M}"
    return found


def hits(text: str, where: str, minutes: list[datetime]) -> list[str]:
    return [f"{name} in {where}" for name, pattern in patterns(minutes).items() if re.search(pattern, text)]


def stored_rows(url: str, minutes: list[datetime]) -> tuple[list[str], dict[str, list[dict]]]:
    """Every row of every table as text, open jobs aside (they keep exact times while they wait), checked for
    the minutes; and the rows themselves, for the exclusion checks."""
    engine = sqlalchemy.create_engine(url)
    metadata = MetaData()
    found: list[str] = []
    rows: dict[str, list[dict]] = {}
    try:
        with engine.connect() as connection:
            metadata.reflect(connection)
            for table in metadata.sorted_tables:
                rows[table.name] = [dict(row._mapping) for row in connection.execute(select(table))]
                for row in rows[table.name]:
                    if table.name == "job" and row["state"] in (QUEUED, RUNNING):
                        continue
                    for column, value in row.items():
                        if isinstance(value, datetime) and (value.hour, value.minute) != (0, 0):
                            if any(minute_of(value.replace(tzinfo=value.tzinfo or UTC)) == m for m in minutes):
                                found.append(f"{table.name}.{column} = {value}")
                        elif isinstance(value, str):
                            found += hits(value, f"{table.name}.{column}", minutes)
    finally:
        engine.dispose()
    return found, rows


def report_naming_a_reviewer(site: flows.Site) -> str:
    with site.browser() as reporter:
        form = reporter.get("/report/raytown?category=safety").text
        response = reporter.post("/report/raytown", data={
            "form_token": flows.hidden(form, "form_token"), "category": "safety",
            "narrative": f"{NAMED_NAME} signs off the crane inspections without looking at the crane."})
        assert response.status_code == 200, response.text
        return flows.report_key(response.text)


def report_by_phone(site: flows.Site) -> str:
    with site.browser() as http:
        call = flows.Call(site, http)
        menu = call.press(call.post("/voice/incoming"), "1")
        answer, _sid = call.record(call.press(call.press(menu, "1"), "4"), seed=21)
        call.hang_up()
        return spoken_key(answer)


def wait_until(condition, what: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.3)


def case_paths(reviewer: flows.Reviewer) -> list[str]:
    return list(dict.fromkeys(re.findall(r'href="(/review/cases/[0-9a-f]{32})"', reviewer.get("/review/").text)))


def test_no_time_of_day_and_no_exclusion_is_left_anywhere(database_url: str, tmp_path: Path) -> None:
    prepared = prepare(database_url)
    port = free_port()
    log = tmp_path / "server.log"
    with FakeTwilio(ACCOUNT_SID, AUTH_TOKEN, seed=13).running() as fake:
        env = {"HOTLINE_DATABASE_URL": database_url, "HOTLINE_PEPPER": PEPPER, "HOTLINE_SESSION_KEY": "s" * 40,
               "HOTLINE_INSECURE_TEST_KDF": "1", "HOTLINE_PUBLIC_URL": PUBLIC_URL, "HOTLINE_LOG_LEVEL": "debug",
               "HOTLINE_TWILIO_ACCOUNT_SID": ACCOUNT_SID, "HOTLINE_TWILIO_AUTH_TOKEN": AUTH_TOKEN,
               "HOTLINE_TWILIO_API_BASE_URL": fake.base_url, "HOTLINE_WORKER_POLL_SECONDS": "0.1",
               "HOTLINE_RELEASE_INTERVAL_SECONDS": "2"}
        site = flows.Site(f"http://127.0.0.1:{port}", {"User-Agent": "metadata-scan"}, fake, {})
        with running(["serve", "--with-worker", "--port", str(port)], env, port, log, cwd=tmp_path):
            wait_for_minute_after(datetime.now(UTC))  # the server's start-up lines are in an earlier minute
            while datetime.now(UTC).minute in (59, 0):  # a city's report cap keeps the top of the hour: no leak,
                time.sleep(0.5)                          # but it would look like one to this search
            started = datetime.now(UTC)
            web_key = report_naming_a_reviewer(site)
            phone_key = report_by_phone(site)
            ended = datetime.now(UTC)
            minutes = sorted({minute_of(started), minute_of(ended)})
            # Meanwhile the worker stores the recording and releases everything at a slot. The reviewers' own
            # times are theirs to keep, so they start only once the reports' minute is over.
            wait_for_minute_after(ended)
            officer = flows.Reviewer(site, OFFICER, PASSWORD, prepared.officer_totp)
            named = flows.Reviewer(site, NAMED, PASSWORD, prepared.named_totp)
            try:
                wait_until(lambda: len(case_paths(officer)) == 1 and len(case_paths(named)) == 1,
                           "the reports were never released")
                wait_until(lambda: "<audio controls" in named.get(case_paths(named)[0]).text,
                           "the recording was never released")
                pages = {"officer's inbox": officer.get("/review/").text, "named's inbox": named.get("/review/").text}
                auditor = flows.Reviewer(site, AUDITOR, PASSWORD, prepared.auditor_totp)
                try:
                    pages["audit log"] = auditor.get("/review/audit").text
                    assert "case.submitted" in pages["audit log"] or "Report received" in pages["audit log"]
                finally:
                    auditor.close()
                [web_case] = case_paths(officer)
                [phone_case] = case_paths(named)
                # The dump as routing left it, before the named reviewer tries the case herself (each try is
                # audited, with her as the actor: her own act, on purpose).
                _, before_probing = stored_rows(database_url, minutes)
                assert_no_exclusion_is_readable(before_probing, prepared.named_id, web_case.rsplit("/", 1)[1])
                outputs: dict[str, bytes] = {}
                for who, reviewer, path in (("web case", officer, web_case), ("phone case", named, phone_case)):
                    pages[who] = reviewer.get(path).text
                    outputs[f"{who} PDF"] = reviewer.get(path + "/export.pdf").content
                    outputs[f"{who} ZIP"] = reviewer.get(path + "/files.zip").content
                # The named reviewer gets not-found for the case that names her, by every route.
                assert web_case not in pages["named's inbox"]
                for route in CASE_ROUTES:
                    assert named.http.get(web_case + route).status_code == 404, route
                reply = named.http.post(web_case + "/reply", data={"csrf_token": flows.hidden(
                    pages["named's inbox"], "csrf_token"), "reply": "x"})
                assert reply.status_code == 404
            finally:
                officer.close()
                named.close()
    database = Database(database_url)
    try:
        exported = dumps(export_chain(database, find_city(database, "raytown"), b"\x07" * 32))
    finally:
        database.dispose()
    found, rows = stored_rows(database_url, minutes)
    found += hits(log.read_text(), "the server log", minutes)
    for name, page in pages.items():
        found += hits(page, f"reviewer page: {name}", minutes)
    found += hits(exported, "the signed audit export", minutes)
    for name, content in outputs.items():
        if name.endswith("PDF"):
            reader = pypdf.PdfReader(io.BytesIO(content))
            text = "\n".join(page.extract_text() for page in reader.pages) + repr(reader.metadata)
            found += hits(text, name, minutes) + hits(content.decode("latin-1"), f"{name} (bytes)", minutes)
        else:
            for member in zipfile.ZipFile(io.BytesIO(content)).infolist():
                stamp = datetime(*member.date_time, tzinfo=UTC)
                if (stamp.hour, stamp.minute) != (0, 0):
                    found.append(f"{name}: {member.filename} dated {member.date_time}")
    assert not found, "a time of day of a report:\n" + "\n".join(found)
    # Both reports were made and kept, to the day only.
    assert len(rows["cases"]) == 2 and {case["received_on"] for case in rows["cases"]} == {started.date()}
    assert web_key != phone_key
    denied = [entry for entry in rows["audit_entry"] if entry["action"] == "case.access_denied"]
    assert denied and {entry["actor"] for entry in denied} == {f"reviewer:{prepared.named_id}"}


def assert_no_exclusion_is_readable(rows: dict[str, list[dict]], named_id: int, case_id: str) -> None:
    """Nothing in clear links the named reviewer to the case, says why, or says that it went to the alternate
    group: the case keeps the category's group, the log records that group only, and the sealed routing set
    holds neither the case nor the reviewer in clear."""
    groups = {group["id"]: group["slug"] for group in rows["reviewer_group"]}
    case = next(row for row in rows["cases"] if row["id"] == case_id)
    assert groups[case["group_id"]] == "ethics"
    assert rows["case_exclusion"] == []
    assert {groups.get(tally["group_id"]) for tally in rows["case_tally"] if tally["count"]} == {"ethics"}
    for entry in rows["audit_entry"]:
        detail = entry["detail"] or ""
        assert "alternate" not in detail and "excluded" not in detail and "named in report" not in detail
        if entry["subject"] == case_id:
            assert f"reviewer:{named_id}" not in (entry["actor"], detail) and str(named_id) not in detail, entry
    [seal] = rows["routing_seal"]
    sealed = bytes(seal["sealed"])
    for clear in (case_id.encode(), b"named", f'"{named_id}"'.encode(), b"alternate"):
        assert clear not in sealed
    assert len(sealed) >= 1024  # padded like any sealed item


def test_the_scan_sees_a_time_of_day_when_one_is_there() -> None:
    """The patterns can fail: a time in the minute is found written either way, in either zone, and a PDF date."""
    minute = datetime(2026, 12, 7, 20, 7, tzinfo=UTC)  # 2:07 PM in Chicago
    assert hits("received 2026-12-07T20:07:31+00:00", "x", [minute]) == ["20:07 (UTC) in x"]
    assert hits("Dec 7, 2026, 2:07:31 PM", "x", [minute]) == ["2:07 (Chicago, 12-hour) in x"]
    assert hits("/CreationDate (D:20261207200731Z)", "x", [minute]) == ["PDF date 202612072007 (UTC) in x"]
    assert hits("12:07 and 22:07 and 2026-12-07", "x", [minute]) == []
