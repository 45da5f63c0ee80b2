"""Moving a case through ISO 37002's stages: received -> assessing -> investigating -> concluded.

Concluding needs an outcome (substantiated, unsubstantiated, referred, not actionable); reopening a concluded
case needs a reason, kept as an internal note sealed to the city. A case may step back between the open
stages (an investigation can return to assessment) without a reason. Every change is audited; an invalid one
changes nothing and says why.
"""

from __future__ import annotations

from sqlmodel import select

from intake import audit
from intake.accounts.sessions import ReviewerContext
from intake.audit.actions import AuditAction
from intake.case_status import CONCLUDED, OUTCOMES, STATUSES
from intake.casework.cases import case_for_reviewer
from intake.casework.deadlines import refresh_due
from intake.clock import Clock, utc_now
from intake.config import IntakeConfig
from intake.db import Database
from intake.errors import InvalidInput
from intake.items import AUTHOR_REVIEWER, KIND_INTERNAL_NOTE, new_id, next_position, sealed_text_item
from intake.messages import N_
from intake.models import Case
from intake.text import clean_text, text_problem


def change_status(
    db: Database, config: IntakeConfig, context: ReviewerContext, case_id: str, new_status: str, *,
    outcome: str = "", reason: str = "", clock: Clock = utc_now,
) -> None:
    case = case_for_reviewer(db, context, case_id, clock=clock)
    reason = clean_text(reason)
    problems = {}
    if new_status not in STATUSES:
        problems["status"] = N_("Choose one of the statuses listed.")
    elif new_status == case.status:
        problems["status"] = N_("The case already has that status.")
    if new_status == CONCLUDED and outcome not in OUTCOMES:
        problems["outcome"] = N_("Choose the outcome: a case cannot be concluded without one.")
    reopening = case.status == CONCLUDED and new_status != CONCLUDED and new_status in STATUSES
    if reopening and (problem := text_problem(reason, max_chars=config.max_message_chars)) is not None:
        problems["reason"] = (N_("Give the reason for reopening the case.") if not reason
                              else problem)
    if problems:
        raise InvalidInput(problems)
    today = clock().date()
    with db.write() as session:
        city = audit.lock_city(session, case.city_id)
        row = session.exec(select(Case).where(Case.id == case.id).with_for_update()).one()
        previous = row.status
        row.status = new_status
        if new_status == CONCLUDED:
            row.outcome = outcome
            row.concluded_on = today
            # The reporter sees the conclusion on their page: that is their feedback (EU 2019/1937 art. 9(1)(f)).
            row.acknowledged_on = row.acknowledged_on or today
            row.feedback_given_on = row.feedback_given_on or today
        elif reopening:
            row.outcome, row.concluded_on = None, None
            session.add(sealed_text_item(
                row, item_id=new_id(), kind=KIND_INTERNAL_NOTE, author=AUTHOR_REVIEWER,
                # The reason alone: the statuses are the timeline's, in the reader's words and language (a note
                # is sealed once, in no language).
                text=reason, city_public_key=city.public_key,
                position=next_position(session, row.id), created_on=today, for_reporter=False,
                author_reviewer_id=context.reviewer_id))
        refresh_due(row)
        session.add(row)
        audit.append(session, city, actor=context.actor, action=AuditAction.CASE_STATUS_CHANGED, when=clock(),
                     subject=row.id, detail={"from": previous, "to": new_status,
                                             "outcome": outcome if new_status == CONCLUDED else None,
                                             "reopened": 1 if reopening else None})
