"""Everything the console's case page shows, in one service call: the decrypted case (audited as a read),
its deadlines and other facts, its timeline, and who it can be assigned to."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlmodel import Session, col, select

from intake.accounts.sessions import ReviewerContext
from intake.audit.timeline import case_timeline_words
from intake.audit.wording import EntryWords
from intake.casework.cases import CaseView, case_for_reviewer, read_case
from intake.casework.deadlines import is_due_soon, is_overdue
from intake.clock import Clock, utc_now
from intake.db import Database
from intake.models import Case, GroupMember, Reviewer, ReviewerGroup
from intake.routing import effective_group_id, excluded_reviewers


@dataclass(frozen=True)
class CaseFacts:
    outcome: str | None
    acknowledge_due_on: date
    feedback_due_on: date
    acknowledged_on: date | None
    feedback_given_on: date | None
    concluded_on: date | None
    next_due_on: date | None
    overdue: bool
    assignee_id: int | None
    group_name: str | None
    closed_record_basis: str | None
    closed_record_on: date | None
    urgent: bool = False
    # Days until the next deadline (negative: overdue by that many); None: nothing due.
    days_left: int | None = None

    @property
    def due_soon(self) -> bool:
        return is_due_soon(self.days_left)


@dataclass(frozen=True)
class CasePageData:
    view: CaseView
    facts: CaseFacts
    timeline: tuple[EntryWords, ...]  # in words (intake.audit.wording)
    assignable: tuple[tuple[int, str], ...]


def case_readers(session: Session, routing_key: bytes, case: Case) -> tuple[tuple[int, str], ...]:
    """(id, name) of every active reviewer who may read the case: the members of the group that reads it (the
    alternate group for a case that fell back there), less those excluded from it (intake.routing, whose
    exceptions are sealed under ``routing_key``). Also who it can be assigned to."""
    group_id = effective_group_id(session, routing_key, case)
    excluded = excluded_reviewers(session, routing_key, case)
    people = session.exec(
        select(Reviewer.id, Reviewer.display_name)
        .join(GroupMember, col(GroupMember.reviewer_id) == col(Reviewer.id))
        .where(GroupMember.group_id == group_id, col(Reviewer.active))
        .order_by(col(Reviewer.display_name))).all()
    return tuple((rid, name) for rid, name in people if rid is not None and rid not in excluded)


def case_facts(session: Session, routing_key: bytes, case: Case, today: date) -> CaseFacts:
    group_id = effective_group_id(session, routing_key, case)
    group = session.get(ReviewerGroup, group_id) if group_id is not None else None
    return CaseFacts(case.outcome, case.acknowledge_due_on, case.feedback_due_on, case.acknowledged_on,
                     case.feedback_given_on, case.concluded_on, case.next_due_on, is_overdue(case, today),
                     case.assignee_id, group.name if group else None, case.closed_record_basis,
                     case.closed_record_on, case.urgent,
                     (case.next_due_on - today).days if case.next_due_on is not None else None)


def open_case_page(db: Database, context: ReviewerContext, case_id: str, *, clock: Clock = utc_now) -> CasePageData:
    view = read_case(db, context, case_id, clock=clock)
    case = case_for_reviewer(db, context, case_id, clock=clock)
    with db.read() as session:
        facts = case_facts(session, context.routing_key, case, clock().date())
        people = case_readers(session, context.routing_key, case)
    return CasePageData(view, facts, case_timeline_words(db, context, case_id, clock=clock), people)
