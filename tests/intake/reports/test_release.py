"""Release slots (docs/design.md#release-slots): with a release interval of a few seconds and a fake clock, a report
that arrives between two reviewer actions cannot be placed between them by a reviewer (inbox, counts, case page,
timeline), an auditor (the audit log in order) or an export; case numbers are given in random order at the
release; a reporter's message waits too and lands after what reviewers wrote meanwhile; an urgent report goes
at once; the release job runs at each slot."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import col, select

from intake.audit.export import export_chain
from intake.audit.timeline import case_timeline
from intake.casework import cases as casework
from intake.casework.inbox import InboxFilter, list_inbox
from intake.casework.notes import add_internal_note
from intake.cities import find_city
from intake.models import AuditEntry, Case, CaseItem, HeldAuditEntry, Job, ReleaseQueue
from intake.models.job import DONE, QUEUED
from intake.operations import jobs
from intake.operations.releases import RELEASE_JOB, run_release_job, schedule_next_release
from intake.reports import release
from intake.reports.submission import add_reporter_message, open_report, reporter_view, submit_report
from intake.routing import can_read
from tests.intake.casework.console_helpers import context_for, make_city

INTERVAL = 5  # seconds
SLOT = datetime(2026, 12, 7, 14, 0, 0, tzinfo=UTC)  # a slot boundary (every 5 s from midnight UTC)


class FakeClock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def at(self, seconds: float) -> FakeClock:
        self.now = SLOT + timedelta(seconds=seconds)
        return self


@pytest.fixture
def slotted(config):
    return replace(config, release_interval_seconds=INTERVAL)


@pytest.fixture
def scene(database, slotted):
    make_city(database, slotted, "raytown", {"ana": ("reviewer", None)})
    ana = context_for(database, slotted, "ana@raytown.example")
    earlier = submit_report(database, slotted, city_slug="raytown", category="safety", narrative="an older report",
                            clock=FakeClock(SLOT - timedelta(days=1)))
    release.release_due(database)
    return ana, earlier.case_id


def chain(database) -> list[AuditEntry]:
    with database.read() as session:
        return list(session.exec(select(AuditEntry).order_by(col(AuditEntry.sequence))).all())


def test_a_report_between_two_reviewer_actions_cannot_be_placed_between_them(database, slotted, scene):
    ana, earlier = scene
    clock = FakeClock(SLOT)
    add_internal_note(database, slotted, ana, earlier, "first action", clock=clock.at(1))
    before = list_inbox(database, ana, InboxFilter(), clock=clock)
    submitted = submit_report(database, slotted, city_slug="raytown", category="fraud-waste-abuse",
                              narrative="arrived between the two", clock=clock.at(2))
    # Until the release, no reviewer can see it: not the inbox, not its counts, not the case itself.
    between = list_inbox(database, ana, InboxFilter(), clock=clock.at(2.5))
    assert between.total == before.total == 1 and between.by_status == before.by_status
    assert submitted.case_id not in {row.case_id for row in between.rows}
    with database.read() as session:  # the access rule itself (asking the console would audit the probe)
        assert not can_read(session, ana.routing_key, ana.reviewer_id, ana.city_id, submitted.case_id)
    add_internal_note(database, slotted, ana, earlier, "second action", clock=clock.at(3))
    with database.read() as session:
        waiting = session.get(Case, submitted.case_id)
        assert waiting.group_id is None and waiting.number < 0 and not waiting.released
        assert not [entry for entry in chain(database) if entry.subject == submitted.case_id]

    release.release_due(database)  # the 14:00:05 slot

    entries = chain(database)
    order = [(entry.action, entry.subject == submitted.case_id) for entry in entries]
    notes = [n for n, (action, _) in enumerate(order) if action == "case.note_added"]
    reported = [n for n, (_, mine) in enumerate(order) if mine]
    # In the chain the report comes after both actions, dated to its day: nothing places it between them.
    assert max(notes) < min(reported)
    assert [entries[n].action for n in reported] == ["case.submitted", "case.routed"]
    assert {entries[n].recorded_at for n in reported} == {"2026-12-07"}
    assert all(len(entries[n].recorded_at) == 10 for n in reported)
    exported = export_chain(database, find_city(database, "raytown"), b"\x01" * 32)
    assert [e["sequence"] for e in exported["entries"] if e["subject"] == submitted.case_id] == \
        [entries[n].sequence for n in reported]
    after = list_inbox(database, ana, InboxFilter(), clock=clock.at(6))
    assert after.total == 2 and submitted.case_id in {row.case_id for row in after.rows}
    view = casework.read_case(database, ana, submitted.case_id, clock=clock)
    assert view.summary.number == 2 and view.summary.received_on.isoformat() == "2026-12-07"
    timeline = case_timeline(database, ana, submitted.case_id, clock=clock)
    assert {(event.action, event.recorded_at) for event in timeline} == {
        ("case.submitted", "2026-12-07"), ("case.routed", "2026-12-07")}


def test_numbers_are_given_at_the_release_in_random_order(database, slotted, scene):
    arrivals = []
    for round_ in range(8):
        made = [submit_report(database, slotted, city_slug="raytown", category="safety",
                              narrative=f"round {round_} report {n}").case_id for n in range(5)]
        release.release_due(database)
        with database.read() as session:
            numbers = [session.get(Case, case_id).number for case_id in made]
        assert sorted(numbers) == list(range(2 + 5 * round_, 7 + 5 * round_))
        arrivals.append(numbers == sorted(numbers))
    assert not all(arrivals)  # in arrival order 8 times running: 1 chance in 120**8


def test_a_message_waits_and_lands_after_what_reviewers_wrote_meanwhile(database, slotted, scene):
    ana, _earlier = scene
    made = submit_report(database, slotted, city_slug="raytown", category="safety", narrative="for a message")
    release.release_due(database)
    access = open_report(database, slotted, made.report_key)
    add_reporter_message(database, slotted, access, "the reporter's addition")
    # The reporter sees it at once; the reviewer does not, and replies meanwhile.
    assert "the reporter's addition" in [item.text for item in reporter_view(database, access).items]
    assert "the reporter's addition" not in [item.text for item in casework.read_case(database, ana,
                                                                                        made.case_id).items]
    casework.reply_to_reporter(database, slotted, ana, made.case_id, "a reply written before the release")
    release.release_due(database)
    texts = [item.text for item in casework.read_case(database, ana, made.case_id).items]
    assert texts.index("a reply written before the release") < texts.index("the reporter's addition")
    with database.read() as session:
        positions = sorted(session.exec(select(CaseItem.position).where(CaseItem.case_id == made.case_id)).all())
        assert positions == list(range(1, len(positions) + 1))
        assert session.exec(select(ReleaseQueue)).all() == [] and session.exec(select(HeldAuditEntry)).all() == []


def test_an_urgent_report_and_its_messages_go_at_once(database, slotted, scene):
    ana, _earlier = scene
    made = submit_report(database, slotted, city_slug="raytown", category="safety", narrative="someone is hurt",
                         urgent=True)
    assert made.case_id in {row.case_id for row in list_inbox(database, ana, InboxFilter()).rows}
    with database.read() as session:
        case = session.get(Case, made.case_id)
        assert case.urgent and case.released and case.number == 2
    add_reporter_message(database, slotted, open_report(database, slotted, made.report_key), "more, urgently")
    assert "more, urgently" in [item.text for item in casework.read_case(database, ana, made.case_id).items]


def test_the_release_job_runs_at_each_slot_and_queues_the_next(database, slotted, scene):
    clock = FakeClock(SLOT + timedelta(seconds=1))
    with database.write() as session:
        schedule_next_release(session, INTERVAL, clock=clock)
        schedule_next_release(session, INTERVAL, clock=clock)  # another worker: the same slot, one job
    made = submit_report(database, slotted, city_slug="raytown", category="safety", narrative="waits for the job")
    handlers = {RELEASE_JOB: lambda run: run_release_job(database, run, INTERVAL)}
    assert not jobs.run_one(database, handlers, clock=clock)  # not due before 14:00:05
    assert jobs.run_one(database, handlers, clock=clock.at(5))
    with database.read() as session:
        assert session.get(Case, made.case_id).released
        rows = session.exec(select(Job).where(Job.kind == RELEASE_JOB)).all()
    assert sorted((job.state, job.run_after.replace(tzinfo=UTC)) for job in rows) == [
        (DONE, datetime(2026, 12, 7, tzinfo=UTC)), (QUEUED, SLOT + timedelta(seconds=10))]
    assert json.loads(rows[0].payload) == {} == json.loads(rows[1].payload)


def test_slots_start_every_interval_from_midnight_utc():
    now = datetime(2026, 12, 7, 14, 37, 12, tzinfo=UTC)
    assert release.next_slot(now, 3600) == datetime(2026, 12, 7, 15, tzinfo=UTC)
    assert release.slot_start(now, 60) == datetime(2026, 12, 7, 14, 37, tzinfo=UTC)
    assert release.next_slot(datetime(2026, 12, 7, 23, 59, 59, tzinfo=UTC), 3600) == datetime(2026, 12, 8, tzinfo=UTC)


def test_a_waiting_case_whose_placeholder_number_is_taken_draws_another(database, slotted, scene, monkeypatch):
    # The insert itself decides whether the number is free (ON CONFLICT on the city's numbers), on either database.
    draws = iter([-5, -5, -7])
    monkeypatch.setattr(release, "_random_placeholder", lambda: next(draws))
    first = submit_report(database, slotted, city_slug="raytown", category="safety", narrative="first waiting")
    second = submit_report(database, slotted, city_slug="raytown", category="safety", narrative="second waiting")
    with database.read() as session:
        assert (session.get(Case, first.case_id).number, session.get(Case, second.case_id).number) == (-5, -7)
    release.release_due(database)
    with database.read() as session:
        assert sorted(session.get(Case, case.case_id).number for case in (first, second)) == [2, 3]
