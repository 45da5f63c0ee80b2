"""The HR side of exit interviews: who may act for a city, the city's settings, and invitations.

Only a reviewer in the city's "hr" group (docs/design.md#exit-interviews), signed
in to that city with its key unlocked, gets past :func:`hr_access`. Everyone else gets :class:`NotFound`, and
the attempt is written to the audit chain of the city they tried, as case access is (intake.casework.cases).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlmodel import Session, col, select

from intake import audit
from intake.accounts.reviewers import CONTENT_ROLES
from intake.accounts.sessions import ReviewerContext
from intake.audit.actions import AuditAction
from intake.clock import Clock, utc_now
from intake.config import IntakeConfig
from intake.db import Database
from intake.errors import InvalidInput, NotFound
from intake.exit.questionnaire import current_row, from_row
from intake.items import new_id
from intake.messages import N_
from intake.models import City, ExitInvitation, ExitSettings, GroupMember, PhoneNumber, ReviewerGroup
from intake.models.exit import COMPLETED, INVITED, MODES, STARTED
from intake.models.phone import PURPOSE_EXIT
from intake.models.routing import PURPOSE_HR

CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32: no I, L, O or U to misread
CODE_CHARS = 12  # 60 bits; entering codes is rate limited
MAX_INVITATION_DAYS = 365
MAX_THRESHOLD = 50


@dataclass(frozen=True)
class HrAccess:
    """A reviewer allowed to act as HR for one city, with that city's key."""

    context: ReviewerContext
    city_id: int
    city_slug: str
    city_name: str

    @property
    def private_key(self) -> bytes:
        assert self.context.city_private_key is not None
        return self.context.city_private_key


def in_hr_group(session: Session, reviewer_id: int, city_id: int) -> bool:
    return session.exec(
        select(GroupMember.reviewer_id).join(ReviewerGroup, col(ReviewerGroup.id) == col(GroupMember.group_id))
        .where(GroupMember.reviewer_id == reviewer_id, ReviewerGroup.city_id == city_id,
               ReviewerGroup.purpose == PURPOSE_HR)
    ).first() is not None


def works_in_hr(db: Database, context: ReviewerContext) -> tuple[bool, bool]:
    """(in the city's HR group, in any other group of the city): which pages are this reviewer's home and
    navigation (the exit interviews, the case inbox or both)."""
    if context.role not in CONTENT_ROLES:
        return False, False
    with db.read() as session:
        purposes = set(session.exec(
            select(ReviewerGroup.purpose).join(GroupMember, col(ReviewerGroup.id) == col(GroupMember.group_id))
            .where(GroupMember.reviewer_id == context.reviewer_id, ReviewerGroup.city_id == context.city_id)).all())
    return PURPOSE_HR in purposes, any(purpose != PURPOSE_HR for purpose in purposes)


def hr_access(db: Database, context: ReviewerContext, city_slug: str, *, clock: Clock = utc_now) -> HrAccess:
    """The access for ``city_slug``, or :class:`NotFound` (audited) for anyone but that city's HR."""
    with db.read() as session:
        city = session.exec(select(City).where(City.slug == city_slug[:64])).first()
        allowed = (city is not None and city.id == context.city_id and context.role in CONTENT_ROLES
                   and context.city_private_key is not None and in_hr_group(session, context.reviewer_id,
                                                                            context.city_id))
    if allowed:
        assert city is not None and city.id is not None
        return HrAccess(context, city.id, city.slug, city.name)
    with db.write() as session:
        target = city.id if city is not None and city.id is not None else context.city_id
        locked = audit.lock_city(session, target)
        audit.append(session, locked, actor=context.actor, action=AuditAction.EXIT_ACCESS_DENIED, when=clock(),
                     detail={"from_city": context.city_slug})
    raise NotFound("no such page")


def settings_of(session: Session, city_id: int) -> ExitSettings:
    """The city's settings; the defaults when it has chosen none (not stored until changed)."""
    return session.get(ExitSettings, city_id) or ExitSettings(city_id=city_id)


@dataclass(frozen=True)
class CitySettingsView:
    mode: str
    threshold: int
    invitation_days: int
    open_link: str | None


def read_settings(db: Database, hr: HrAccess) -> CitySettingsView:
    with db.read() as session:
        row = settings_of(session, hr.city_id)
    return CitySettingsView(row.mode, row.threshold, row.invitation_days, row.open_link)


def change_settings(
    db: Database, hr: HrAccess, *, mode: str, threshold: int | str, invitation_days: int | str, open_link: bool,
    clock: Clock = utc_now,
) -> CitySettingsView:
    """Change the mode (for responses from now on), threshold, link lifetime and the uninvited link."""
    from intake.disclosure.suppression import MINIMUM_THRESHOLD

    problems = {}
    if mode not in MODES:
        problems["mode"] = "Choose anonymous or confidential."
    number = _whole(threshold)
    if number is None or not MINIMUM_THRESHOLD <= number <= MAX_THRESHOLD:
        problems["threshold"] = f"Give a whole number from {MINIMUM_THRESHOLD} to {MAX_THRESHOLD}."
    days = _whole(invitation_days)
    if days is None or not 1 <= days <= MAX_INVITATION_DAYS:
        problems["invitation_days"] = f"Give a whole number of days from 1 to {MAX_INVITATION_DAYS}."
    if problems:
        raise InvalidInput(problems)
    assert number is not None and days is not None
    with db.write() as session:
        city = audit.lock_city(session, hr.city_id)
        row = session.get(ExitSettings, hr.city_id) or ExitSettings(city_id=hr.city_id)
        row.mode, row.threshold, row.invitation_days = mode, number, days
        if open_link and row.open_link is None:
            row.open_link = secrets.token_urlsafe(18)
        elif not open_link:
            row.open_link = None
        session.add(row)
        audit.append(session, city, actor=hr.context.actor, action=AuditAction.EXIT_SETTINGS_CHANGED, when=clock(),
                     detail={"mode": mode, "threshold": number, "invitation_days": days, "open_link": int(open_link)})
    return CitySettingsView(row.mode, row.threshold, row.invitation_days, row.open_link)


def _whole(value: int | str) -> int | None:
    if isinstance(value, int):
        return value
    value = value.strip()
    return int(value) if value.isascii() and value.isdigit() and len(value) < 6 else None


def token_lookup(config: IntakeConfig, token: str) -> bytes:
    return hmac.new(config.pepper, b"hotline/v1/exit-invitation|token|" + token.encode(), hashlib.sha256).digest()


def code_lookup(config: IntakeConfig, code: str) -> bytes:
    return hmac.new(config.pepper, b"hotline/v1/exit-invitation|code|" + code.encode(), hashlib.sha256).digest()


def normalize_code(text: str) -> str | None:
    """A code as typed: any case, spaces and dashes ignored, O read as 0 and I or L as 1 (Crockford)."""
    cleaned = text.upper().replace("-", "").replace(" ", "").replace("O", "0").replace("I", "1").replace("L", "1")
    if len(cleaned) != CODE_CHARS or any(ch not in CODE_ALPHABET for ch in cleaned):
        return None
    return cleaned


def format_code(code: str) -> str:
    return "-".join(code[i:i + 4] for i in range(0, len(code), 4))


# The short code keyed on a telephone: its 60 bits as a 19-digit number (2^60 has 19 digits), since a keypad
# has no letters. The same code, so the same invitation, whichever way it is entered.
PHONE_CODE_DIGITS = 19


def phone_code(code: str) -> str:
    """``7K3M...`` -> ``0123 4567 8901 2345 678``: the code as digits, in groups of four for reading."""
    value = 0
    for ch in code:
        value = value * 32 + CODE_ALPHABET.index(ch)
    digits = str(value).zfill(PHONE_CODE_DIGITS)
    return " ".join(digits[i:i + 4] for i in range(0, len(digits), 4))


def code_from_phone(digits: str) -> str | None:
    """The short code keyed as digits, or None when they cannot be one."""
    digits = digits.replace(" ", "")
    if len(digits) != PHONE_CODE_DIGITS or not (digits.isascii() and digits.isdigit()):
        return None
    value = int(digits)
    if value >= 32 ** CODE_CHARS:
        return None
    chars = []
    for _ in range(CODE_CHARS):
        value, rest = divmod(value, 32)
        chars.append(CODE_ALPHABET[rest])
    return "".join(reversed(chars))


@dataclass(frozen=True)
class CreatedInvitation:
    invitation_id: str
    token: str  # goes into the link; shown once
    code: str  # the short code, grouped for reading; shown once
    last_day: date
    expires_on: date
    # The city's number for exit interviews by keypad, and the code as digits to key there (None: web only).
    phone_number: str | None = None
    phone_code: str | None = None


def create_invitation(
    db: Database, config: IntakeConfig, hr: HrAccess, *, department: str, separation_type: str, last_day: str,
    clock: Clock = utc_now,
) -> CreatedInvitation:
    """A one-time invitation; the link token and code are returned once and stored only as HMACs."""
    today = clock().date()
    with db.write() as session:
        questionnaire = from_row(current_row(session, hr.city_id, today))
    problems = {}
    departments = questionnaire.question("department")
    separations = questionnaire.question("separation_type")
    if departments is None or department not in departments.option_values():
        problems["department"] = "Choose one of the departments listed."
    if separations is None or separation_type not in separations.option_values():
        problems["separation_type"] = "Choose one of the ways of leaving listed."
    try:
        day = date.fromisoformat(last_day.strip())
    except ValueError:
        day = None
    if day is None or abs((day - today).days) > MAX_INVITATION_DAYS:
        problems["last_day"] = "Give the last day as a date within a year of today (YYYY-MM-DD)."
    if problems:
        raise InvalidInput(problems)
    assert day is not None
    token = secrets.token_urlsafe(24)
    code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_CHARS))
    with db.write() as session:
        city = audit.lock_city(session, hr.city_id)
        days = settings_of(session, hr.city_id).invitation_days
        invitation = ExitInvitation(
            id=new_id(), city_id=hr.city_id, token_lookup=token_lookup(config, token),
            code_lookup=code_lookup(config, code), department=department, separation_type=separation_type,
            last_day=day, expires_on=day + timedelta(days=days), status=INVITED, created_on=today,
            created_by=hr.context.reviewer_id)
        session.add(invitation)
        audit.append(session, city, actor=hr.context.actor, action=AuditAction.EXIT_INVITATION_CREATED, when=clock(),
                     subject=invitation.id)
        number = session.exec(select(PhoneNumber.number).where(PhoneNumber.city_id == hr.city_id,
                                                               PhoneNumber.purpose == PURPOSE_EXIT)
                              .order_by(col(PhoneNumber.number))).first()
    return CreatedInvitation(invitation.id, token, format_code(code), day, invitation.expires_on,
                             phone_number=number, phone_code=phone_code(code) if number else None)


@dataclass(frozen=True)
class InvitationRow:
    invitation_id: str
    department: str
    separation_type: str
    last_day: date
    expires_on: date
    status: str
    expired: bool


@dataclass(frozen=True)
class InvitationList:
    rows: tuple[InvitationRow, ...]
    counts: dict[str, int]
    department_labels: dict[str, str]
    separation_labels: dict[str, str]


# How HR names each way of leaving: the questionnaire's own options speak as the employee ("I chose to leave").
# Marked for translation (intake.messages.N_); an option a city added keeps its questionnaire label.
STAFF_SEPARATION_LABELS = {
    "voluntary": N_("Resignation"),
    "retirement": N_("Retirement"),
    "involuntary": N_("Dismissal or layoff (the city ended the employment)"),
    "end_of_term": N_("End of a fixed term or season"),
}


def _staff_labels(questionnaire: Any, qid: str, language: str) -> dict[str, str]:
    question = questionnaire.question(qid)
    if question is None:
        return {}
    staff = STAFF_SEPARATION_LABELS if qid == "separation_type" else {}
    return {o.value: staff.get(o.value) or o.label.get(language) or o.label["en"] for o in question.options}


def list_invitations(db: Database, hr: HrAccess, *, language: str = "en",
                     clock: Clock = utc_now) -> InvitationList:
    """Every invitation of the city with its status only: invited, started or completed."""
    today = clock().date()
    with db.write() as session:
        questionnaire = from_row(current_row(session, hr.city_id, today))
        rows = session.exec(select(ExitInvitation).where(ExitInvitation.city_id == hr.city_id)
                            .order_by(col(ExitInvitation.last_day).desc(), col(ExitInvitation.id))).all()
    counts = Counter(row.status for row in rows)
    labels = {qid: _staff_labels(questionnaire, qid, language) for qid in ("department", "separation_type")}
    return InvitationList(
        tuple(InvitationRow(r.id, r.department, r.separation_type, r.last_day, r.expires_on, r.status,
                            r.status != COMPLETED and today > r.expires_on) for r in rows),
        {status: counts.get(status, 0) for status in (INVITED, STARTED, COMPLETED)},
        labels["department"], labels["separation_type"])


def questionnaire_choices(db: Database, hr: HrAccess, *, language: str = "en",
                          clock: Clock = utc_now) -> dict[str, Any]:
    """The department and separation-type options HR picks from when inviting, in HR's words."""
    with db.write() as session:
        questionnaire = from_row(current_row(session, hr.city_id, clock().date()))
    return {qid: list(_staff_labels(questionnaire, qid, language).items())
            for qid in ("department", "separation_type")}
