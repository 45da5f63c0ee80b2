"""How far each reviewer has read each case, so the inbox can say "2 new messages from the reporter".

Opening a case (intake.casework.cases.read_case) records the position of the last item shown, in the same
transaction as the audited read. The inbox then counts, for the rows of one page only, the reporter's messages
at a later position: one indexed query over at most PAGE_SIZE cases, whatever the city's size. Positions and not
times, because items carry only a day (docs/design.md#case-handling).
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import and_, func
from sqlalchemy import select as sa_select
from sqlmodel import Session

from intake.items import KIND_REPORTER_MESSAGE
from intake.models import CaseItem, CaseReading


def record_reading(session: Session, reviewer_id: int, case_id: str, position: int) -> int:
    """Remember that ``reviewer_id`` has been shown ``case_id`` up to item ``position`` (never moves back), and
    return how far they had read before (0: never opened), so the case page can mark what is new to them.
    Called under the city lock (intake.audit.lock_city), so two openings by the same reviewer cannot race."""
    reading = session.get(CaseReading, (reviewer_id, case_id))
    if reading is None:
        session.add(CaseReading(reviewer_id=reviewer_id, case_id=case_id, seen_position=position))
        return 0
    before = reading.seen_position
    if position > before:
        reading.seen_position = position
        session.add(reading)
    return before


def new_reporter_messages(session: Session, reviewer_id: int, case_ids: Iterable[str]) -> dict[str, int]:
    """For each case, how many messages the reporter added after the reviewer last opened it (a case never opened
    counts every message after the report). Cases with none are left out."""
    wanted = list(case_ids)
    if not wanted:
        return {}
    readings, items = CaseReading.__table__, CaseItem.__table__  # type: ignore[attr-defined]
    reading, item = readings.c, items.c
    rows = session.connection().execute(
        sa_select(item.case_id, func.count())
        .select_from(items.outerjoin(readings, and_(reading.case_id == item.case_id,
                                                   reading.reviewer_id == reviewer_id)))
        .where(item.case_id.in_(wanted), item.kind == KIND_REPORTER_MESSAGE,
               item.position > func.coalesce(reading.seen_position, 0))
        .group_by(item.case_id)).all()
    return {case_id: int(count) for case_id, count in rows}
