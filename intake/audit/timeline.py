"""A case's timeline, read from its city's audit chain: what happened to it, when, and by whom.

Only facts the chain already holds (no content): submission, routing, status changes, assignment, replies,
notes, redactions, closure, exports. Reads are left to the audit viewer, where they are the point.

A refused attempt to open the case is shown without its actor's name: it is most often a reviewer excluded from
the case, and who was excluded is what the reporter's choice (or the report's naming them) must not reveal to
the case's readers or to anyone its PDF reaches (docs/design.md#routing-and-conflict-of-interest).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlmodel import col, select

from intake.accounts.sessions import ReviewerContext
from intake.audit.actions import AuditAction
from intake.audit.wording import HIDDEN_ACTOR, EntryWords, StoredEntry, Text, describe
from intake.casework.cases import case_for_reviewer
from intake.clock import Clock, utc_now
from intake.db import Database
from intake.models import AuditEntry, Reviewer, ReviewerGroup
from intake.routing import excluded_reviewers

QUIET_ACTIONS = frozenset({AuditAction.CASE_READ, AuditAction.CASE_ITEM_OPENED})
WITHOUT_ACCESS = "someone without access"  # the actor of a refused attempt, never named
FORMER_REVIEWER = "former reviewer"  # a reviewer whose account no longer exists: never their id


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
    known = {f"reviewer:{rid}": name for rid, name in rows}
    return {actor: known.get(actor, FORMER_REVIEWER) for actor in actors if actor.startswith("reviewer:")}


def _case_entries(db: Database, context: ReviewerContext, case_id: str,
                  clock: Clock) -> tuple[int, list[AuditEntry], set[str]]:
    """The case's city, its entries worth showing, and the actors who may not be named (its excluded reviewers)."""
    case = case_for_reviewer(db, context, case_id, clock=clock)
    with db.read() as session:
        entries = session.exec(
            select(AuditEntry).where(AuditEntry.city_id == case.city_id, AuditEntry.subject == case.id)
            .order_by(col(AuditEntry.sequence))).all()
        excluded = {f"reviewer:{rid}" for rid in excluded_reviewers(session, context.routing_key, case)}
    return case.city_id, [entry for entry in entries if entry.action not in QUIET_ACTIONS], excluded


def case_timeline_words(db: Database, context: ReviewerContext, case_id: str, *,
                        clock: Clock = utc_now) -> tuple[EntryWords, ...]:
    """The case's timeline in words, for the console (intake.audit.wording)."""
    city_id, entries, excluded = _case_entries(db, context, case_id, clock)

    def hidden(entry: StoredEntry) -> bool:
        return entry.action == AuditAction.CASE_ACCESS_DENIED or entry.actor in excluded

    with db.read() as session:
        return describe(session, city_id, entries,
                        actor_override=lambda entry: Text(HIDDEN_ACTOR) if hidden(entry) else None,
                        detail_override=lambda entry: {} if entry.action == AuditAction.CASE_ACCESS_DENIED else None)


def case_timeline(db: Database, context: ReviewerContext, case_id: str, *,
                  clock: Clock = utc_now) -> tuple[TimelineEvent, ...]:
    """The case's timeline as its PDF export writes it (hotline.exports.case_pdf)."""
    city_id, entries, excluded = _case_entries(db, context, case_id, clock)
    names = actor_names(db, {entry.actor for entry in entries} - excluded)
    with db.read() as session:  # a group by its name, as the console's words give it (intake.audit.wording)
        groups = dict(session.exec(select(ReviewerGroup.slug, ReviewerGroup.name)
                                   .where(ReviewerGroup.city_id == city_id)).all())

    def detail(entry: AuditEntry) -> dict[str, object]:
        if entry.action == AuditAction.CASE_ACCESS_DENIED or not entry.detail:
            return {}
        values: dict[str, object] = json.loads(entry.detail)
        group = values.get("group")
        if isinstance(group, str):
            values["group"] = groups.get(group, group)
        return values

    def actor(entry: AuditEntry) -> str:
        if entry.action == AuditAction.CASE_ACCESS_DENIED or entry.actor in excluded:
            return WITHOUT_ACCESS
        return names.get(entry.actor, entry.actor)

    return tuple(TimelineEvent(entry.recorded_at, actor(entry), entry.action, detail(entry)) for entry in entries)
