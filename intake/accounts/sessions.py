"""Reviewer sessions (docs/design.md#sessions).

The cookie carries a session identifier and a 256-bit secret. The database keeps SHA-256 of the identifier and
each unlocked city key wrapped under a key derived from the secret. Neither the database nor the cookie alone
opens anything, and any app instance can serve any request.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
from dataclasses import dataclass, field
from datetime import timedelta

from sqlmodel import Session, col, delete, select

from crypto.errors import CryptoError
from crypto.wrapping import unwrap_with_key, wrap_under_key
from intake import audit
from intake.accounts.keyring import SignedInReviewer
from intake.accounts.reviewers import ROLE_COORDINATOR, ROLE_TOTP_ENROLMENT, ROLE_UNLOCK
from intake.audit.actions import AuditAction
from intake.clock import Clock, utc_now
from intake.config import IntakeConfig
from intake.db import Database
from intake.errors import NotFound
from intake.models import City, Membership, Reviewer, ReviewerSession, SessionCityKey

_ID_BYTES = 16
_SECRET_BYTES = 32

STAGE_FULL = "full"
STAGE_TOTP_ENROLMENT = "totp-enrolment"
STAGE_UNLOCK = "unlock"
# The city id of a regional coordinator's context: no city has it, so every case rule matches nothing.
NO_CITY = 0


@dataclass(frozen=True)
class ReviewerContext:
    """Who is acting, in which city, with what. Every case service takes one of these."""

    session_id: str
    reviewer_id: int
    email: str
    display_name: str
    city_id: int
    city_slug: str
    city_name: str
    role: str
    city_private_key: bytes | None
    # The anti-CSRF token for this session's forms: HMAC of the cookie secret, so it needs the cookie.
    csrf_token: str
    # The TOTP secret being enrolled (only in a session of stage "totp-enrolment").
    pending_totp_secret: bytes | None = None
    # The reviewer's account key (crypto.account_keys), open for this request only; None before unlocking.
    account_key: bytes | None = None
    # Opens the city's sealed routing exceptions (intake.routing), which every access rule reads. From the
    # server's pepper, never from the database.
    routing_key: bytes = field(default=b"", repr=False)

    @property
    def actor(self) -> str:
        return audit.reviewer_actor(self.reviewer_id)

    @property
    def regional(self) -> bool:
        return self.role == ROLE_COORDINATOR


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _row_id(identifier: bytes) -> str:
    return hashlib.sha256(b"hotline/v1/session-id|" + identifier).hexdigest()


def _session_key(secret: bytes, purpose: bytes) -> bytes:
    return hmac.new(secret, b"hotline/v1/session|" + purpose, hashlib.sha256).digest()


def _binding(row_id: str, city_id: int) -> bytes:
    return f"hotline/v1/session-city-key|session={row_id}|city={city_id}".encode()


def _totp_binding(row_id: str) -> bytes:
    return f"hotline/v1/session-totp|session={row_id}".encode()


def _account_binding(row_id: str) -> bytes:
    return f"hotline/v1/session-account-key|session={row_id}".encode()


def start_session(db: Database, signed_in: SignedInReviewer, city_id: int | None, *, clock: Clock = utc_now,
                  pending_totp_secret: bytes | None = None, method: str = "password+totp",
                  locked: bool = False) -> str:
    """Open a session working in ``city_id`` (None: a regional coordinator's) and return the cookie value.

    With ``pending_totp_secret`` the session is only for enrolling TOTP: it reaches the enrolment
    page alone, and the city keys it holds stay closed until :func:`confirm_totp_stage` is called. With
    ``locked`` (after single sign-on) it holds no key and reaches only the unlock page until
    :func:`unlock_session`. ``method`` says how the reviewer signed in, for the audit log.
    """
    if city_id is None:
        if not signed_in.regional_coordinator:
            raise NotFound("no role in that city")
    elif not any(m.city_id == city_id for m in signed_in.memberships):
        raise NotFound("no role in that city")
    identifier, secret = os.urandom(_ID_BYTES), os.urandom(_SECRET_BYTES)
    row_id = _row_id(identifier)
    now = clock()
    stage = (STAGE_UNLOCK if locked else STAGE_FULL if pending_totp_secret is None else STAGE_TOTP_ENROLMENT)
    with db.write() as session:
        session.add(ReviewerSession(
            id=row_id, reviewer_id=signed_in.reviewer_id, city_id=city_id, created_at=now, last_seen_at=now,
            stage=stage, method=method, pending_totp_secret=None if pending_totp_secret is None else wrap_under_key(
                pending_totp_secret, _session_key(secret, b"totp"), _totp_binding(row_id)),
            allowed_cities=",".join(str(m.city_id) for m in signed_in.memberships) if locked else None))
        session.flush()
        if not locked:
            _hold_keys(session, row_id, secret, signed_in)
        for held in signed_in.memberships if city_id is None else [m for m in signed_in.memberships
                                                                    if m.city_id == city_id]:
            city = audit.lock_city(session, held.city_id)
            detail: dict[str, str | int] = {"method": method}
            if city_id is None:
                detail["regional"] = 1
            audit.append(session, city, actor=audit.reviewer_actor(signed_in.reviewer_id),
                         action=AuditAction.REVIEWER_TOTP_ENROLMENT_STARTED if stage == STAGE_TOTP_ENROLMENT
                         else AuditAction.REVIEWER_SIGNED_IN, when=now, detail=detail)
    return f"{_b64(identifier)}.{_b64(secret)}"


def _hold_keys(session: Session, row_id: str, secret: bytes, signed_in: SignedInReviewer) -> None:
    """Keep the city keys and the account key the sign-in opened, wrapped under the cookie's secret; after single
    sign-on, only of the cities whose rules accepted it."""
    wrapping_key = _session_key(secret, b"city-keys")
    allowed = _allowed(session.get(ReviewerSession, row_id))
    for held in signed_in.memberships:
        if held.city_private_key is not None and (allowed is None or held.city_id in allowed):
            session.add(SessionCityKey(session_id=row_id, city_id=held.city_id, wrapped_city_key=wrap_under_key(
                held.city_private_key, wrapping_key, _binding(row_id, held.city_id))))
    if signed_in.account_key is not None:
        row = session.get(ReviewerSession, row_id)
        assert row is not None
        row.wrapped_account_key = wrap_under_key(signed_in.account_key, _session_key(secret, b"account-key"),
                                                 _account_binding(row_id))
        session.add(row)


def _allowed(row: ReviewerSession | None) -> set[int] | None:
    if row is None or row.allowed_cities is None:
        return None
    return {int(part) for part in row.allowed_cities.split(",") if part.isdigit()}


def unlock_session(db: Database, context: ReviewerContext, cookie: str, signed_in: SignedInReviewer, method: str,
                   *, clock: Clock = utc_now) -> None:
    """A session signed in by single sign-on gets the keys its reviewer just unlocked, and becomes a full one
    (audited with how the keys were unlocked)."""
    parsed = _parse_cookie(cookie)
    if parsed is None or signed_in.reviewer_id != context.reviewer_id:
        raise NotFound("no such session")
    _identifier, secret = parsed
    with db.write() as session:
        row = session.get(ReviewerSession, context.session_id)
        if row is None or row.stage != STAGE_UNLOCK:
            raise NotFound("no such session")
        row.stage, row.method, row.last_seen_at = STAGE_FULL, method, clock()
        session.add(row)
        session.flush()
        _hold_keys(session, context.session_id, secret, signed_in)
        if row.city_id is not None:
            city = audit.lock_city(session, row.city_id)
            audit.append(session, city, actor=context.actor, action=AuditAction.REVIEWER_KEYS_UNLOCKED,
                         when=clock(), detail={"method": method})


def confirm_totp_stage(db: Database, context: ReviewerContext, *, clock: Clock = utc_now) -> None:
    """The enrolling session becomes a full one, now that its reviewer has a confirmed TOTP secret."""
    with db.write() as session:
        row = session.get(ReviewerSession, context.session_id)
        if row is None:
            raise NotFound("no such session")
        row.stage = STAGE_FULL
        row.pending_totp_secret = None
        row.last_seen_at = clock()
        session.add(row)


def _parse_cookie(cookie: str) -> tuple[bytes, bytes] | None:
    parts = cookie.split(".")
    if len(parts) != 2 or len(cookie) > 200:
        return None
    try:
        identifier, secret = _unb64(parts[0]), _unb64(parts[1])
    except (binascii.Error, ValueError):
        return None
    if len(identifier) != _ID_BYTES or len(secret) != _SECRET_BYTES:
        return None
    return identifier, secret


def resume_session(db: Database, config: IntakeConfig, cookie: str, *, clock: Clock = utc_now) -> ReviewerContext:
    """The context for a cookie; :class:`NotFound` when it is unknown, expired, or its keys do not open."""
    parsed = _parse_cookie(cookie)
    if parsed is None:
        raise NotFound("no such session")
    identifier, secret = parsed
    row_id = _row_id(identifier)
    now = clock()
    with db.read() as session:
        row = session.get(ReviewerSession, row_id)
    if row is None:
        raise NotFound("no such session")
    if now - row.last_seen_at > timedelta(seconds=config.session_idle_seconds):
        end_session(db, cookie)
        raise NotFound("the session ended after being idle")
    if now - row.created_at > timedelta(seconds=config.session_max_seconds):
        # However busy: a stolen cookie, or a console left signed in on a shared screen, stops working within the
        # maximum lifetime (docs/design.md#sessions).
        end_session(db, cookie)
        raise NotFound("the session reached its maximum lifetime")
    with db.write() as session:
        row = session.get(ReviewerSession, row_id)
        if row is None:
            raise NotFound("no such session")
        reviewer = session.get(Reviewer, row.reviewer_id)
        if reviewer is None or not reviewer.active:
            raise NotFound("no such session")
        if row.city_id is None:
            city, membership, held = None, None, None
            if not reviewer.regional_coordinator:
                raise NotFound("no such session")
        else:
            city = session.get(City, row.city_id)
            membership = session.exec(select(Membership).where(
                Membership.reviewer_id == row.reviewer_id, Membership.city_id == row.city_id)).first()
            if city is None or membership is None:
                raise NotFound("no such session")
            held = session.get(SessionCityKey, (row_id, row.city_id))
        row.last_seen_at = now
        session.add(row)
    private = pending = account_key = None
    try:
        if held is not None and row.stage == STAGE_FULL and row.city_id is not None:
            private = unwrap_with_key(held.wrapped_city_key, _session_key(secret, b"city-keys"),
                                      _binding(row_id, row.city_id))
        if row.pending_totp_secret is not None:
            pending = unwrap_with_key(row.pending_totp_secret, _session_key(secret, b"totp"), _totp_binding(row_id))
        if row.wrapped_account_key is not None and row.stage == STAGE_FULL:
            account_key = unwrap_with_key(row.wrapped_account_key, _session_key(secret, b"account-key"),
                                          _account_binding(row_id))
    except CryptoError:
        raise NotFound("no such session") from None
    assert reviewer.id is not None
    if row.stage == STAGE_UNLOCK:
        role = ROLE_UNLOCK
    elif row.stage != STAGE_FULL:
        role = ROLE_TOTP_ENROLMENT
    elif membership is None:
        role = ROLE_COORDINATOR
    else:
        role = membership.role
    return ReviewerContext(
        session_id=row_id, reviewer_id=reviewer.id, email=reviewer.email, display_name=reviewer.display_name,
        city_id=city.id if city is not None and city.id is not None else NO_CITY,
        city_slug=city.slug if city is not None else "", city_name=city.name if city is not None else "",
        role=role, city_private_key=private, csrf_token=_b64(_session_key(secret, b"csrf")),
        pending_totp_secret=pending, account_key=account_key, routing_key=config.routing_key,
    )


def end_sessions_of(session: Session, reviewer_id: int) -> None:
    """End every session of a reviewer (after a password change or a restore), inside the caller's write."""
    ids = select(ReviewerSession.id).where(ReviewerSession.reviewer_id == reviewer_id)
    session.exec(delete(SessionCityKey).where(col(SessionCityKey.session_id).in_(ids)))
    session.exec(delete(ReviewerSession).where(col(ReviewerSession.reviewer_id) == reviewer_id))


def end_session(db: Database, cookie: str) -> None:
    parsed = _parse_cookie(cookie)
    if parsed is None:
        return
    row_id = _row_id(parsed[0])
    with db.write() as session:
        session.exec(delete(SessionCityKey).where(col(SessionCityKey.session_id) == row_id))
        session.exec(delete(ReviewerSession).where(col(ReviewerSession.id) == row_id))


def switch_city(db: Database, context: ReviewerContext, city_slug: str, *, clock: Clock = utc_now) -> None:
    """Work in another city the reviewer belongs to; :class:`NotFound` if they have no role there."""
    with db.write() as session:
        row = session.exec(
            select(City, Membership).join(Membership, Membership.city_id == City.id)  # type: ignore[arg-type]
            .where(City.slug == city_slug, Membership.reviewer_id == context.reviewer_id)
        ).first()
        current = session.get(ReviewerSession, context.session_id)
        if row is None or current is None:
            raise NotFound("no role in that city")
        city, _membership = row
        assert city.id is not None
        allowed = _allowed(current)
        if allowed is not None and city.id not in allowed:
            raise NotFound("that city's sign-in rules did not accept this sign-in")
        current.city_id = city.id
        session.add(current)
        locked = audit.lock_city(session, city.id)
        audit.append(session, locked, actor=context.actor, action=AuditAction.REVIEWER_SWITCHED_CITY, when=clock())


def cities_of(db: Database, reviewer_id: int) -> list[tuple[str, str]]:
    """(slug, name) of every city the reviewer has a role in."""
    with db.read() as session:
        rows = session.exec(
            select(City.slug, City.name).join(Membership, Membership.city_id == City.id)  # type: ignore[arg-type]
            .where(Membership.reviewer_id == reviewer_id).order_by(City.name)
        ).all()
    return [(slug, name) for slug, name in rows]


def end_enrolment_sessions_of(session: Session, reviewer_id: int) -> None:
    ids = select(ReviewerSession.id).where(ReviewerSession.reviewer_id == reviewer_id,
                                           ReviewerSession.stage == STAGE_TOTP_ENROLMENT)
    session.exec(delete(SessionCityKey).where(col(SessionCityKey.session_id).in_(ids)))
    session.exec(delete(ReviewerSession).where(col(ReviewerSession.reviewer_id) == reviewer_id,
                                               col(ReviewerSession.stage) == STAGE_TOTP_ENROLMENT))
