"""The reviewer's side: the inbox, reading a case (audited), replying to the reporter."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlmodel import col, func, select

from intake import audit
from intake.accounts.case_access import readable_case
from intake.accounts.reviewers import CONTENT_ROLES
from intake.accounts.sessions import ReviewerContext
from intake.audit.actions import AuditAction
from intake.casework import files as case_files
from intake.casework.deadlines import note_reporter_answered
from intake.casework.readings import record_reading
from intake.clock import Clock, utc_now
from intake.config import IntakeConfig
from intake.db import Database
from intake.errors import InvalidInput, NotFound
from intake.items import (
    AUTHOR_REVIEWER,
    KIND_INFORMATION_REQUEST,
    KIND_REVIEWER_REPLY,
    items_of,
    new_id,
    next_position,
    sealed_text_item,
    text_for_city,
)
from intake.models import Case, CaseItem, Reviewer
from intake.routing import visibility_for
from intake.text import clean_text, text_problem

PAGE_SIZE = 50


@dataclass(frozen=True)
class CaseSummary:
    case_id: str
    number: int
    category: str
    channel: str
    status: str
    received_on: date


@dataclass(frozen=True)
class CasePage:
    cases: tuple[CaseSummary, ...]
    total: int
    page: int
    pages: int


@dataclass(frozen=True)
class CaseItemView:
    kind: str
    author: str
    created_on: date
    visible_to_reporter: bool
    text: str
    # Added for the console; new fields go at the end, with defaults.
    item_id: str = ""
    position: int = 0
    # Files and recordings are streamed (crypto.streaming): their bytes are fetched by their own route.
    streamed: bool = False
    redacted_on: date | None = None
    author_name: str | None = None


@dataclass(frozen=True)
class CaseView:
    summary: CaseSummary
    items: tuple[CaseItemView, ...]
    # Answers, attachments and the identity mark (intake.casework.files).
    files: case_files.CaseFiles = case_files.NO_FILES
    # How far this reviewer had read the case before this opening (0: never): later items are new to them.
    seen_before: int = 0


def _summary(case: Case) -> CaseSummary:
    return CaseSummary(case.id, case.number, case.category, case.channel, case.status, case.received_on)


def list_cases(db: Database, context: ReviewerContext, *, page: int = 1) -> CasePage:
    """One page of the cases this reviewer may read (intake.routing.visibility_for), newest first. Content-free,
    so nothing is decrypted."""
    if context.role not in CONTENT_ROLES:
        raise NotFound("this role has no inbox")
    with db.read(plan_for_each_value=True) as session:  # pages deep in a long list (intake.db)
        readable = visibility_for(session, context.routing_key, context.reviewer_id, context.city_id).condition
        total = session.exec(select(func.count()).select_from(Case).where(readable)).one()
        pages = max(1, -(-total // PAGE_SIZE))
        page = min(max(1, page), pages)
        rows = session.exec(
            select(Case).where(readable)
            .order_by(col(Case.received_on).desc(), col(Case.number).desc())
            .offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)
        ).all()
    return CasePage(tuple(_summary(row) for row in rows), total, page, pages)


def _case_for(db: Database, context: ReviewerContext, case_id: str, *, clock: Clock) -> Case:
    return readable_case(db, context, case_id, clock=clock)


def case_for_reviewer(db: Database, context: ReviewerContext, case_id: str, *, clock: Clock = utc_now) -> Case:
    """The case if this reviewer may read it; otherwise NotFound, and the attempt is audited
    (intake.accounts.case_access, the one rule every case route goes through)."""
    return readable_case(db, context, case_id, clock=clock)


def item_view(row: CaseItem, city_private_key: bytes, names: dict[int, str] | None = None) -> CaseItemView:
    streamed = row.ciphertext is None
    return CaseItemView(
        row.kind, row.author, row.created_on, row.visible_to_reporter,
        "" if streamed else text_for_city(row, city_private_key),
        item_id=row.id, position=row.position, streamed=streamed, redacted_on=row.redacted_on,
        author_name=(names or {}).get(row.author_reviewer_id or 0),
    )


def read_case(db: Database, context: ReviewerContext, case_id: str, *, clock: Clock = utc_now,
              language: str = "en") -> CaseView:
    case = _case_for(db, context, case_id, clock=clock)
    assert context.city_private_key is not None
    with db.write() as session:
        rows = items_of(session, case.id, released_only=True)
        ids = {row.author_reviewer_id for row in rows if row.author_reviewer_id is not None}
        names = {rid: name for rid, name in session.exec(
            select(Reviewer.id, Reviewer.display_name).where(col(Reviewer.id).in_(ids))).all() if rid is not None}
        city = audit.lock_city(session, case.city_id)
        audit.append(session, city, actor=context.actor, action=AuditAction.CASE_READ, when=clock(), subject=case.id)
        seen_before = record_reading(session, context.reviewer_id, case.id,
                                     max(row.position for row in rows)) if rows else 0
    items = tuple(item_view(row, context.city_private_key, names) for row in rows if case_files.shown_as_text(row))
    return CaseView(_summary(case), items, case_files.describe(case, rows, context.city_private_key, language),
                    seen_before)


def reply_to_reporter(
    db: Database, config: IntakeConfig, context: ReviewerContext, case_id: str, text: str, *,
    clock: Clock = utc_now, feedback: bool = False, kind: str = KIND_REVIEWER_REPLY,
) -> None:
    """A reply the reporter will read with their report key: sealed to the city and to the reporter.

    The first one acknowledges the report; one marked ``feedback`` tells the reporter what is being done
    (intake.casework.deadlines). ``kind`` is KIND_INFORMATION_REQUEST for a request for information.
    """
    case = _case_for(db, context, case_id, clock=clock)
    text = clean_text(text)
    field = "request" if kind == KIND_INFORMATION_REQUEST else "reply"
    if (problem := text_problem(text, max_chars=config.max_message_chars)) is not None:
        raise InvalidInput({field: problem})
    if kind not in (KIND_REVIEWER_REPLY, KIND_INFORMATION_REQUEST):
        raise InvalidInput({field: "Unknown kind of message."})
    today = clock().date()
    with db.write() as session:
        city = audit.lock_city(session, case.city_id)
        session.add(sealed_text_item(
            case, item_id=new_id(), kind=kind, author=AUTHOR_REVIEWER, text=text,
            city_public_key=city.public_key, position=next_position(session, case.id),
            created_on=today, for_reporter=True, author_reviewer_id=context.reviewer_id,
        ))
        row = session.get(Case, case.id)
        assert row is not None
        note_reporter_answered(row, today, feedback=feedback)
        session.add(row)
        audit.append(session, city, actor=context.actor,
                     action=AuditAction.CASE_INFORMATION_REQUESTED
                            if kind == KIND_INFORMATION_REQUEST else AuditAction.CASE_REPLIED,
                     when=clock(), subject=case.id, detail={"feedback": 1} if feedback else None)
