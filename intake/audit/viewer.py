"""Reading a city's audit log in the console (auditors and admins), newest first, a page at a time, with the
chain verified so the page says whether the log is intact (docs/design.md#audit-log). Entries hold no content."""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlmodel import col, select

from intake.accounts.reviewers import ROLE_ADMIN, ROLE_AUDITOR
from intake.accounts.sessions import ReviewerContext
from intake.audit import chain as audit
from intake.audit.actions import AuditAction
from intake.audit.timeline import actor_names
from intake.clock import Clock, utc_now
from intake.db import Database
from intake.errors import NotFound
from intake.models import AuditEntry, City

AUDIT_ROLES = (ROLE_AUDITOR, ROLE_ADMIN)
ENTRIES_PER_PAGE = 100


@dataclass(frozen=True)
class AuditRow:
    sequence: int
    recorded_at: str
    actor: str
    action: str
    subject: str | None
    detail: dict[str, object]


@dataclass(frozen=True)
class AuditPage:
    rows: tuple[AuditRow, ...]
    page: int
    pages: int
    entries: int
    chain_ok: bool
    chain_problem: str | None


def audit_page(db: Database, context: ReviewerContext, page: int = 1, *, action: str = "",
               clock: Clock = utc_now) -> AuditPage:
    if context.role not in AUDIT_ROLES:
        raise NotFound("this role does not read the audit log")
    with db.read() as session:
        city = session.get(City, context.city_id)
        assert city is not None
        verdict = audit.verify_city(session, city)
        total = city.audit_head_sequence
        pages = max(1, -(-total // ENTRIES_PER_PAGE))
        page = min(max(1, page), pages)
        top = total - (page - 1) * ENTRIES_PER_PAGE
        query = select(AuditEntry).where(AuditEntry.city_id == context.city_id, AuditEntry.sequence <= top,
                                         AuditEntry.sequence > top - ENTRIES_PER_PAGE)
        if action:
            query = query.where(AuditEntry.action == action[:64])
        entries = session.exec(query.order_by(col(AuditEntry.sequence).desc())).all()
    with db.write() as session:
        locked = audit.lock_city(session, context.city_id)
        audit.append(session, locked, actor=context.actor, action=AuditAction.AUDIT_VIEWED, when=clock(),
                     detail={"page": page})
    names = actor_names(db, {e.actor for e in entries} | {e.subject or "" for e in entries})
    rows = tuple(AuditRow(e.sequence, e.recorded_at, names.get(e.actor, e.actor), e.action,
                          names.get(e.subject or "", e.subject), json.loads(e.detail) if e.detail else {})
                 for e in entries)
    return AuditPage(rows, page, pages, total, verdict.ok, verdict.problem)
