"""Retention: due records are purged for good (gone from the SQLite file after VACUUM and from
pg_dump), each purge leaves an audit entry without content, and the audit chain still verifies."""

import subprocess
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlmodel import select

from intake.audit import verify_city
from intake.cities import create_city, find_city, list_cities
from intake.clock import utc_now
from intake.errors import InvalidInput
from intake.models import AuditEntry, Case, CaseItem
from intake.operations import retention
from intake.operations.backup import libpq_url
from intake.reports.submission import submit_report
from intake.routing import NAMED_IN_REPORT, RoutingSet, load_routing, save_routing


def conclude(database, case_id, on):
    with database.write() as session:
        case = session.get(Case, case_id)
        case.status, case.outcome, case.concluded_on = "concluded", "unsubstantiated", on
        session.add(case)


def stored_bytes(database) -> bytes:
    """Everything the database keeps on disk, as an attacker holding it would read it."""
    if database.is_sqlite:
        path = database.url.removeprefix("sqlite:///")
        raw = database.engine.raw_connection()
        raw.cursor().execute("PRAGMA wal_checkpoint(TRUNCATE)")
        raw.close()
        return b"".join(Path(name).read_bytes() for name in (path, path + "-wal") if Path(name).exists())
    schema = parse_qs(urlsplit(database.url).query)["options"][0].split("=", 1)[1]
    dump = subprocess.run(["pg_dump", "--format=plain", f"--schema={schema}", f"--dbname={libpq_url(database)}"],
                          capture_output=True, check=True)
    return dump.stdout


def fingerprints(database, case_id) -> list[bytes]:
    """Slices of the sealed content and keys of a case, in the forms the file and the dump hold them."""
    with database.read() as session:
        items = session.exec(select(CaseItem).where(CaseItem.case_id == case_id)).all()
        case = session.get(Case, case_id)
    blobs = [item.ciphertext for item in items] + [item.key_for_city for item in items]
    blobs.append(case.reporter_wrapped_private_key)
    slices = [blob[12:36] for blob in blobs]
    return slices if database.is_sqlite else [s.hex().encode() for s in slices]


def test_concluded_cases_are_purged_for_good_after_their_time(database, config):
    create_city(database, "raytown", "Raytown")
    create_city(database, "grandview", "Grandview")
    today = utc_now().date()
    old, recent, open_case, other_city = (
        submit_report(database, config, city_slug=city, category="fraud-waste-abuse", narrative=text).case_id
        for city, text in (("raytown", "old"), ("raytown", "recent"), ("raytown", "open"), ("grandview", "old")))
    conclude(database, old, today - timedelta(days=800))
    conclude(database, recent, today - timedelta(days=10))
    conclude(database, other_city, today - timedelta(days=800))  # grandview keeps its cases: no rule there
    retention.set_rule(database, "raytown", "concluded-cases", 730)
    marks = fingerprints(database, old)
    assert all(mark in stored_bytes(database) for mark in marks)  # the check below can fail

    report = retention.run_retention(database)

    assert report.purged == {("raytown", "concluded-cases"): 1} and report.vacuumed
    with database.read() as session:
        remaining = set(session.exec(select(Case.id)).all())
        entry = session.exec(select(AuditEntry).where(AuditEntry.action == "retention.purged")).one()
        for city in list_cities(database):
            assert verify_city(session, city).ok
    assert remaining == {recent, open_case, other_city}
    assert entry.subject == old and '"category":"fraud-waste-abuse"' in entry.detail and "old" not in entry.detail
    data = stored_bytes(database)
    assert not any(mark in data for mark in marks)
    assert retention.run_retention(database).total == 0  # running again purges nothing more


def test_a_purged_case_leaves_its_citys_sealed_routing_set(database, config):
    # A report's intake adds its case to the city's sealed routing set without looking for purged cases in it,
    # so retention forgets each case it purges, in the purge's transaction.
    create_city(database, "raytown", "Raytown")
    city_id = find_city(database, "raytown").id
    old, kept = (submit_report(database, config, city_slug="raytown", category="fraud-waste-abuse",
                               narrative=text).case_id for text in ("old", "kept"))
    with database.write() as session:
        save_routing(session, config.routing_key, city_id,
                     RoutingSet({old: {7: NAMED_IN_REPORT}, kept: {7: NAMED_IN_REPORT}}, {old}))
    conclude(database, old, utc_now().date() - timedelta(days=800))
    retention.set_rule(database, "raytown", "concluded-cases", 730)
    submit_report(database, config, city_slug="raytown", category="fraud-waste-abuse", narrative="later")

    retention.run_retention(database, routing_key=config.routing_key, vacuum=False)

    with database.read() as session:
        routing = load_routing(session, config.routing_key, city_id)
    assert set(routing.excluded) == {kept} and old not in routing.alternate


def test_rules_are_checked_and_unknown_purgers_are_left_alone(database):
    create_city(database, "raytown", "Raytown")
    with pytest.raises(InvalidInput):
        retention.set_rule(database, "raytown", "everything", 1)
    with pytest.raises(InvalidInput):
        retention.set_rule(database, "raytown", "concluded-cases", -1)
    retention.set_rule(database, "raytown", "concluded-cases", 365)
    assert [(r.city_slug, r.keep_days) for r in retention.rules(database)] == [("raytown", 365)]
    assert retention.run_retention(database, purgers={}).total == 0
    retention.set_rule(database, "raytown", "concluded-cases", None)
    assert retention.rules(database) == []
    with database.read() as session:
        assert verify_city(session, find_city(database, "raytown")).ok


def test_the_daily_run_is_one_job_per_day_whatever_the_number_of_workers(database):
    from datetime import UTC, datetime

    from intake.models import Job
    from intake.operations import jobs

    now = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    for _ in range(3):
        with database.write() as session:
            retention.schedule_daily(session, clock=lambda: now)
    with database.read() as session:
        queued = session.exec(select(Job)).all()
    assert [(job.kind, job.run_after.replace(tzinfo=UTC)) for job in queued] == [
        ("retention.run", datetime(2026, 3, 2, 3, 0, tzinfo=UTC))]
    later = datetime(2026, 3, 2, 3, 0, 5, tzinfo=UTC)
    handlers = {retention.RETENTION_JOB: lambda run: retention.run_retention_job(database, run)}
    assert jobs.run_one(database, handlers, clock=lambda: later)
    with database.read() as session:
        states = sorted((job.state, job.run_after.replace(tzinfo=UTC).date()) for job in session.exec(select(Job)))
    assert states == [("done", date(2026, 3, 2)), ("queued", date(2026, 3, 3))]
