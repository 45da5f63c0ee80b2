"""Audit entries in words (intake.audit.wording) and the audit log's filters and pages (intake.audit.viewer):
every stored value and detail field has words, a reviewer whose account is gone is a "former reviewer", a day
range takes exact times by the city's midnights and day-only entries by their day, and pages follow each other
without gaps or repeats."""

from __future__ import annotations

import ast
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from hotline import console_words
from intake import audit
from intake.audit.actions import AuditAction
from intake.audit.viewer import ENTRIES_PER_PAGE, AuditQuery, audit_page, parse_query
from intake.audit.wording import (
    CHANNEL_WORDS,
    FIELDS,
    FORMER_REVIEWER,
    OUTCOME_WORDS,
    ROLE_WORDS,
    STATUS_WORDS,
    Text,
)
from intake.case_status import OUTCOMES, STATUSES
from intake.errors import InvalidInput
from intake.reports.submission import CHANNELS
from tests.intake.casework.console_helpers import context_for, make_city

ROOT = Path(__file__).resolve().parents[3]
CHICAGO = ZoneInfo("America/Chicago")


def written_detail_keys() -> set[str]:
    """Every key of a literal ``detail`` the services write (``detail={...}``, ``detail = {...}``, a purge summary)."""
    keys: set[str] = set()
    for path in [*(ROOT / "intake").rglob("*.py"), *(ROOT / "hotline").rglob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text())):
            values = []
            if isinstance(node, ast.keyword) and node.arg == "detail":
                values.append(node.value)
            if isinstance(node, ast.Assign | ast.AnnAssign):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                if any(isinstance(t, ast.Name) and t.id in ("detail", "summary") for t in targets) and node.value:
                    values.append(node.value)
            if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name) and node.value.id == "detail" \
                    and isinstance(node.slice, ast.Constant):
                keys.add(str(node.slice.value))
            for value in values:
                keys |= {str(k.value) for d in ast.walk(value) if isinstance(d, ast.Dict)
                         for k in d.keys if isinstance(k, ast.Constant)}
    return keys


def test_every_stored_value_and_detail_field_has_words():
    assert set(STATUS_WORDS) == set(STATUSES) and set(OUTCOME_WORDS) == set(OUTCOMES)
    assert set(CHANNEL_WORDS) == set(CHANNELS) == set(console_words.CHANNELS)
    assert set(console_words.OUTCOMES) == set(OUTCOMES)
    assert set(ROLE_WORDS) == set(console_words.ROLES)
    keys = written_detail_keys()
    assert {"from", "to", "assignee", "group", "regional", "transcript"} <= keys  # the scan finds them
    assert keys - set(FIELDS) == set()


@pytest.fixture
def raytown(database, config):
    city = make_city(database, config, "raytown", {"ana": ("admin", None), "ben": ("reviewer", None),
                                                   "aud": ("auditor", [])})
    return city, context_for(database, config, "aud@raytown.example")


def test_a_reviewer_whose_account_is_gone_is_a_former_reviewer(database, raytown):
    _city, auditor = raytown
    gone = audit.reviewer_actor(999_999)  # no such account (any more)
    with database.write() as session:
        locked = audit.lock_city(session, auditor.city_id)
        audit.append(session, locked, actor=gone, action=AuditAction.CASE_ASSIGNED, when=datetime.now(UTC),
                     detail={"assignee": gone})
    page = audit_page(database, auditor, AuditQuery(action=AuditAction.CASE_ASSIGNED), zone=CHICAGO)
    assert page.rows[0].actor == Text(FORMER_REVIEWER)
    assert [(fact.label, fact.value) for fact in page.rows[0].facts] == [("Assigned to", Text(FORMER_REVIEWER))]
    assert (gone, Text(FORMER_REVIEWER)) in page.people


def add_entries(database, city_id: int, entries: list[tuple[str, datetime]]) -> None:
    with database.write() as session:
        locked = audit.lock_city(session, city_id)
        for actor, when in entries:
            audit.append(session, locked, actor=actor, action=AuditAction.CASE_NOTE_ADDED if actor != audit.REPORTER
                         else AuditAction.CASE_REPORTER_MESSAGE, when=when, subject="0" * 32)


def test_a_day_range_is_the_city_s_days_and_a_reporter_s_day_is_never_shifted(database, raytown):
    _city, auditor = raytown
    ben = audit.reviewer_actor(_city.reviewer_ids["ben"])
    add_entries(database, auditor.city_id, [
        (ben, datetime(2025, 1, 15, 5, 59, tzinfo=UTC)),  # 11:59 PM on Jan 14 in Chicago
        (ben, datetime(2025, 1, 15, 6, 0, tzinfo=UTC)),  # midnight Jan 15 in Chicago
        (audit.REPORTER, datetime(2025, 1, 15, 23, 0, tzinfo=UTC)),  # stored as the day 2025-01-15
        (ben, datetime(2025, 1, 16, 5, 59, tzinfo=UTC)),  # 11:59 PM on Jan 15 in Chicago
        (audit.REPORTER, datetime(2025, 1, 16, 1, 0, tzinfo=UTC)),  # the day 2025-01-16 (evening of Jan 15 locally)
    ])
    page = audit_page(database, auditor, parse_query({"since": "2025-01-15", "until": "2025-01-15"}), zone=CHICAGO)
    shown = sorted((row.exact.isoformat() if row.exact else row.day.isoformat()) for row in page.rows)
    assert shown == ["2025-01-15", "2025-01-15T06:00:00+00:00", "2025-01-16T05:59:00+00:00"]
    only_reporter = audit_page(database, auditor, parse_query({"person": "reporter"}), zone=CHICAGO)
    assert [(row.exact, row.day) for row in only_reporter.rows] == [(None, date(2025, 1, 16)),
                                                                    (None, date(2025, 1, 15))]
    only_action = audit_page(database, auditor, AuditQuery(action=AuditAction.CASE_REPORTER_MESSAGE), zone=CHICAGO)
    assert {row.action for row in only_action.rows} == {AuditAction.CASE_REPORTER_MESSAGE}
    with pytest.raises(InvalidInput):
        parse_query({"since": "2026-02-30"})
    with pytest.raises(InvalidInput):
        parse_query({"since": "2026-12-07", "until": "2026-12-06"})
    assert parse_query({"action": "case.nonsense", "person": "reviewer:x"}) == AuditQuery()


def test_pages_follow_each_other_by_entry_number(database, raytown):
    _city, auditor = raytown
    ben = audit.reviewer_actor(_city.reviewer_ids["ben"])
    add_entries(database, auditor.city_id, [(ben, datetime(2026, 12, 6, 12, tzinfo=UTC))] * (ENTRIES_PER_PAGE + 30))
    wanted = AuditQuery(person=ben)
    first = audit_page(database, auditor, wanted, zone=CHICAGO)
    assert len(first.rows) == ENTRIES_PER_PAGE and first.newer_than is None and first.older_than is not None
    second = audit_page(database, auditor, AuditQuery(person=ben, older_than=first.older_than), zone=CHICAGO)
    assert len(second.rows) == 30 and second.older_than is None and second.newer_than == second.rows[0].sequence
    sequences = [row.sequence for row in (*first.rows, *second.rows)]
    assert sequences == sorted(sequences, reverse=True) and len(set(sequences)) == ENTRIES_PER_PAGE + 30
    back = audit_page(database, auditor, AuditQuery(person=ben, newer_than=second.newer_than), zone=CHICAGO)
    assert [row.sequence for row in back.rows] == [row.sequence for row in first.rows]
