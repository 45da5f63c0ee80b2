"""Reviewer sessions (DESIGN.md section 4, "Sessions").

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
from dataclasses import dataclass
from datetime import timedelta

from sqlmodel import col, delete, select

from crypto.errors import CryptoError
from crypto.wrapping import unwrap_with_key, wrap_under_key
from intake import audit
from intake.clock import Clock, utc_now
from intake.config import IntakeConfig
from intake.db import Database
from intake.errors import NotFound
from intake.models import City, Membership, Reviewer, ReviewerSession, SessionCityKey
from intake.reviewers import SignedInReviewer

_ID_BYTES = 16
_SECRET_BYTES = 32


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

    @property
    def actor(self) -> str:
        return audit.reviewer_actor(self.reviewer_id)


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


def start_session(db: Database, signed_in: SignedInReviewer, city_id: int, *, clock: Clock = utc_now) -> str:
    """Open a session working in ``city_id`` and return the cookie value."""
    membership = next((m for m in signed_in.memberships if m.city_id == city_id), None)
    if membership is None:
        raise NotFound("no role in that city")
    identifier, secret = os.urandom(_ID_BYTES), os.urandom(_SECRET_BYTES)
    row_id = _row_id(identifier)
    wrapping_key = _session_key(secret, b"city-keys")
    now = clock()
    with db.write() as session:
        session.add(ReviewerSession(id=row_id, reviewer_id=signed_in.reviewer_id, city_id=city_id,
                                    created_at=now, last_seen_at=now))
        session.flush()
        for held in signed_in.memberships:
            if held.city_private_key is not None:
                session.add(SessionCityKey(session_id=row_id, city_id=held.city_id, wrapped_city_key=wrap_under_key(
                    held.city_private_key, wrapping_key, _binding(row_id, held.city_id))))
        city = audit.lock_city(session, city_id)
        audit.append(session, city, actor=audit.reviewer_actor(signed_in.reviewer_id), action="reviewer.signed_in",
                     when=now)
    return f"{_b64(identifier)}.{_b64(secret)}"


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
    with db.write() as session:
        row = session.get(ReviewerSession, row_id)
        if row is None:
            raise NotFound("no such session")
        reviewer = session.get(Reviewer, row.reviewer_id)
        city = session.get(City, row.city_id)
        membership = session.exec(select(Membership).where(
            Membership.reviewer_id == row.reviewer_id, Membership.city_id == row.city_id)).first()
        if reviewer is None or city is None or membership is None or not reviewer.active:
            raise NotFound("no such session")
        held = session.get(SessionCityKey, (row_id, row.city_id))
        row.last_seen_at = now
        session.add(row)
    private = None
    if held is not None:
        try:
            private = unwrap_with_key(held.wrapped_city_key, _session_key(secret, b"city-keys"),
                                      _binding(row_id, row.city_id))
        except CryptoError:
            raise NotFound("no such session") from None
    assert city.id is not None and reviewer.id is not None
    return ReviewerContext(
        session_id=row_id, reviewer_id=reviewer.id, email=reviewer.email, display_name=reviewer.display_name,
        city_id=city.id, city_slug=city.slug, city_name=city.name, role=membership.role,
        city_private_key=private, csrf_token=_b64(_session_key(secret, b"csrf")),
    )


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
        current.city_id = city.id
        session.add(current)
        locked = audit.lock_city(session, city.id)
        audit.append(session, locked, actor=context.actor, action="reviewer.switched_city", when=clock())


def cities_of(db: Database, reviewer_id: int) -> list[tuple[str, str]]:
    """(slug, name) of every city the reviewer has a role in."""
    with db.read() as session:
        rows = session.exec(
            select(City.slug, City.name).join(Membership, Membership.city_id == City.id)  # type: ignore[arg-type]
            .where(Membership.reviewer_id == reviewer_id).order_by(City.name)
        ).all()
    return [(slug, name) for slug, name in rows]
