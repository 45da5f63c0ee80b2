"""Reports made by phone (docs/design.md#phone). Free of Twilio: the delivery layer hands in a city, a category and
the id of the case the caller's recording will fill; the recording itself arrives later (intake.phone.recordings).

The case id is chosen before the caller records, so the webhook that ends the recording and the worker that
stores it agree on the case without the database ever holding a call or recording identifier.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlmodel import Session, select

from crypto.report_keys import generate_report_key, new_reporter_key_pair, report_key_lookup
from intake import audit
from intake.audit.actions import AuditAction
from intake.case_status import acknowledge_due, feedback_due
from intake.categories import CATEGORY_SLUGS
from intake.cities import city_by_slug
from intake.clock import Clock, utc_now
from intake.config import IntakeConfig
from intake.db import Database
from intake.errors import InvalidInput
from intake.models import Case, City, ReleaseQueue
from intake.reports import release
from intake.reports.submission import CHANNEL_PHONE
from intake.routing import ReportWords, decide_route, record_routing

CASE_ID = re.compile(r"^[0-9a-f]{32}$")


@dataclass(frozen=True)
class PhoneReport:
    case_id: str
    city_name: str
    # Read to the caller twice, then forgotten.
    report_key: str


def open_phone_report(
    db: Database, config: IntakeConfig, *, case_id: str, city_slug: str, category: str, clock: Clock = utc_now,
    in_transaction: Callable[[Session], None] | None = None,
) -> PhoneReport | None:
    """Open the case that a phone recording will fill, sealed to a new reporter key pair like a web report.

    Returns None when the case is already open (a replayed webhook, or the worker opened it because the caller
    hung up before hearing the key): the key of an existing case is never known again. The case reaches no inbox
    until :func:`route_phone_case`; ``in_transaction`` runs in the transaction that opens it (the delivery layer
    queues there the job that routes it anyway should its recording never arrive).
    """
    problems = {}
    if not CASE_ID.match(case_id):
        problems["case"] = "Not a case identifier."
    if category not in CATEGORY_SLUGS:
        problems["category"] = "Choose one of the categories listed."
    if problems:
        raise InvalidInput(problems)
    with db.read() as session:
        if session.get(Case, case_id) is not None:
            return None
        city = city_by_slug(session, city_slug)
    assert city.id is not None
    # Argon2id and key generation happen before the transaction, so the city lock is held briefly.
    report_key = generate_report_key()
    reporter_public, reporter_wrapped = new_reporter_key_pair(report_key, case_id, config.report_key_kdf)
    received_on = clock().date()
    case = Case(
        id=case_id, city_id=city.id, number=0, category=category, channel=CHANNEL_PHONE, received_on=received_on,
        acknowledge_due_on=acknowledge_due(received_on), feedback_due_on=feedback_due(received_on),
        report_key_lookup=report_key_lookup(config.pepper, report_key),
        reporter_public_key=reporter_public, reporter_wrapped_private_key=reporter_wrapped, released=False,
    )
    with db.write() as session:
        audit.lock_city(session, city.id)
        if session.get(Case, case_id) is not None:  # lost the race to a replay or to the worker
            return None
        # It waits, like a web report, with no group and a placeholder number (intake.reports.release); unlike one,
        # it is routed only when its recording is transcribed and the transcript has been searched for reviewers'
        # names (route_phone_case, docs/design.md#transcripts), and released at the slot after that.
        case.number = release.placeholder_number(session, city.id)
        session.add(case)
        session.flush()
        release.hold_entry(session, city.id, actor=audit.PHONE_CALLER, action=AuditAction.CASE_SUBMITTED,
                           day=received_on, subject=case_id, detail={"category": category, "channel": CHANNEL_PHONE})
        if in_transaction is not None:
            in_transaction(session)
    return PhoneReport(case_id=case_id, city_name=city.name, report_key=report_key)


def case_is_open(db: Database, case_id: str) -> bool:
    with db.read() as session:
        return CASE_ID.match(case_id) is not None and session.get(Case, case_id) is not None


def is_routed(session: Session, case_id: str) -> bool:
    """Whether the case has its group: in inboxes already, or waiting for its release slot with one."""
    case = session.get(Case, case_id)
    if case is None:
        return False
    return case.group_id is not None or session.exec(select(ReleaseQueue.id).where(
        ReleaseQueue.case_id == case_id, ReleaseQueue.item_id == None)).first() is not None  # noqa: E711


def route_phone_case(session: Session, locked: City, config: IntakeConfig, case_id: str, texts: Sequence[str], *,
                     clock: Clock = utc_now) -> bool:
    """Route a phone case, in the caller's transaction under the city lock, excluding every reviewer named in
    ``texts`` (its transcript) exactly as a typed report's names are (intake.routing, sealed under the routing
    key). The case is then released at the next slot with its group (at once when the city's reports are, or
    for an urgent case). A case already routed is left alone: False. A transcript that arrives later names nobody
    out of a case already in inboxes, as a later web message does not (docs/design.md#known-gaps)."""
    case = session.get(Case, case_id)
    if case is None or is_routed(session, case_id):
        return False
    assert locked.id is not None
    decision = decide_route(session, locked.id, case.category, ReportWords.of(texts), ())
    record_routing(session, config.routing_key, locked.id, case_id, decision)
    release.hold_case(session, locked.id, case_id, decision.group_id)
    release.hold_entry(session, locked.id, actor=audit.SYSTEM, action=AuditAction.CASE_ROUTED, day=case.received_on,
                       subject=case_id, detail={"group": decision.group_slug})
    if config.release_at_once or case.urgent:
        session.flush()
        release.release(session, locked, case_ids={case_id})
    return True


def route_unrouted(db: Database, config: IntakeConfig, case_id: str, *, clock: Clock = utc_now) -> bool:
    """Route a phone case whose recording has not been stored in time (Twilio unreachable, the transcription
    engine broken in a transcript-only city, a recording Twilio reported absent), so that no report waits
    unseen. Names are searched for in nothing: there is no transcript yet."""
    with db.write() as session:
        if not CASE_ID.match(case_id) or session.get(Case, case_id) is None or is_routed(session, case_id):
            return False
        case = session.get(Case, case_id)
        assert case is not None
        locked = audit.lock_city(session, case.city_id)
        return route_phone_case(session, locked, config, case_id, (), clock=clock)
