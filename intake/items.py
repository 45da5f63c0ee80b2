"""Reading and writing sealed case items, the one place that turns a CaseItem row into text and back."""

from __future__ import annotations

import uuid
from datetime import date

from sqlmodel import Session, col, func, select

from crypto.sealing import ItemContext, open_for_city, open_for_reporter, seal_to_city
from intake.models import Case, CaseItem

# Who wrote an item, as shown to readers.
AUTHOR_REPORTER = "reporter"
AUTHOR_PHONE_CALLER = "phone caller"
AUTHOR_REVIEWER = "reviewer"

KIND_REPORT = "report"
KIND_REPORTER_MESSAGE = "reporter_message"
KIND_REVIEWER_REPLY = "reviewer_reply"
# For the console: a request for information sent to the reporter, and a note only the city reads.
KIND_INFORMATION_REQUEST = "information_request"
KIND_INTERNAL_NOTE = "internal_note"
# The reporter's answers to the city's questionnaire (intake.reports.questionnaires), one sealed item.
KIND_ANSWERS = "answers"


def exit_answers_context(city_id: int, response_id: str, questionnaire_id: int) -> ItemContext:
    """The sealing context of an exit-interview response: the questionnaire version is bound in, so answers
    cannot be moved to another version or response."""
    return ItemContext(city_id=city_id, case_id="exit", item_id=response_id, kind=f"exit-answers-{questionnaire_id}")


def new_id() -> str:
    return uuid.uuid4().hex


def item_context(item: CaseItem) -> ItemContext:
    return ItemContext(city_id=item.city_id, case_id=item.case_id, item_id=item.id, kind=item.kind)


def next_position(session: Session, case_id: str) -> int:
    """After every released item (waiting ones hold placeholder positions until their release)."""
    current = session.exec(select(func.max(CaseItem.position)).where(CaseItem.case_id == case_id,
                                                                     col(CaseItem.released))).one()
    return (current or 0) + 1


def sealed_text_item(
    case: Case,
    *,
    item_id: str,
    kind: str,
    author: str,
    text: str,
    city_public_key: bytes,
    position: int,
    created_on: date,
    for_reporter: bool,
    author_reviewer_id: int | None = None,
) -> CaseItem:
    """A new item holding ``text``, sealed to the city and, when ``for_reporter``, to the reporter."""
    context = ItemContext(city_id=case.city_id, case_id=case.id, item_id=item_id, kind=kind)
    sealed = seal_to_city(text.encode("utf-8"), context, city_public_key,
                          case.reporter_public_key if for_reporter else None)
    return CaseItem(
        id=item_id, case_id=case.id, city_id=case.city_id, position=position, kind=kind, author=author,
        author_reviewer_id=author_reviewer_id, created_on=created_on, visible_to_reporter=for_reporter,
        ciphertext=sealed.ciphertext, key_for_city=sealed.key_for_city, key_for_reporter=sealed.key_for_reporter,
    )


def text_for_city(item: CaseItem, city_private_key: bytes) -> str:
    assert item.ciphertext is not None
    return open_for_city(item.ciphertext, item.key_for_city, item_context(item), city_private_key).decode("utf-8")


def text_for_reporter(item: CaseItem, reporter_private_key: bytes) -> str:
    assert item.ciphertext is not None and item.key_for_reporter is not None
    return open_for_reporter(item.ciphertext, item.key_for_reporter, item_context(item),
                             reporter_private_key).decode("utf-8")


def items_of(session: Session, case_id: str, *, released_only: bool = False) -> list[CaseItem]:
    """The case's items in order. ``released_only`` for reviewers: a reporter's message waiting for its release
    slot is theirs to see only then (docs/design.md#release-slots); the reporter sees their own at once."""
    query = select(CaseItem).where(CaseItem.case_id == case_id)
    if released_only:
        query = query.where(col(CaseItem.released))
    return list(session.exec(query.order_by(col(CaseItem.position))).all())
