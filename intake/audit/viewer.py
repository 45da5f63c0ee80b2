"""Reading a city's audit log in the console (auditors and admins), newest first, in words
(intake.audit.wording), with the chain verified so the page says whether the log is intact
(docs/design.md#audit-log). Entries hold no content.

The log is filtered by action, by person and by a range of the city's days, and paged by sequence number (keyset:
"older than entry N"), so a page of a log of millions of entries costs one indexed range read whatever its depth.
A day range covers exact times from the city's midnight to midnight, and day-only entries (what a reporter did)
by their stored day: a day is never converted to a time zone (docs/design.md#console-wording).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, func, or_
from sqlmodel import col, select

from intake.accounts.reviewers import ROLE_ADMIN, ROLE_AUDITOR
from intake.accounts.sessions import ReviewerContext
from intake.audit import chain as audit
from intake.audit.actions import ACTIONS, AuditAction
from intake.audit.wording import EntryWords, Text, describe, read_names
from intake.clock import Clock, utc_now
from intake.db import Database
from intake.errors import InvalidInput, NotFound
from intake.messages import N_
from intake.models import AuditEntry, City

AUDIT_ROLES = (ROLE_AUDITOR, ROLE_ADMIN)
ENTRIES_PER_PAGE = 100
PERSON = re.compile(r"reviewer:\d{1,9}|reporter|phone caller|system|exit respondent")
DAY = re.compile(r"\d{4}-\d\d-\d\d")
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(9998, 12, 31)


@dataclass(frozen=True)
class AuditQuery:
    """Which entries to show: every filter is optional; ``older_than``/``newer_than`` page by sequence number."""

    action: str = ""
    person: str = ""
    since: date | None = None
    until: date | None = None
    older_than: int | None = None
    newer_than: int | None = None

    @property
    def filtered(self) -> bool:
        return bool(self.action or self.person or self.since or self.until)

    def detail(self) -> dict[str, str | int]:
        """What the viewing's own audit entry records of it."""
        found: dict[str, str | int | None] = {
            "action": self.action or None, "person": self.person or None,
            "since": self.since.isoformat() if self.since else None,
            "until": self.until.isoformat() if self.until else None,
            "older_than": self.older_than, "newer_than": self.newer_than}
        return {key: value for key, value in found.items() if value is not None}


def _day(text: str) -> date | None:
    """A year-month-day from 2000 to 9998 (a date input's value), or None."""
    if not DAY.fullmatch(text):
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError:
        return None
    return day if FIRST_DAY <= day <= LAST_DAY else None


def parse_query(params: Mapping[str, str]) -> AuditQuery:
    """The filters of the audit log's address. An action or person that is not one is ignored; a day that is not
    one is refused with a message (InvalidInput), never guessed."""
    action = params.get("action", "")
    person = params.get("person", "")
    problems = {}
    days: dict[str, date | None] = {}
    for name in ("since", "until"):
        text = params.get(name, "").strip()
        days[name] = _day(text) if text else None
        if text and days[name] is None:
            problems[name] = N_("Give the day as year-month-day, such as 2026-12-06.")
    if not problems and days["since"] and days["until"] and days["since"] > days["until"]:
        problems["until"] = N_("The last day comes before the first day.")
    if problems:
        raise InvalidInput(problems)

    def sequence(name: str) -> int | None:
        text = params.get(name, "")
        return int(text) if text.isascii() and text.isdigit() and len(text) < 10 else None

    return AuditQuery(action=action if action in ACTIONS else "", person=person if PERSON.fullmatch(person) else "",
                      since=days["since"], until=days["until"], older_than=sequence("older_than"),
                      newer_than=None if sequence("older_than") is not None else sequence("newer_than"))


@dataclass(frozen=True)
class AuditPage:
    rows: tuple[EntryWords, ...]
    entries: int  # in the whole chain
    chain_ok: bool
    chain_problem: str | None
    query: AuditQuery
    # Where the next links start: the newest shown entry (for newer ones) and the oldest (for older ones),
    # None when there is nothing that way.
    newer_than: int | None
    older_than: int | None
    people: tuple[tuple[str, Text], ...] = field(default=())  # every actor of the log, for the person filter


def _day_range(query: AuditQuery, zone: ZoneInfo) -> list[ColumnElement[bool]]:
    """The conditions of a day range: exact times between the city's midnights (as stored UTC text, which sorts
    by time), day-only entries by their day."""
    recorded = col(AuditEntry.recorded_at)
    exact, day_only = [func.length(recorded) > 10], [func.length(recorded) <= 10]
    if query.since:
        start = datetime.combine(query.since, time(), zone).astimezone(UTC)
        exact.append(recorded >= start.isoformat())
        day_only.append(recorded >= query.since.isoformat())
    if query.until:
        end = datetime.combine(query.until + timedelta(days=1), time(), zone).astimezone(UTC)
        exact.append(recorded < end.isoformat())
        day_only.append(recorded <= query.until.isoformat())
    return [or_(and_(*exact), and_(*day_only))] if query.since or query.until else []


def audit_page(db: Database, context: ReviewerContext, query: AuditQuery, *, zone: ZoneInfo,
               clock: Clock = utc_now) -> AuditPage:
    """A page of the log, ``zone`` being the city's (its days bound a day range)."""
    if context.role not in AUDIT_ROLES:
        raise NotFound("this role does not read the audit log")
    conditions: list[Any] = [AuditEntry.city_id == context.city_id, *_day_range(query, zone)]
    if query.action:
        conditions.append(AuditEntry.action == query.action)
    if query.person:
        conditions.append(AuditEntry.actor == query.person)
    sequence = col(AuditEntry.sequence)
    with db.read() as session:
        city = session.get(City, context.city_id)
        assert city is not None
        verdict, entries = audit.verify_city(session, city), city.audit_head_sequence
        if query.newer_than is not None:  # the page just newer than an entry: read upwards, show newest first
            found = list(session.exec(select(AuditEntry).where(*conditions, sequence > query.newer_than)
                                      .order_by(sequence).limit(ENTRIES_PER_PAGE + 1)).all())
            more_newer, found = len(found) > ENTRIES_PER_PAGE, found[:ENTRIES_PER_PAGE][::-1]
            more_older = bool(found)  # the page this came from
        else:
            upper = [sequence < query.older_than] if query.older_than is not None else []
            found = list(session.exec(select(AuditEntry).where(*conditions, *upper).order_by(sequence.desc())
                                      .limit(ENTRIES_PER_PAGE + 1)).all())
            more_older, found = len(found) > ENTRIES_PER_PAGE, found[:ENTRIES_PER_PAGE]
            more_newer = query.older_than is not None
        actors = session.exec(select(AuditEntry.actor).where(AuditEntry.city_id == context.city_id)
                              .distinct()).all()
        rows = describe(session, context.city_id, found)
        names = read_names(session, context.city_id, [], [{"actor": actor} for actor in actors])
    with db.write() as session:
        locked = audit.lock_city(session, context.city_id)
        audit.append(session, locked, actor=context.actor, action=AuditAction.AUDIT_VIEWED, when=clock(),
                     detail=query.detail() or None)
    people = tuple(sorted(((actor, names.person(actor)) for actor in actors if PERSON.fullmatch(actor)),
                          key=lambda pair: (pair[1].words, pair[1].text.casefold())))
    return AuditPage(rows, entries, verdict.ok, verdict.problem, query,
                     newer_than=found[0].sequence if found and more_newer else None,
                     older_than=found[-1].sequence if found and more_older else None, people=people)
