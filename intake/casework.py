"""The reviewer's side: the inbox, reading a case (audited), replying to the reporter."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlmodel import col, func, select

from intake import audit
from intake.clock import Clock, utc_now
from intake.config import IntakeConfig
from intake.db import Database
from intake.errors import InvalidInput, NotFound
from intake.items import (
    AUTHOR_REVIEWER,
    KIND_REVIEWER_REPLY,
    items_of,
    new_id,
    next_position,
    sealed_text_item,
    text_for_city,
)
from intake.models import Case
from intake.recordings import KIND_RECORDING
from intake.reviewer_sessions import ReviewerContext
from intake.reviewers import CONTENT_ROLES
from intake.routing import can_read, readable_by
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
    # Recordings (issue 5) have no text: they stream from /review/cases/{case_id}/recordings/{item_id}.
    item_id: str = ""
    is_recording: bool = False


@dataclass(frozen=True)
class CaseView:
    summary: CaseSummary
    items: tuple[CaseItemView, ...]


def _summary(case: Case) -> CaseSummary:
    return CaseSummary(case.id, case.number, case.category, case.channel, case.status, case.received_on)


def list_cases(db: Database, context: ReviewerContext, *, page: int = 1) -> CasePage:
    """One page of the cases this reviewer may read (intake.routing.readable_by), newest first. Content-free,
    so nothing is decrypted."""
    if context.role not in CONTENT_ROLES:
        raise NotFound("this role has no inbox")
    readable = readable_by(context.reviewer_id, context.city_id)
    with db.read() as session:
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
    """The case if this reviewer may read it. Otherwise the attempt is audited and NotFound raised: a reviewer
    of another city cannot tell a case that exists from one that does not."""
    with db.read() as session:
        case = session.get(Case, case_id) if len(case_id) <= 64 else None
        allowed = (case is not None and context.role in CONTENT_ROLES and context.city_private_key is not None
                   and can_read(session, context.reviewer_id, context.city_id, case_id))
    if allowed:
        assert case is not None
        return case
    with db.write() as session:
        # Recorded in the chain of the city that owns the case, whose auditors must see probes of it.
        city = audit.lock_city(session, case.city_id if case is not None else context.city_id)
        audit.append(session, city, actor=context.actor, action="case.access_denied", when=clock(),
                     subject=case_id[:64], detail={"from_city": context.city_slug})
    raise NotFound("no such case")


def read_case(db: Database, context: ReviewerContext, case_id: str, *, clock: Clock = utc_now) -> CaseView:
    case = _case_for(db, context, case_id, clock=clock)
    assert context.city_private_key is not None
    with db.write() as session:
        rows = items_of(session, case.id)
        city = audit.lock_city(session, case.city_id)
        audit.append(session, city, actor=context.actor, action="case.read", when=clock(), subject=case.id)
    items = tuple(
        CaseItemView(row.kind, row.author, row.created_on, row.visible_to_reporter,
                     text_for_city(row, context.city_private_key) if row.ciphertext is not None else "",
                     item_id=row.id, is_recording=row.kind == KIND_RECORDING)
        for row in rows
    )
    return CaseView(_summary(case), items)


def reply_to_reporter(
    db: Database, config: IntakeConfig, context: ReviewerContext, case_id: str, text: str, *,
    clock: Clock = utc_now,
) -> None:
    """A reply the reporter will read with their report key: sealed to the city and to the reporter."""
    case = _case_for(db, context, case_id, clock=clock)
    text = clean_text(text)
    if (problem := text_problem(text, max_chars=config.max_message_chars)) is not None:
        raise InvalidInput({"reply": problem})
    with db.write() as session:
        city = audit.lock_city(session, case.city_id)
        session.add(sealed_text_item(
            case, item_id=new_id(), kind=KIND_REVIEWER_REPLY, author=AUTHOR_REVIEWER, text=text,
            city_public_key=city.public_key, position=next_position(session, case.id),
            created_on=clock().date(), for_reporter=True, author_reviewer_id=context.reviewer_id,
        ))
        audit.append(session, city, actor=context.actor, action="case.replied", when=clock(), subject=case.id)
