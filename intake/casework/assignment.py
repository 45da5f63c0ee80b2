"""Assigning a case to one reviewer who can read it (intake.routing decides who can)."""

from __future__ import annotations

from sqlmodel import select

from intake import audit
from intake.accounts.sessions import ReviewerContext
from intake.audit.actions import AuditAction
from intake.casework.cases import case_for_reviewer
from intake.clock import Clock, utc_now
from intake.db import Database
from intake.errors import InvalidInput
from intake.messages import N_
from intake.models import Case
from intake.routing import can_read


def assign_case(db: Database, context: ReviewerContext, case_id: str, assignee_id: int | None, *,
                clock: Clock = utc_now) -> None:
    """``assignee_id`` None leaves the case unassigned. The assignee must be able to read the case: an
    excluded reviewer, or one outside the case's group, cannot be given it."""
    case = case_for_reviewer(db, context, case_id, clock=clock)
    with db.write() as session:
        if assignee_id is not None and not can_read(session, context.routing_key, assignee_id, case.city_id,
                                                 case.id):
            raise InvalidInput({"assignee": N_("That reviewer cannot read this case, so it cannot be theirs.")})
        city = audit.lock_city(session, case.city_id)
        row = session.exec(select(Case).where(Case.id == case.id).with_for_update()).one()
        if row.assignee_id == assignee_id:
            return
        row.assignee_id = assignee_id
        session.add(row)
        audit.append(session, city, actor=context.actor, action=AuditAction.CASE_ASSIGNED, when=clock(), subject=row.id,
                     detail={"assignee": audit.reviewer_actor(assignee_id) if assignee_id is not None else None})
