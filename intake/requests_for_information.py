"""A reviewer asking the reporter for more information (issue 3), and whether a question is waiting.

A question is an item of its own kind, sealed to the city and to the reporter like a reply. The reporter's
follow-up page says "the reviewer needs more information" while the latest question has no answer: no message
from the reporter has come after it. The console (issue 4) calls :func:`ask_reporter`.
"""

from __future__ import annotations

from collections.abc import Iterable

from intake import audit
from intake.case_access import readable_case
from intake.clock import Clock, utc_now
from intake.config import IntakeConfig
from intake.db import Database
from intake.errors import InvalidInput
from intake.items import AUTHOR_REVIEWER, KIND_REPORTER_MESSAGE, new_id, next_position, sealed_text_item
from intake.models import CaseItem
from intake.reviewer_sessions import ReviewerContext
from intake.text import clean_text, text_problem

KIND_REVIEWER_QUESTION = "reviewer_question"


def ask_reporter(
    db: Database, config: IntakeConfig, context: ReviewerContext, case_id: str, question: str, *,
    clock: Clock = utc_now,
) -> None:
    case = readable_case(db, context, case_id, clock=clock)
    question = clean_text(question)
    if (problem := text_problem(question, max_chars=config.max_message_chars)) is not None:
        raise InvalidInput({"question": problem})
    with db.write() as session:
        city = audit.lock_city(session, case.city_id)
        session.add(sealed_text_item(
            case, item_id=new_id(), kind=KIND_REVIEWER_QUESTION, author=AUTHOR_REVIEWER, text=question,
            city_public_key=city.public_key, position=next_position(session, case.id),
            created_on=clock().date(), for_reporter=True, author_reviewer_id=context.reviewer_id,
        ))
        audit.append(session, city, actor=context.actor, action="case.information_requested", when=clock(),
                     subject=case.id)


def awaiting_answer(rows: Iterable[CaseItem]) -> bool:
    """True while the latest question from a reviewer has no message from the reporter after it."""
    last_question = last_message = 0
    for row in rows:
        if row.kind == KIND_REVIEWER_QUESTION:
            last_question = max(last_question, row.position)
        elif row.kind == KIND_REPORTER_MESSAGE:
            last_message = max(last_message, row.position)
    return last_question > last_message
