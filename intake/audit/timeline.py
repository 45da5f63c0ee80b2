"""A case's timeline, read from its city's audit chain: what happened to it, when, and by whom.

Only facts the chain already holds (no content): submission, routing, status changes, assignment, replies,
notes, redactions, closure, exports. Reads are left to the audit viewer, where they are the point.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlmodel import col, select

from intake.accounts.sessions import ReviewerContext
from intake.audit.actions import AuditAction
from intake.casework.cases import case_for_reviewer
from intake.clock import Clock, utc_now
from intake.db import Database
from intake.models import AuditEntry, Reviewer

QUIET_ACTIONS = frozenset({AuditAction.CASE_READ, AuditAction.CASE_ITEM_OPENED})


@dataclass(frozen=True)
class TimelineEvent:
    recorded_at: str
    actor: str  # "reporter", "phone caller", "system" or a reviewer's name
    action: str
    detail: dict[str, object]


def actor_names(db: Database, actors: set[str]) -> dict[str, str]:
    ids = {int(actor.split(":", 1)[1]) for actor in actors if actor.startswith("reviewer:")}
    with db.read() as session:
        rows = session.exec(select(Reviewer.id, Reviewer.display_name).where(col(Reviewer.id).in_(ids))).all()
    return {f"reviewer:{rid}": name for rid, name in rows}


def case_timeline(db: Database, context: ReviewerContext, case_id: str, *,
                  clock: Clock = utc_now) -> tuple[TimelineEvent, ...]:
    case = case_for_reviewer(db, context, case_id, clock=clock)
    with db.read() as session:
        entries = session.exec(
            select(AuditEntry).where(AuditEntry.city_id == case.city_id, AuditEntry.subject == case.id)
            .order_by(col(AuditEntry.sequence))).all()
    entries = [entry for entry in entries if entry.action not in QUIET_ACTIONS]
    names = actor_names(db, {entry.actor for entry in entries})
    return tuple(TimelineEvent(entry.recorded_at, names.get(entry.actor, entry.actor), entry.action,
                               json.loads(entry.detail) if entry.detail else {}) for entry in entries)
