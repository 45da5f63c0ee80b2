"""Release slots (docs/design.md#release-slots): what a reporter causes reaches reviewers at fixed times, not as
it arrives.

A new case is stored whole (sealed, routed) but waits, invisible to every reviewer, for the next slot: it has no
group yet and a random negative placeholder for a number. A reporter's message, file or phone recording waits the
same way, with a placeholder position past every real one. The audit entries a reporter or caller caused (and the
routing entry written with them) are held, each with its day. At the release, in one transaction per city under
its lock, the waiting cases get their groups and numbers in random order, the waiting items their positions
after everything already there, and the held entries join the chain in random order of their subjects, each
dated to its day. So neither watching the inbox nor the order of the audit chain places a report closer than the
release interval, and a case number says nothing of arrival order within a slot.

A case the reporter marks urgent is released at once, with everything it causes later. Reports staff enter for
someone are released at once too: the time they are entered is the reviewer's, not the reporter's.
"""

from __future__ import annotations

import functools
import json
import secrets
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import bindparam
from sqlmodel import Session, col, delete, func, select

from crypto.audit_chain import AuditValue
from intake import audit
from intake.audit.actions import checked
from intake.db import Database, insert_into, insert_on_conflict, run_on_driver
from intake.items import new_id
from intake.models import Case, CaseItem, City, HeldAuditEntry, ReleaseQueue

# Waiting items sit past every real position; their final positions are given at the release.
PLACEHOLDER_POSITION = 1_000_000_000
_RANDOM = secrets.SystemRandom()


def now_if_urgent(session: Session, city: City, case: Case, *, at_once: bool = False) -> None:
    """What an urgent case's reporter just caused goes to reviewers at once, not at the next slot (as everything
    does with ``at_once``: the test suite's setting, intake.config.IntakeConfig.release_at_once)."""
    if (case.urgent or at_once) and case.released:
        session.flush()
        release(session, city, case_ids={case.id})


def slot_start(now: datetime, interval_seconds: int) -> datetime:
    """The start of the slot ``now`` is in: slots begin every ``interval_seconds`` from midnight UTC."""
    midnight = datetime(now.year, now.month, now.day, tzinfo=UTC)
    elapsed = int((now.astimezone(UTC) - midnight).total_seconds())
    return midnight + timedelta(seconds=elapsed - elapsed % interval_seconds)


def next_slot(now: datetime, interval_seconds: int) -> datetime:
    return slot_start(now, interval_seconds) + timedelta(seconds=interval_seconds)


def placeholder_number(session: Session, city_id: int) -> int:
    """A random negative number for a waiting case, unused in the city (the real one is given at the release)."""
    while True:
        number = _random_placeholder()
        if session.connection().execute(_number_taken(), {"city_id": city_id, "number": number}).first() is None:
            return number


def insert_waiting_case(session: Session, case: dict[str, object]) -> None:
    """Insert the row of a case that waits for its release slot (``case``: its column values), numbered with a
    random negative number unused in its city, as :func:`placeholder_number` gives. Whether a number is free is
    decided by the insert itself, on the city's unique (city, number) constraint, instead of a look-up before it:
    a report's intake inserts its case this way under the city lock, one statement fewer (`hotline bench intake`).
    ``case["number"]`` is the number it got."""
    while run_on_driver(session, *waiting_case_insert(session.get_bind().dialect.name, case)).rowcount != 1:
        pass


def waiting_case_insert(dialect: str, case: dict[str, object]) -> tuple[Any, dict[str, object]]:
    """The statement and values of one try of :func:`insert_waiting_case` (``case["number"]`` set to a new random
    number), for intake.db.run_together: a report's intake sends it with the other statements under its city
    lock, and if it inserted nothing (a row count of 0: the number was taken) inserts the case again with
    :func:`insert_waiting_case`."""
    case["number"] = _random_placeholder()
    return _insert_unless_number_taken(dialect), case


def _random_placeholder() -> int:
    return -1 - secrets.randbelow(2**31 - 2)


@functools.cache
def _insert_unless_number_taken(dialect: str) -> Any:
    # INSERT ... ON CONFLICT (city_id, number) DO NOTHING, which SQLite and PostgreSQL both have. Only that
    # constraint is a conflict that skips the row; a clash on anything else is still an error. It runs on the
    # driver (intake.db.run_on_driver), whose cursor gives the count of rows inserted.
    return insert_on_conflict(dialect, Case.__table__).on_conflict_do_nothing(  # type: ignore[attr-defined]
        index_elements=["city_id", "number"])


@functools.cache
def _number_taken() -> Any:
    # Built once (bench intake: building a statement costs more than running it); a constant, no state.
    return select(Case.id).where(Case.city_id == bindparam("city_id"), Case.number == bindparam("number"))


def placeholder_position(session: Session, case_id: str) -> int:
    """The next placeholder position of a case's waiting items (they keep their order among themselves)."""
    current = session.exec(select(func.max(CaseItem.position)).where(
        CaseItem.case_id == case_id, col(CaseItem.position) >= PLACEHOLDER_POSITION)).one()
    return (current or PLACEHOLDER_POSITION - 1) + 1


def hold_case(session: Session, city_id: int, case_id: str, group_id: int) -> None:
    # Inserted through Core (no unit of work): a report's intake runs this under the city lock (bench intake).
    run_on_driver(session, insert_into(ReleaseQueue.__table__),  # type: ignore[attr-defined]
                  {"id": new_id(), "city_id": city_id, "case_id": case_id, "item_id": None, "group_id": group_id})


def hold_item(session: Session, city_id: int, case_id: str, item_id: str) -> None:
    session.add(ReleaseQueue(id=new_id(), city_id=city_id, case_id=case_id, item_id=item_id))


@dataclass(frozen=True)
class HeldEntry:
    """An audit entry to hold: who did what. Its subject and day are those of the call that holds it."""

    actor: str
    action: str
    detail: dict[str, AuditValue] | None = None


def hold_entry(session: Session, city_id: int, *, actor: str, action: str, day: date, subject: str | None,
               detail: dict[str, AuditValue] | None = None) -> None:
    """An audit entry to append at the release, recorded as ``day``. In the caller's transaction."""
    ordinal = session.exec(select(func.count()).select_from(HeldAuditEntry).where(
        HeldAuditEntry.city_id == city_id, HeldAuditEntry.subject == subject)).one()
    _insert_held(session, city_id, subject, day, [HeldEntry(actor, action, detail)], first_ordinal=ordinal + 1)


def hold_entries_of_new_subject(session: Session, city_id: int, *, subject: str, day: date,
                                entries: Sequence[HeldEntry]) -> None:
    """The first held entries of a subject made in this very transaction (a new case): none can be held before
    them, so their ordinals start at 1 without counting (the count scans every entry the city holds until the
    release, under the city lock; bench intake)."""
    _insert_held(session, city_id, subject, day, entries, first_ordinal=1)


def _insert_held(session: Session, city_id: int, subject: str | None, day: date, entries: Sequence[HeldEntry], *,
                 first_ordinal: int) -> None:
    run_on_driver(session, insert_into(HeldAuditEntry.__table__), [  # type: ignore[attr-defined]
        {"id": new_id(), "city_id": city_id, "subject": subject, "ordinal": first_ordinal + offset,
         "recorded_on": day, "actor": entry.actor, "action": checked(entry.action),
         "detail": json.dumps(entry.detail, sort_keys=True) if entry.detail else None}
        for offset, entry in enumerate(entries)])


@dataclass(frozen=True)
class Released:
    cases: int
    items: int
    entries: int


def release(session: Session, city: City, *, case_ids: Collection[str] | None = None) -> Released:
    """Release what waits in ``city`` (locked by the caller): everything, or only what concerns ``case_ids`` (an
    urgent case, released at once)."""
    assert city.id is not None
    queued = session.exec(select(ReleaseQueue).where(ReleaseQueue.city_id == city.id)).all()
    held = session.exec(select(HeldAuditEntry).where(HeldAuditEntry.city_id == city.id)).all()
    if case_ids is not None:
        queued = [row for row in queued if row.case_id in case_ids]
        held = [row for row in held if row.subject in case_ids]
    waiting_cases = [row for row in queued if row.item_id is None]
    _RANDOM.shuffle(waiting_cases)  # numbers in random order within a release
    for row in waiting_cases:
        case = session.get(Case, row.case_id)
        if case is None:
            continue
        city.last_case_number += 1
        case.number, case.group_id, case.released = city.last_case_number, row.group_id, True
        session.add(case)
    session.add(city)
    waiting_items = [session.get(CaseItem, row.item_id) for row in queued if row.item_id is not None]
    items = sorted((item for item in waiting_items if item is not None), key=lambda item: (item.case_id,
                                                                                              item.position))
    if items:
        session.flush()  # the cases' numbers first: positions below are per case
    last: dict[str, int] = {}
    for item in items:
        if item.case_id not in last:
            last[item.case_id] = session.exec(select(func.max(CaseItem.position)).where(
                CaseItem.case_id == item.case_id, col(CaseItem.position) < PLACEHOLDER_POSITION)).one() or 0
        last[item.case_id] += 1
        item.position, item.released = last[item.case_id], True
        session.add(item)
        session.flush()  # one at a time: (case, position) is unique
    by_subject: dict[str | None, list[HeldAuditEntry]] = {}
    for entry in held:
        by_subject.setdefault(entry.subject, []).append(entry)
    subjects = list(by_subject)
    _RANDOM.shuffle(subjects)  # the chain's order within a release says nothing of arrival
    appended = 0
    for subject in subjects:
        for entry in sorted(by_subject[subject], key=lambda held_entry: held_entry.ordinal):
            audit.append(session, city, actor=entry.actor, action=entry.action, when=entry.recorded_on,
                         subject=entry.subject, detail=json.loads(entry.detail) if entry.detail else None)
            appended += 1
    if queued:
        session.exec(delete(ReleaseQueue).where(col(ReleaseQueue.id).in_([row.id for row in queued])))
    if held:
        session.exec(delete(HeldAuditEntry).where(col(HeldAuditEntry.id).in_([entry.id for entry in held])))
    return Released(len(waiting_cases), len(items), appended)


def release_due(db: Database) -> Released:
    """Release everything waiting in every city (the job run at each slot, intake.operations.releases). What
    waits is released whenever this runs: no row holds a time to compare with."""
    with db.read() as session:
        city_ids = set(session.exec(select(ReleaseQueue.city_id)).all()) | set(
            session.exec(select(HeldAuditEntry.city_id)).all())
    cases = items = entries = 0
    for city_id in sorted(city_ids):
        with db.write() as session:
            released = release(session, audit.lock_city(session, city_id))
        cases, items, entries = cases + released.cases, items + released.items, entries + released.entries
    return Released(cases, items, entries)


def waiting(db: Database) -> int:
    """How many cases and items wait for a release (for /metrics)."""
    with db.read() as session:
        return int(session.exec(select(func.count()).select_from(ReleaseQueue)).one())
