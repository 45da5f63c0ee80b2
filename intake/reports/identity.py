"""A reporter's optional identity (docs/design.md#case-handling): sealed as its own item, marked on the case, opened
only with a reason.

A reporter may stay anonymous (the default) or give a name and a way to be contacted. What they give is sealed to
the city alone, as a separate item that the case page does not open: the case only shows that an identity was
given. A reviewer who needs it must say why; the reason is written to the city's audit chain with the opening.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date

from intake import audit
from intake.accounts.case_access import readable_case
from intake.accounts.sessions import ReviewerContext
from intake.audit.actions import AuditAction
from intake.clock import Clock, utc_now
from intake.db import Database
from intake.errors import InvalidInput, NotFound
from intake.items import items_of, text_for_city
from intake.messages import N_
from intake.models import Case, CaseItem
from intake.text import clean_text, text_problem

KIND_IDENTITY = "identity"
MAX_NAME_CHARS = 200
MAX_CONTACT_CHARS = 500
MIN_REASON_CHARS = 10
MAX_REASON_CHARS = 500


@dataclass(frozen=True)
class IdentityChoice:
    """What the form posted: whether to give an identity, and the name and contact typed."""

    give: bool
    name: str = ""
    contact: str = ""


@dataclass(frozen=True)
class Identity:
    name: str
    contact: str

    def to_json(self) -> str:
        return json.dumps({"name": self.name, "contact": self.contact}, ensure_ascii=False)


def check_identity(give: bool, name: str, contact: str) -> Identity | None:
    """The identity to seal, ``None`` to stay anonymous; InvalidInput names the field when something is wrong."""
    name, contact = clean_text(name), clean_text(contact)
    if not give:
        if name or contact:
            raise InvalidInput({"identity": N_("You chose to stay anonymous, but you typed a name or contact. "
                                               "Clear those boxes, or choose to give your name.")})
        return None
    problems = {}
    if (problem := text_problem(name, max_chars=MAX_NAME_CHARS)) is not None:
        problems["identity_name"] = problem
    if (problem := text_problem(contact, max_chars=MAX_CONTACT_CHARS, required=False)) is not None:
        problems["identity_contact"] = problem
    if problems:
        raise InvalidInput(problems)
    return Identity(name, contact)


def open_identity(
    db: Database, context: ReviewerContext, case_id: str, reason: str, *, clock: Clock = utc_now
) -> Identity:
    """The reporter's name and contact, for a reviewer who may read the case and gives a reason (audited)."""
    case = readable_case(db, context, case_id, clock=clock)
    reason = clean_text(reason)
    problem = text_problem(reason, max_chars=MAX_REASON_CHARS)
    if problem is None and len(reason) < MIN_REASON_CHARS:
        problem = N_("Say why you need the reporter's identity, in a sentence.")
    if problem is not None:
        raise InvalidInput({"reason": problem})
    assert context.city_private_key is not None
    with db.write() as session:
        row = _identity_row(items_of(session, case.id))
        if row is None:
            raise NotFound("the reporter gave no identity")
        city = audit.lock_city(session, case.city_id)
        audit.append(session, city, actor=context.actor, action=AuditAction.CASE_IDENTITY_OPENED, when=clock(),
                     subject=case.id, detail={"reason": reason})
    data = json.loads(text_for_city(row, context.city_private_key))
    return Identity(data["name"], data["contact"])


def _identity_row(rows: list[CaseItem]) -> CaseItem | None:
    return next((row for row in rows if row.kind == KIND_IDENTITY), None)


@dataclass(frozen=True)
class IdentityMark:
    case_number: int
    received_on: date
    identity_given: bool


def identity_mark(db: Database, context: ReviewerContext, case_id: str, *, clock: Clock = utc_now) -> IdentityMark:
    """Whether the case has an identity to open (nothing is decrypted, nothing audited but a denial)."""
    case: Case = readable_case(db, context, case_id, clock=clock)
    return IdentityMark(case.number, case.received_on, case.identity_given)
