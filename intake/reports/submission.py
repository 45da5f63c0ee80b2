"""The reporter's side: submitting a report, opening it again with the report key, adding a message."""

from __future__ import annotations

import functools
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, update
from sqlmodel import select

from crypto.errors import CryptoError
from crypto.report_keys import (
    generate_report_key,
    new_reporter_key_pair,
    parse_report_key,
    report_key_lookup,
    reporter_key_cost,
    unwrap_reporter_private_key,
    wrap_reporter_private_key,
)
from crypto.sealing import ItemContext, seal_to_city
from intake import audit
from intake.audit.actions import AuditAction
from intake.case_status import RECEIVED, acknowledge_due, feedback_due
from intake.categories import CATEGORY_SLUGS
from intake.clock import Clock, utc_now
from intake.config import IntakeConfig
from intake.db import Database, insert_into, run_on_driver, run_together, sent_as_one
from intake.errors import InvalidInput, NotFound, TooManyAttempts, WrongCredentials
from intake.items import (
    AUTHOR_PHONE_CALLER,
    AUTHOR_REPORTER,
    KIND_ANSWERS,
    KIND_REPORT,
    KIND_REPORTER_MESSAGE,
    items_of,
    new_id,
    sealed_text_item,
    text_for_reporter,
)
from intake.limits.counters import cap_read, cap_take, cap_taken_from, cap_wait_from, counter_key
from intake.messages import N_
from intake.models import Case, CaseItem, City
from intake.models import tally as case_tally
from intake.reports import release
from intake.reports.attachments import (
    AttachmentInfo,
    AttachmentNote,
    CleanedUpload,
    Upload,
    add_attachment,
    clean_upload,
    info_for_reporter,
    is_file,
)
from intake.reports.identity import KIND_IDENTITY, IdentityChoice, check_identity
from intake.reports.questionnaires import (
    Answer,
    ReadAnswer,
    answer_texts,
    answers_json,
    check_answers,
    questionnaire_from,
    questionnaire_read,
    read_answers,
)
from intake.reports.requests_for_information import awaiting_answer
from intake.routing import ReportWords, record_routing, route_from, route_read, sealed_routing_read
from intake.text import clean_text, text_problem

CHANNEL_WEB = "web"
CHANNEL_PHONE = "phone"
# Reports staff write down for someone (intake.reports.staff_intake): by letter, in person, or a call to HR.
CHANNEL_LETTER = "letter"
CHANNEL_WALK_IN = "walk-in"
CHANNEL_HR_CALL = "hr-call"
STAFF_CHANNELS = (CHANNEL_LETTER, CHANNEL_WALK_IN, CHANNEL_HR_CALL)
CHANNELS = (CHANNEL_WEB, CHANNEL_PHONE, *STAFF_CHANNELS)
# The counter of web reports a city accepted this hour (intake.limits.counters).
CITY_REPORTS = "city-reports"


@dataclass(frozen=True)
class SubmittedReport:
    case_id: str
    city_slug: str
    city_name: str
    report_key: str
    # Each file sent, and whether its metadata could be removed (the reporter is told when not).
    attachments: tuple[AttachmentNote, ...] = ()
    # What happens next (the receipt's dates), and whether the reporter said someone is in danger now.
    acknowledge_due_on: date | None = None
    feedback_due_on: date | None = None
    urgent: bool = False


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
    # Files sent with this item, and the questionnaire answers sent with the report.
    attachments: tuple[AttachmentInfo, ...] = ()
    answers: tuple[ReadAnswer, ...] = ()


@dataclass(frozen=True)
class ReporterCaseView:
    case_id: str
    city_name: str
    category: str
    status: str
    received_on: date
    items: tuple[ReporterItem, ...]
    # A reviewer asked a question the reporter has not answered yet (intake.reports.requests_for_information).
    needs_information: bool = False
    identity_given: bool = False
    # A reviewer removed part of what the reporter can read (intake.casework.redaction): the page says why.
    redacted: bool = False


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
    answers: Mapping[str, Sequence[str]] | None = None,
    identity: IdentityChoice | None = None,
    attachments: Sequence[Upload] = (),
    admit: Callable[[], None] | None = None,
    urgent: bool = False,
    release_now: bool = False,
    clock: Clock = utc_now,
) -> SubmittedReport:
    """Seal a new report to its city and to a new reporter key pair; return the report key, shown once.

    The case reaches reviewers at the next release slot (intake.reports.release), or at once when ``urgent`` (the
    reporter said someone is in danger right now; the case keeps the flag) or ``release_now`` (staff entered it).

    ``answers`` (input name to posted values) are checked against the city's questionnaire for the category and
    sealed as their own item; ``identity``, when the reporter chose to give it, is sealed to the city alone as
    another; each attachment is cleaned of metadata and sealed in chunks. Any problem with any of them raises
    InvalidInput naming the field, and nothing is stored.

    The case is routed to a reviewer group (intake.routing): reviewers named in the narrative or in typed answers,
    and those in ``excluded_reviewer_ids`` (the reporter's choice), are excluded from it. When that would leave
    nobody to read it, intake.routing.NobodyCanRead (an InvalidInput on "exclude") is raised before any
    expensive work, and nothing is stored. ``urgent`` (someone is in danger now) is kept in clear for the inbox.

    Only a report that passed validation is counted: first by ``admit`` (the caller's per-client limit), then,
    for the web, against the city's hourly cap in the database; either may raise
    :class:`intake.errors.TooManyAttempts`, and nothing is stored then.
    """
    narrative = clean_text(narrative)
    problems: dict[str, str] = {}
    if category not in CATEGORY_SLUGS:
        problems["category"] = N_("Choose one of the categories listed.")
    if (problem := text_problem(narrative, max_chars=config.max_narrative_chars)) is not None:
        problems["narrative"] = problem
    if channel not in CHANNELS:
        problems["channel"] = "Unknown channel."
    cap: _CityCap | None = None
    # One read for everything checked before the key derivation: the city, its questionnaire, the route and the
    # city's cap, as one statement on PostgreSQL (intake.db.run_together), each naming the city by its slug. A
    # report refused here costs no Argon2id and no file work; the route and the cap are checked again, and the cap
    # taken, under the city lock in the transaction that stores the report.
    asked = category in CATEGORY_SLUGS and answers is not None
    if channel == CHANNEL_WEB:
        cap = _CityCap(counter_key(config.pepper, CITY_REPORTS, city_slug), config.reports_per_city_per_hour,
                       clock())
    with db.read_each_statement() as connection:
        city_row, questionnaire_row, route_rows, cap_row = run_together(connection, [
            (_city_facts_query(), {"slug": city_slug}),
            questionnaire_read(city_slug, category) if asked else None,
            route_read(city_slug, category) if category in CATEGORY_SLUGS else None,
            cap_read(cap.key) if cap is not None else None], as_one_from=0)
        assert city_row is not None
        city = _city_facts(city_row.first(), city_slug)
        questionnaire = questionnaire_from(questionnaire_row.first(), category) if questionnaire_row else None
        checked: tuple[Answer, ...] = ()
        if answers is not None and questionnaire is not None:
            try:
                checked = check_answers(questionnaire, answers)
            except InvalidInput as invalid:
                problems.update(invalid.problems)
        given = None
        if identity is not None:
            try:
                given = check_identity(identity.give, identity.name, identity.contact)
            except InvalidInput as invalid:
                problems.update(invalid.problems)
        if problems:
            raise InvalidInput(problems)
        words = ReportWords.of([narrative, *answer_texts(checked)])
        assert route_rows is not None  # the category is known: problems were raised otherwise
        route_from(route_rows.rows, words, excluded_reviewer_ids)
        if admit is not None:
            admit()  # the caller's own limits (per client), which may raise TooManyAttempts
        if cap is not None:
            # Only a report that passed validation counts toward the city's cap, in the database for every
            # instance (docs/design.md#limits-an-attacker-cannot-turn-against-users): junk cannot close a city's form.
            wait = cap_wait_from(cap_row.first() if cap_row else None, limit=cap.limit, window=CITY_CAP_WINDOW,
                                 now=cap.now)
            if wait is not None:
                raise TooManyAttempts(wait)
    cleaned = [clean_upload(upload) for upload in attachments]
    try:
        return _store_report(db, config, city, category=category, narrative=narrative, channel=channel,
                             excluded_reviewer_ids=excluded_reviewer_ids,
                             words=words, answers=answers_json(questionnaire, checked)
                             if questionnaire is not None and checked else None,
                             identity_json=given.to_json() if given else None, attachments=cleaned, urgent=urgent,
                             release_now=release_now, cap=cap, clock=clock)
    finally:
        for upload in cleaned:
            upload.content.close()


CITY_CAP_WINDOW = timedelta(hours=1)


@dataclass(frozen=True)
class _CityCap:
    """A city's hourly cap on web reports, as counted for one report at ``now``."""

    key: str
    limit: int
    now: datetime


@dataclass(frozen=True)
class _CityFacts:
    id: int
    slug: str
    name: str
    public_key: bytes


def _city_facts(row: tuple[Any, ...] | None, city_slug: str) -> _CityFacts:
    if row is None:
        raise NotFound(f"no city {city_slug!r}")
    return _CityFacts(*row)


@functools.cache
def _city_facts_query() -> Any:
    # Built once, its values as parameters: every report runs it (intake.routing explains why).
    city = City.__table__  # type: ignore[attr-defined]
    return select(city.c.id, city.c.slug, city.c.name, city.c.public_key).where(city.c.slug == bindparam("slug"))


def _sealed_row(case: Mapping[str, object], *, item_id: str, kind: str, author: str, text: str, city_public_key: bytes,
                position: int, for_reporter: bool) -> dict[str, object]:
    """A case_item row holding ``text`` sealed like intake.items.sealed_text_item, as a plain dict for Core."""
    context = ItemContext(city_id=int(str(case["city_id"])), case_id=str(case["id"]), item_id=item_id, kind=kind)
    reporter_key = case["reporter_public_key"] if for_reporter else None
    sealed = seal_to_city(text.encode("utf-8"), context, city_public_key,
                          reporter_key if isinstance(reporter_key, bytes) else None)
    return {"id": item_id, "case_id": case["id"], "city_id": case["city_id"], "position": position, "kind": kind,
            "author": author, "author_reviewer_id": None, "created_on": case["received_on"],
            "visible_to_reporter": for_reporter, "ciphertext": sealed.ciphertext, "stream_header": None,
            "key_for_city": sealed.key_for_city, "key_for_reporter": sealed.key_for_reporter,
            # An item of a new case is released with its case (intake.reports.release holds the case row).
            "released": True}


def _store_report(
    db: Database, config: IntakeConfig, city: _CityFacts, *, category: str, narrative: str, channel: str,
    excluded_reviewer_ids: Collection[int], words: ReportWords, answers: str | None, identity_json: str | None,
    attachments: Sequence[CleanedUpload], urgent: bool, release_now: bool, cap: _CityCap | None, clock: Clock,
) -> SubmittedReport:
    # The expensive work (Argon2id, HPKE) happens before the transaction, so the city lock is held briefly; inside
    # it, rows go in through SQLAlchemy Core (no unit of work): the ORM's bookkeeping was most of a report's CPU
    # besides the derivation itself, and every millisecond here is one the city lock is held (bench intake).
    report_key = generate_report_key()
    case_id, item_id = new_id(), new_id()
    reporter_public, reporter_wrapped = config.derive(
        lambda: new_reporter_key_pair(report_key, case_id, config.report_key_kdf))
    received_on = clock().date()
    case: dict[str, object] = {
        "id": case_id, "city_id": city.id, "number": 0, "category": category, "channel": channel,
        "status": RECEIVED, "outcome": None, "received_on": received_on,
        "acknowledge_due_on": acknowledge_due(received_on), "feedback_due_on": feedback_due(received_on),
        "next_due_on": acknowledge_due(received_on),
        "assignee_id": None, "group_id": None, "report_key_lookup": report_key_lookup(config.pepper, report_key),
        "reporter_public_key": reporter_public, "reporter_wrapped_private_key": reporter_wrapped,
        "identity_given": identity_json is not None, "urgent": urgent, "released": False,
    }
    author = AUTHOR_PHONE_CALLER if channel == CHANNEL_PHONE else AUTHOR_REPORTER

    def item_rows(city_public_key: bytes) -> list[dict[str, object]]:
        rows = [_sealed_row(case, item_id=item_id, kind=KIND_REPORT, author=author, text=narrative,
                            city_public_key=city_public_key, position=1, for_reporter=True)]
        if answers is not None:
            rows.append(_sealed_row(case, item_id=new_id(), kind=KIND_ANSWERS, author=author, text=answers,
                                    city_public_key=city_public_key, position=len(rows) + 1, for_reporter=True))
        if identity_json is not None:  # to the city alone: the reporter's own key never needs to open it
            rows.append(_sealed_row(case, item_id=new_id(), kind=KIND_IDENTITY, author=author, text=identity_json,
                                    city_public_key=city_public_key, position=len(rows) + 1, for_reporter=False))
        return rows

    items = item_rows(city.public_key)
    notes = []
    with db.write() as session:
        # Everything under the city lock that needs an answer, sent with the lock (and the transaction's BEGIN):
        # one round trip on PostgreSQL, and after the lock one statement, in one snapshot taken once the lock is
        # held (none of the four touches what another writes). The case goes in before the checks are read: if
        # one refuses the report, the transaction is rolled back with it.
        dialect = session.get_bind().dialect.name
        locked, taken, route_rows, routing_read, inserted = run_together(session, [
            audit.city_key_lock(city.id),
            cap_take(dialect, cap.key, window=CITY_CAP_WINDOW, now=cap.now) if cap is not None else None,
            route_read(city.id, category),
            sealed_routing_read(city.id),
            # No group and a placeholder number until its release slot (intake.reports.release): no reviewer can
            # reach it before then.
            release.waiting_case_insert(dialect, case)], as_one_from=1)
        assert locked is not None and route_rows is not None and inserted is not None
        if cap is not None and taken is not None:  # refused (TooManyAttempts), and rolled back, if it filled
            cap_taken_from(taken.one(), limit=cap.limit, window=CITY_CAP_WINDOW, now=cap.now)
        city_key = locked.one()[0]
        if city_key != city.public_key:  # the city key was rotated meanwhile: seal to the new one
            items = item_rows(city_key)
        decision = route_from(route_rows.rows, words, excluded_reviewer_ids)
        if inserted.rowcount != 1:  # its random placeholder number was taken: again, with another
            release.insert_waiting_case(session, case)
        if attachments:
            # Before the attachments: their rows name the report's item as their parent.
            run_on_driver(session, insert_into(CaseItem.__table__), items)  # type: ignore[attr-defined]
            stored_case = Case.model_validate(case)
            for offset, upload in enumerate(attachments):
                notes.append(add_attachment(session, stored_case, upload, city_public_key=city_key,
                                            position=len(items) + 1 + offset, created_on=received_on,
                                            author=author, parent_item_id=item_id).note)
            session.flush()
        # Nothing below needs an answer: one statement on PostgreSQL, with the COMMIT unless more follows.
        released_now = urgent or release_now or config.release_at_once
        with sent_as_one(session, then_commit=not released_now):
            if not attachments:  # no file names the item as its parent: it travels with the rest
                run_on_driver(session, insert_into(CaseItem.__table__), items)  # type: ignore[attr-defined]
            # Who was excluded and whether it fell back to the alternate group: sealed, never in the case row or
            # the log.
            record_routing(session, config.routing_key, city.id, case_id, decision, read=routing_read)
            case_tally.count_inserted(session, case)
            release.hold_case(session, city.id, case_id, decision.group_id)
            release.hold_entries_of_new_subject(session, city.id, subject=case_id, day=received_on, entries=[
                release.HeldEntry(_actor(channel), AuditAction.CASE_SUBMITTED,
                                  {"category": category, "channel": channel, **({"urgent": 1} if urgent else {})}),
                release.HeldEntry(audit.SYSTEM, AuditAction.CASE_ROUTED, {"group": decision.group_slug})])
        if released_now:
            session.flush()
            release.release(session, audit.lock_city(session, city.id), case_ids={case_id})
    return SubmittedReport(case_id=case_id, city_slug=city.slug, city_name=city.name, report_key=report_key,
                           attachments=tuple(notes), acknowledge_due_on=acknowledge_due(received_on),
                           feedback_due_on=feedback_due(received_on), urgent=urgent)


def open_report(db: Database, config: IntakeConfig, report_key_text: str, *, channel: str = CHANNEL_WEB,
                clock: Clock = utc_now) -> ReporterAccess:
    """Unlock a case with its report key. A malformed key and a wrong key fail the same way.

    A reporter key wrapped under less than the configured Argon2id cost is wrapped again at full cost while the
    report key is here (docs/design.md#cryptography), and that is audited at the day, as the reporter's action.
    """
    report_key = parse_report_key(report_key_text)
    if report_key is None:
        raise WrongCredentials("no report has that key")
    with db.read() as session:
        case = session.exec(select(Case).where(Case.report_key_lookup == report_key_lookup(config.pepper,
                                                                                           report_key))).first()
    if case is None:
        raise WrongCredentials("no report has that key")
    try:
        private = config.derive(lambda: unwrap_reporter_private_key(case.reporter_wrapped_private_key, report_key,
                                                                    case.id))
    except CryptoError:
        raise WrongCredentials("no report has that key") from None
    cost = reporter_key_cost(case.reporter_wrapped_private_key)
    if not cost.at_least(config.report_key_kdf):
        _strengthen_reporter_key(db, config, case, report_key, private, channel=channel, clock=clock)
    return ReporterAccess(case_id=case.id, reporter_private_key=private)


def _strengthen_reporter_key(db: Database, config: IntakeConfig, case: Case, report_key: str, private: bytes, *,
                             channel: str, clock: Clock) -> None:
    old = case.reporter_wrapped_private_key
    before = reporter_key_cost(old)
    wrapped = config.derive(lambda: wrap_reporter_private_key(private, report_key, case.id, config.report_key_kdf))
    case_table = Case.__table__  # type: ignore[attr-defined]
    with db.write() as session:
        city = audit.lock_city(session, case.city_id)
        # Only if nobody strengthened it first (two visits at once): the blob read is the one replaced.
        changed = session.connection().execute(
            update(case_table).where(case_table.c.id == case.id, case_table.c.reporter_wrapped_private_key == old)
            .values(reporter_wrapped_private_key=wrapped)).rowcount
        if changed:  # held for the next release, like everything the reporter causes (intake.reports.release)
            release.hold_entry(session, case.city_id, actor=_actor(channel),
                               action=AuditAction.CASE_REPORT_KEY_REWRAPPED, day=clock().date(), subject=case.id,
                               detail={"from_memory_kib": before.memory_kib, "from_iterations": before.iterations,
                                       "to_memory_kib": config.report_key_kdf.memory_kib,
                                       "to_iterations": config.report_key_kdf.iterations})
            release.now_if_urgent(session, city, case, at_once=config.release_at_once)


def reporter_view(
    db: Database, access: ReporterAccess, *, channel: str = CHANNEL_WEB, language: str = "en",
    release_at_once: bool = False, clock: Clock = utc_now,
) -> ReporterCaseView:
    """Everything the reporter may read back, decrypted with their own key. The read is audited.

    Attachments are listed under the item they were sent with; the questionnaire answers under the report.
    """
    with db.write() as session:
        case = session.get(Case, access.case_id)
        if case is None:
            raise NotFound("the case no longer exists")
        city = audit.lock_city(session, case.city_id)
        all_rows = items_of(session, case.id)
        # Held for the next release like everything the reporter causes (intake.reports.release).
        release.hold_entry(session, city.id or 0, actor=_actor(channel), action=AuditAction.CASE_OPENED_BY_REPORTER,
                           day=clock().date(), subject=case.id)
        release.now_if_urgent(session, city, case, at_once=release_at_once)
    rows = [row for row in all_rows if row.visible_to_reporter and row.key_for_reporter]
    key = access.reporter_private_key
    files: dict[str, list[AttachmentInfo]] = {}
    answers: tuple[ReadAnswer, ...] = ()
    for row in rows:
        if is_file(row):
            info = info_for_reporter(row, key)
            files.setdefault(info.parent_item_id, []).append(info)
        elif row.kind == KIND_ANSWERS:
            answers = read_answers(text_for_reporter(row, key), language)
    items = tuple(
        ReporterItem(kind=row.kind, author=row.author, created_on=row.created_on, text=text_for_reporter(row, key),
                     attachments=tuple(files.get(row.id, ())), answers=answers if row.kind == KIND_REPORT else ())
        for row in rows if not is_file(row) and row.kind != KIND_ANSWERS
    )
    return ReporterCaseView(case_id=case.id, city_name=city.name, category=case.category, status=case.status,
                            received_on=case.received_on, items=items, needs_information=awaiting_answer(all_rows),
                            identity_given=case.identity_given,
                            redacted=any(row.redacted_on is not None for row in rows))


def add_reporter_message(
    db: Database, config: IntakeConfig, access: ReporterAccess, text: str, *, channel: str = CHANNEL_WEB,
    attachments: Sequence[Upload] = (), clock: Clock = utc_now,
) -> tuple[AttachmentNote, ...]:
    """An addition from the reporter, with any files; the original report is never editable."""
    text = clean_text(text)
    if (problem := text_problem(text, max_chars=config.max_message_chars)) is not None:
        raise InvalidInput({"message": problem})
    today = clock().date()
    author = AUTHOR_PHONE_CALLER if channel == CHANNEL_PHONE else AUTHOR_REPORTER
    cleaned = [clean_upload(upload) for upload in attachments]
    notes = []
    try:
        with db.write() as session:
            case = session.get(Case, access.case_id)
            if case is None:
                raise NotFound("the case no longer exists")
            city = audit.lock_city(session, case.city_id)
            assert city.id is not None
            # Reviewers see it at the next release slot, placed after whatever they wrote meanwhile
            # (intake.reports.release); the reporter sees it at once.
            position = release.placeholder_position(session, case.id)
            item = sealed_text_item(
                case, item_id=new_id(), kind=KIND_REPORTER_MESSAGE, author=author, text=text,
                city_public_key=city.public_key, position=position, created_on=today, for_reporter=True,
            )
            item.released = False
            session.add(item)
            session.flush()
            release.hold_item(session, city.id, case.id, item.id)
            for offset, upload in enumerate(cleaned, start=1):
                added = add_attachment(session, case, upload, city_public_key=city.public_key,
                                       position=position + offset, created_on=today, author=author,
                                       parent_item_id=item.id, released=False)
                release.hold_item(session, city.id, case.id, added.item_id)
                notes.append(added.note)
            release.hold_entry(session, city.id, actor=_actor(channel), action=AuditAction.CASE_REPORTER_MESSAGE,
                               day=today, subject=case.id, detail={"attachments": len(cleaned)} if cleaned else None)
            session.flush()
            release.now_if_urgent(session, city, case, at_once=config.release_at_once)
    finally:
        for upload in cleaned:
            upload.content.close()
    return tuple(notes)
