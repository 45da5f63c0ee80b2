"""Internal notes: what reviewers write for each other about a case. Sealed to the city only (no data key for
the reporter exists), so the reporter can never read one, whatever a bug elsewhere would show them."""

from __future__ import annotations

from intake import audit
from intake.accounts.sessions import ReviewerContext
from intake.audit.actions import AuditAction
from intake.casework.cases import case_for_reviewer
from intake.clock import Clock, utc_now
from intake.config import IntakeConfig
from intake.db import Database
from intake.errors import InvalidInput
from intake.items import AUTHOR_REVIEWER, KIND_INTERNAL_NOTE, new_id, next_position, sealed_text_item
from intake.text import clean_text, text_problem


def add_internal_note(db: Database, config: IntakeConfig, context: ReviewerContext, case_id: str, text: str, *,
                      clock: Clock = utc_now) -> None:
    case = case_for_reviewer(db, context, case_id, clock=clock)
    text = clean_text(text)
    if (problem := text_problem(text, max_chars=config.max_message_chars)) is not None:
        raise InvalidInput({"note": problem})
    with db.write() as session:
        city = audit.lock_city(session, case.city_id)
        session.add(sealed_text_item(
            case, item_id=new_id(), kind=KIND_INTERNAL_NOTE, author=AUTHOR_REVIEWER, text=text,
            city_public_key=city.public_key, position=next_position(session, case.id), created_on=clock().date(),
            for_reporter=False, author_reviewer_id=context.reviewer_id))
        audit.append(session, city, actor=context.actor,
                     action=AuditAction.CASE_NOTE_ADDED, when=clock(), subject=case.id)
