"""The reporter's side: submitting a report, opening it again with the report key, adding a message."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date

from sqlmodel import select

from crypto.errors import CryptoError
from crypto.report_keys import (
    generate_report_key,
    new_reporter_key_pair,
    parse_report_key,
    report_key_lookup,
    unwrap_reporter_private_key,
)
from intake import audit
from intake.case_status import acknowledge_due, feedback_due
from intake.categories import CATEGORY_SLUGS
from intake.cities import city_by_slug
from intake.clock import Clock, utc_now
from intake.config import IntakeConfig
from intake.db import Database
from intake.errors import InvalidInput, NotFound, WrongCredentials
from intake.items import (
    AUTHOR_PHONE_CALLER,
    AUTHOR_REPORTER,
    KIND_REPORT,
    KIND_REPORTER_MESSAGE,
    items_of,
    new_id,
    next_position,
    sealed_text_item,
    text_for_reporter,
)
from intake.models import Case, City
from intake.routing import decide_route, record_exclusions
from intake.text import clean_text, text_problem

CHANNEL_WEB = "web"
CHANNEL_PHONE = "phone"
# Reports staff write down for someone (intake.staff_intake, issue 4): by letter, in person, or a call to HR.
CHANNEL_LETTER = "letter"
CHANNEL_WALK_IN = "walk-in"
CHANNEL_HR_CALL = "hr-call"
STAFF_CHANNELS = (CHANNEL_LETTER, CHANNEL_WALK_IN, CHANNEL_HR_CALL)
CHANNELS = (CHANNEL_WEB, CHANNEL_PHONE, *STAFF_CHANNELS)


@dataclass(frozen=True)
class SubmittedReport:
    case_id: str
    city_slug: str
    city_name: str
    report_key: str


@dataclass(frozen=True)
class ReporterAccess:
    """What a correct report key unlocks: the case and the reporter's private key, for this visit only."""

    case_id: str
    reporter_private_key: bytes


@dataclass(frozen=True)
class ReporterItem:
    kind: str
    author: str
    created_on: date
    text: str


@dataclass(frozen=True)
class ReporterCaseView:
    case_id: str
    city_name: str
    category: str
    status: str
    received_on: date
    items: tuple[ReporterItem, ...]


def _actor(channel: str) -> str:
    return audit.PHONE_CALLER if channel == CHANNEL_PHONE else audit.REPORTER


def submit_report(
    db: Database,
    config: IntakeConfig,
    *,
    city_slug: str,
    category: str,
    narrative: str,
    channel: str = CHANNEL_WEB,
    excluded_reviewer_ids: Collection[int] = (),
    clock: Clock = utc_now,
) -> SubmittedReport:
    """Seal a new report to its city and to a new reporter key pair; return the report key, shown once.

    The case is routed to a reviewer group (intake.routing): reviewers named in the narrative, and those in
    ``excluded_reviewer_ids`` (the reporter's choice), are excluded from it.
    """
    narrative = clean_text(narrative)
    problems = {}
    if category not in CATEGORY_SLUGS:
        problems["category"] = "Choose one of the categories listed."
    if (problem := text_problem(narrative, max_chars=config.max_narrative_chars)) is not None:
        problems["narrative"] = problem
    if channel not in CHANNELS:
        problems["channel"] = "Unknown channel."
    city = _find(db, city_slug)
    if problems:
        raise InvalidInput(problems)
    assert city.id is not None
    # The expensive work (Argon2id, HPKE) happens before the transaction, so the city lock is held briefly.
    report_key = generate_report_key()
    case_id, item_id = new_id(), new_id()
    reporter_public, reporter_wrapped = new_reporter_key_pair(report_key, case_id, config.report_key_kdf)
    received_on = clock().date()
    case = Case(
        id=case_id, city_id=city.id, number=0, category=category, channel=channel, received_on=received_on,
        acknowledge_due_on=acknowledge_due(received_on), feedback_due_on=feedback_due(received_on),
        next_due_on=acknowledge_due(received_on),
        report_key_lookup=report_key_lookup(config.pepper, report_key),
        reporter_public_key=reporter_public, reporter_wrapped_private_key=reporter_wrapped,
    )
    author = AUTHOR_PHONE_CALLER if channel == CHANNEL_PHONE else AUTHOR_REPORTER

    def report_item(city_public_key: bytes) -> object:
        return sealed_text_item(case, item_id=item_id, kind=KIND_REPORT, author=author, text=narrative,
                                city_public_key=city_public_key, position=1, created_on=received_on,
                                for_reporter=True)

    item = report_item(city.public_key)
    with db.write() as session:
        locked = audit.lock_city(session, city.id)
        if locked.public_key != city.public_key:  # the city key was rotated meanwhile: seal to the new one
            item = report_item(locked.public_key)
        locked.last_case_number += 1
        case.number = locked.last_case_number
        decision = decide_route(session, city.id, category, [narrative], excluded_reviewer_ids)
        case.group_id = decision.group_id
        session.add(case)
        session.flush()
        session.add(item)
        record_exclusions(session, case_id, decision)
        audit.append(session, locked, actor=_actor(channel), action="case.submitted", when=clock(),
                     subject=case_id, detail={"category": category, "channel": channel})
        audit.append(session, locked, actor=audit.SYSTEM, action="case.routed", when=clock(), subject=case_id,
                     detail={"group": decision.group_slug, "excluded_reviewers": len(decision.exclusions),
                             "alternate": int(decision.fell_back_to_alternate)})
    return SubmittedReport(case_id=case_id, city_slug=city.slug, city_name=city.name, report_key=report_key)


def _find(db: Database, city_slug: str) -> City:
    with db.read() as session:
        return city_by_slug(session, city_slug)


def open_report(db: Database, config: IntakeConfig, report_key_text: str) -> ReporterAccess:
    """Unlock a case with its report key. A malformed key and a wrong key fail the same way."""
    report_key = parse_report_key(report_key_text)
    if report_key is None:
        raise WrongCredentials("no report has that key")
    with db.read() as session:
        case = session.exec(select(Case).where(Case.report_key_lookup == report_key_lookup(config.pepper,
                                                                                           report_key))).first()
    if case is None:
        raise WrongCredentials("no report has that key")
    try:
        private = unwrap_reporter_private_key(case.reporter_wrapped_private_key, report_key, case.id)
    except CryptoError:
        raise WrongCredentials("no report has that key") from None
    return ReporterAccess(case_id=case.id, reporter_private_key=private)


def reporter_view(
    db: Database, access: ReporterAccess, *, channel: str = CHANNEL_WEB, clock: Clock = utc_now
) -> ReporterCaseView:
    """Everything the reporter may read back, decrypted with their own key. The read is audited."""
    with db.write() as session:
        case = session.get(Case, access.case_id)
        if case is None:
            raise NotFound("the case no longer exists")
        city = audit.lock_city(session, case.city_id)
        rows = [row for row in items_of(session, case.id) if row.visible_to_reporter and row.key_for_reporter]
        audit.append(session, city, actor=_actor(channel), action="case.opened_by_reporter", when=clock(),
                     subject=case.id)
    items = tuple(
        ReporterItem(kind=row.kind, author=row.author, created_on=row.created_on,
                     text=text_for_reporter(row, access.reporter_private_key))
        for row in rows
    )
    return ReporterCaseView(case_id=case.id, city_name=city.name, category=case.category, status=case.status,
                            received_on=case.received_on, items=items)


def add_reporter_message(
    db: Database, config: IntakeConfig, access: ReporterAccess, text: str, *, channel: str = CHANNEL_WEB,
    clock: Clock = utc_now,
) -> None:
    """An addition from the reporter; the original report is never editable (issue 3)."""
    text = clean_text(text)
    if (problem := text_problem(text, max_chars=config.max_message_chars)) is not None:
        raise InvalidInput({"message": problem})
    today = clock().date()
    with db.write() as session:
        case = session.get(Case, access.case_id)
        if case is None:
            raise NotFound("the case no longer exists")
        city = audit.lock_city(session, case.city_id)
        item = sealed_text_item(
            case, item_id=new_id(), kind=KIND_REPORTER_MESSAGE,
            author=AUTHOR_PHONE_CALLER if channel == CHANNEL_PHONE else AUTHOR_REPORTER, text=text,
            city_public_key=city.public_key, position=next_position(session, case.id), created_on=today,
            for_reporter=True,
        )
        session.add(item)
        audit.append(session, city, actor=_actor(channel), action="case.reporter_message", when=clock(),
                     subject=case.id)
