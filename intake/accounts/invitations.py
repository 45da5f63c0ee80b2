"""Joining a city by invitation (docs/design.md#joining-a-city-by-invitation).

A city admin invites an email with a role. The answer, the audit entry and everything the admin can see afterwards
are the same whether the email already has an account (in another city) or not, and no step asks for another
account's password:

- the admin gets a one-time code to hand over in person (crypto.invitations), valid for
  :data:`INVITATION_DAYS` days;
- the owner of an existing account sees the invitation on their account page once signed in, and accepts or
  declines it there. Their copy of the city key was sealed to their personal key when the invitation was made,
  and is re-wrapped under their password at their next sign-in (intake.keys.grants), as after a key rotation;
- a person without an account opens the join page with the code and chooses a password; the city key wrapped
  under the code becomes theirs, and they set up TOTP at their first sign-in. On that page an email that already
  has an account gets the very same answer, and nothing changes: its owner accepts while signed in.

Each invitation, acceptance, refusal and withdrawal is in the city's audit log.
"""

from __future__ import annotations

import contextlib
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, col, delete, select

from crypto import invitations as codes
from crypto.errors import CryptoError, WrongSecret
from crypto.passwords import city_key_wrapping_key, unlock_with_password
from crypto.personal_keys import seal_city_key_to_reviewer
from crypto.wrapping import wrap_under_key
from intake import audit
from intake.accounts.keyring import enroll
from intake.accounts.reviewers import (
    CONTENT_ROLES,
    ROLE_ADMIN,
    ROLE_REVIEWER,
    ROLES,
    dummy_password_record,
    email_problem,
    normalize_email,
    password_problem,
)
from intake.accounts.sessions import ReviewerContext
from intake.audit.actions import AuditAction
from intake.clock import Clock, utc_now
from intake.config import IntakeConfig
from intake.db import Database
from intake.errors import AlreadyExists, InvalidInput, NotFound
from intake.keys.grants import city_key_binding, ensure_personal_key
from intake.messages import N_
from intake.models import City, CityKeyGrant, Membership, Reviewer, ReviewerInvitation, ReviewerKey
from intake.routing import DEFAULT_CASE_GROUP, join_groups

INVITATION_DAYS = 14


@dataclass(frozen=True)
class MadeInvitation:
    invitation_id: str
    email: str
    role: str
    code: str  # formatted in groups, shown once to the admin
    expires_at: datetime


@dataclass(frozen=True)
class OpenInvitation:
    """An invitation as the city's admins see it."""

    invitation_id: str
    email: str
    display_name: str
    role: str
    expires_at: datetime
    expired: bool


@dataclass(frozen=True)
class InvitationForMe:
    """An invitation as its invitee sees it, signed in."""

    invitation_id: str
    city_slug: str
    city_name: str
    role: str
    expires_at: datetime


@dataclass(frozen=True)
class CodeInvitation:
    """What the join page shows to whoever holds a valid code."""

    email: str
    display_name: str
    city_name: str
    role: str


def _subject(invitation_id: str) -> str:
    return f"invitation:{invitation_id}"


def _as_utc(moment: datetime, now: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=now.tzinfo)


def _require_admin(context: ReviewerContext) -> None:
    if context.role != ROLE_ADMIN:
        raise NotFound("only a city admin can do this")


def invite(db: Database, config: IntakeConfig, context: ReviewerContext, *, email: str, display_name: str,
           role: str, clock: Clock = utc_now) -> MadeInvitation:
    """Invite ``email`` to the admin's city with ``role``. The same answer whether it has an account or not."""
    _require_admin(context)
    email = normalize_email(email)
    problems = {}
    if (problem := email_problem(email)) is not None:
        problems["email"] = problem
    if not display_name.strip() or len(display_name) > 200:
        problems["name"] = N_("Give the reviewer's name as reporters should see it (at most 200 characters).")
    if role not in ROLES:
        problems["role"] = N_("Choose one of the roles listed.")
    if problems:
        raise InvalidInput(problems)
    city_key = context.city_private_key if role in CONTENT_ROLES else None
    if role in CONTENT_ROLES and city_key is None:
        raise InvalidInput({"role": N_("This role reads cases, so your copy of the city key must be open to invite "
                                       "someone with it.")})
    invitation_id, code, now = uuid.uuid4().hex, codes.new_code(), clock()
    expires = now + timedelta(days=INVITATION_DAYS)
    with db.write() as session:
        city = audit.lock_city(session, context.city_id)
        assert city.id is not None
        # What the admin may be told: the city's own members and invitations, which they see on their page.
        member = session.exec(select(Membership).join(Reviewer, col(Reviewer.id) == col(Membership.reviewer_id))
                              .where(Membership.city_id == city.id, Reviewer.email == email)).first()
        if member is not None:
            raise AlreadyExists("that email already has a role in this city")
        if session.exec(select(ReviewerInvitation).where(ReviewerInvitation.city_id == city.id,
                                                         ReviewerInvitation.email == email)).first():
            raise AlreadyExists("that email already has an open invitation to this city: withdraw it first")
        sealed = None
        existing = session.exec(select(Reviewer).where(Reviewer.email == email)).first()
        personal = session.get(ReviewerKey, existing.id) if existing is not None else None
        if city_key is not None and existing is not None and existing.id is not None and personal is not None:
            sealed = seal_city_key_to_reviewer(city_key, personal.public_key, city_id=city.id,
                                               reviewer_id=existing.id, key_version=city.key_version)
        session.add(ReviewerInvitation(
            id=invitation_id, city_id=city.id, email=email, display_name=display_name.strip(), role=role,
            code_lookup=codes.code_lookup(config.pepper, code),
            wrapped_city_key=None if city_key is None else codes.wrap_for_invitation(
                city_key, code, invitation_id=invitation_id, city_id=city.id),
            sealed_city_key=sealed, key_version=city.key_version, invited_by=context.reviewer_id,
            created_at=now, expires_at=expires))
        audit.append(session, city, actor=context.actor, action=AuditAction.REVIEWER_INVITED, when=now,
                     subject=_subject(invitation_id), detail={"role": role})
    return MadeInvitation(invitation_id, email, role, codes.format_code(code), expires)


def open_invitations(db: Database, context: ReviewerContext, *, clock: Clock = utc_now) -> list[OpenInvitation]:
    _require_admin(context)
    now = clock()
    with db.read() as session:
        rows = session.exec(select(ReviewerInvitation).where(ReviewerInvitation.city_id == context.city_id)
                            .order_by(col(ReviewerInvitation.created_at))).all()
    return [OpenInvitation(row.id, row.email, row.display_name, row.role, row.expires_at,
                           _as_utc(row.expires_at, now) <= now) for row in rows]


def withdraw(db: Database, context: ReviewerContext, invitation_id: str, *, clock: Clock = utc_now) -> None:
    _require_admin(context)
    with db.write() as session:
        row = session.get(ReviewerInvitation, invitation_id[:32])
        if row is None or row.city_id != context.city_id:
            raise InvalidInput({"invitation": N_("That invitation is no longer open.")})
        session.delete(row)
        city = audit.lock_city(session, context.city_id)
        audit.append(session, city, actor=context.actor, action=AuditAction.REVIEWER_INVITATION_WITHDRAWN,
                     when=clock(), subject=_subject(row.id))


def invitations_for(db: Database, context: ReviewerContext, *, clock: Clock = utc_now) -> list[InvitationForMe]:
    """The open invitations addressed to the signed-in reviewer's email."""
    now = clock()
    with db.read() as session:
        rows = session.exec(select(ReviewerInvitation, City).join(City, col(City.id) == col(ReviewerInvitation.city_id))
                            .where(ReviewerInvitation.email == normalize_email(context.email))
                            .order_by(col(City.name))).all()
    return [InvitationForMe(row.id, city.slug, city.name, row.role, row.expires_at) for row, city in rows
            if _as_utc(row.expires_at, now) > now]


def _mine(session: Session, context: ReviewerContext, invitation_id: str, now: datetime) -> ReviewerInvitation:
    row = session.exec(select(ReviewerInvitation).where(col(ReviewerInvitation.id) == invitation_id[:32])
                       .with_for_update()).first()
    if row is None or row.email != normalize_email(context.email) or _as_utc(row.expires_at, now) <= now:
        raise InvalidInput({"invitation": N_("That invitation is no longer open.")})
    return row


def _join(session: Session, city: City, reviewer_id: int, invitation: ReviewerInvitation, wrapped: bytes | None,
          now: datetime) -> None:
    assert city.id is not None
    if session.exec(select(Membership).where(Membership.reviewer_id == reviewer_id,
                                             Membership.city_id == city.id)).first():
        raise AlreadyExists("you already have a role in that city")
    session.add(Membership(reviewer_id=reviewer_id, city_id=city.id, role=invitation.role, wrapped_city_key=wrapped,
                           created_at=now))
    join_groups(session, city.id, reviewer_id, (DEFAULT_CASE_GROUP,) if invitation.role == ROLE_REVIEWER else ())
    session.delete(invitation)


def _current(invitation: ReviewerInvitation, city: City) -> None:
    if invitation.role in CONTENT_ROLES and invitation.key_version != city.key_version:
        raise InvalidInput({"invitation": N_("The city's key changed after this invitation was made: ask the city's "
                                             "admin for a new one.")})


def accept(db: Database, context: ReviewerContext, invitation_id: str, *, clock: Clock = utc_now) -> str:
    """The signed-in owner of the invited email joins the city; returns its name. Their copy of the city key
    waits, sealed to their personal key, for their next sign-in."""
    now = clock()
    with db.write() as session:
        row = _mine(session, context, invitation_id, now)
        city = audit.lock_city(session, row.city_id)
        _current(row, city)
        assert city.id is not None
        if row.sealed_city_key is not None:
            stale = session.get(CityKeyGrant, (context.reviewer_id, city.id))
            if stale is not None:
                session.delete(stale)
                session.flush()
            session.add(CityKeyGrant(reviewer_id=context.reviewer_id, city_id=city.id, key_version=row.key_version,
                                     sealed_city_key=row.sealed_city_key, created_at=now))
        _join(session, city, context.reviewer_id, row, None, now)
        audit.append(session, city, actor=context.actor, action=AuditAction.REVIEWER_INVITATION_ACCEPTED, when=now,
                     subject=_subject(row.id), detail={"role": row.role})
        return city.name


def decline(db: Database, context: ReviewerContext, invitation_id: str, *, clock: Clock = utc_now) -> None:
    now = clock()
    with db.write() as session:
        row = _mine(session, context, invitation_id, now)
        session.delete(row)
        city = audit.lock_city(session, row.city_id)
        audit.append(session, city, actor=context.actor, action=AuditAction.REVIEWER_INVITATION_DECLINED, when=now,
                     subject=_subject(row.id))


def _by_code(session: Session, config: IntakeConfig, text: str, now: datetime) -> tuple[ReviewerInvitation, str]:
    code = codes.parse_code(text)
    row = None if code is None else session.exec(select(ReviewerInvitation).where(
        ReviewerInvitation.code_lookup == codes.code_lookup(config.pepper, code))).first()
    if row is None or code is None or _as_utc(row.expires_at, now) <= now:
        raise NotFound("no open invitation has that code")
    return row, code


def invitation_for_code(db: Database, config: IntakeConfig, code: str, *, clock: Clock = utc_now) -> CodeInvitation:
    """:class:`NotFound` for a wrong, used or expired code."""
    with db.read() as session:
        row, _code = _by_code(session, config, code, clock())
        city = session.get(City, row.city_id)
    assert city is not None
    return CodeInvitation(row.email, row.display_name, city.name, row.role)


def join_with_code(db: Database, config: IntakeConfig, *, code: str, password: str,
                   clock: Clock = utc_now) -> None:
    """A person without an account joins with the code and a password of their choosing.

    An email that already has an account gets the same answer (and costs the same Argon2id derivation), and
    nothing changes: the account's password stays, and its owner accepts the invitation while signed in."""
    now = clock()
    if (problem := password_problem(password)) is not None:
        raise InvalidInput({"password": problem})
    with db.read() as session:
        row, parsed = _by_code(session, config, code, now)
        exists = session.exec(select(Reviewer.id).where(Reviewer.email == row.email)).first() is not None
    if exists:
        with contextlib.suppress(WrongSecret):
            unlock_with_password(password, dummy_password_record(config))
        return
    enrolled = enroll(password, config)
    with db.write() as session:
        row, parsed = _by_code(session, config, code, now)
        city = audit.lock_city(session, row.city_id)
        _current(row, city)
        assert city.id is not None
        if session.exec(select(Reviewer.id).where(Reviewer.email == row.email)).first() is not None:
            return  # made meanwhile: the same answer as above
        reviewer = Reviewer(email=row.email, display_name=row.display_name,
                            password_record=enrolled.record.encode(), created_at=now)
        session.add(reviewer)
        session.flush()
        assert reviewer.id is not None
        enrolled.seal(reviewer)
        session.add(reviewer)
        ensure_personal_key(session, reviewer.id, enrolled.account_key, clock=clock)
        wrapped = None
        if row.wrapped_city_key is not None:
            try:
                private = codes.open_with_invitation(row.wrapped_city_key, parsed, invitation_id=row.id,
                                                     city_id=city.id)
            except CryptoError:
                raise NotFound("no open invitation has that code") from None
            wrapped = wrap_under_key(private, city_key_wrapping_key(enrolled.account_key, city.id),
                                     city_key_binding(city.id, reviewer.id))
        invitation_id, role = row.id, row.role
        _join(session, city, reviewer.id, row, wrapped, now)
        audit.append(session, city, actor=audit.reviewer_actor(reviewer.id),
                     action=AuditAction.REVIEWER_INVITATION_ACCEPTED, when=now, subject=_subject(invitation_id),
                     detail={"role": role})


def purge_expired_invitations(db: Database, *, clock: Clock = utc_now) -> int:
    """Delete invitations that expired (the audit log keeps that they were made)."""
    with db.write() as session:
        expired = list(session.exec(select(ReviewerInvitation.id).where(
            col(ReviewerInvitation.expires_at) <= clock())))
        if expired:
            session.execute(delete(ReviewerInvitation).where(col(ReviewerInvitation.id).in_(expired)))
    return len(expired)
