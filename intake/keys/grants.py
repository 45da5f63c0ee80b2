"""Reviewers' personal key pairs, and picking up a rotated city key at sign-in (docs/design.md#key-rotation).

Rotation (intake.keys.rotation) cannot re-wrap a reviewer's copy of the new city key under their password, which
the server never holds. It seals the key to the reviewer's personal public key instead (a ``CityKeyGrant``).
At the reviewer's next sign-in, with the master key their password just derived, :func:`pick_up_city_keys`
opens each grant and re-wraps the city key under the password, exactly as ``add_reviewer`` would have.
"""

from __future__ import annotations

import logging

from sqlmodel import Session, col, select

from crypto import hpke_keys
from crypto.errors import CryptoError
from crypto.passwords import city_key_wrapping_key
from crypto.personal_keys import (
    new_personal_key_pair,
    open_city_key_grant,
    open_personal_private_key,
    seal_city_key_to_reviewer,
)
from crypto.wrapping import wrap_under_key
from intake import audit
from intake.audit.actions import AuditAction
from intake.clock import Clock, utc_now
from intake.db import Database
from intake.models import City, CityKeyGrant, Membership, ReviewerKey

logger = logging.getLogger("hotline.keys")


def city_key_binding(city_id: int, reviewer_id: int) -> bytes:
    """The associated data of a reviewer's wrapped copy of a city key (docs/design.md#key-wrapping): a copy
    moved to another reviewer or city fails to open."""
    return b"hotline/v1/city-private-key|reviewer=%d|city=%d" % (reviewer_id, city_id)


def ensure_personal_key(session: Session, reviewer_id: int, account_key: bytes, *, clock: Clock = utc_now) -> bool:
    """Give the reviewer a personal key pair if they have none (in the caller's transaction)."""
    if session.get(ReviewerKey, reviewer_id) is not None:
        return False
    public, wrapped = new_personal_key_pair(account_key, reviewer_id)
    session.add(ReviewerKey(reviewer_id=reviewer_id, public_key=public, wrapped_private_key=wrapped,
                            created_at=clock()))
    return True


def replace_personal_key(session: Session, reviewer_id: int, account_key: bytes, *, clock: Clock = utc_now) -> None:
    """A new personal key pair under a new master key (a password reset): grants sealed to the old pair are
    dropped, since nobody can open them any more."""
    existing = session.get(ReviewerKey, reviewer_id)
    if existing is not None:
        session.delete(existing)
    for grant in session.exec(select(CityKeyGrant).where(CityKeyGrant.reviewer_id == reviewer_id)).all():
        session.delete(grant)
    session.flush()
    ensure_personal_key(session, reviewer_id, account_key, clock=clock)


def pick_up_city_keys(db: Database, reviewer_id: int, account_key: bytes, *, clock: Clock = utc_now) -> int:
    """Called from sign-in: make the personal key pair if missing and take every waiting rotated city key.

    Returns how many city keys were taken (the caller re-reads its memberships when it is not zero). A grant for
    an older key version than the city's current one is dropped: a later rotation superseded it.
    """
    with db.read() as session:
        has_key = session.get(ReviewerKey, reviewer_id) is not None
        waiting = session.exec(select(CityKeyGrant.city_id).where(CityKeyGrant.reviewer_id == reviewer_id)).first()
    if has_key and waiting is None:
        return 0  # the usual sign-in: nothing to write
    taken = 0
    with db.write() as session:
        ensure_personal_key(session, reviewer_id, account_key, clock=clock)
        session.flush()
        personal = session.get(ReviewerKey, reviewer_id)
        assert personal is not None
        grants = session.exec(select(CityKeyGrant).where(CityKeyGrant.reviewer_id == reviewer_id)
                              .order_by(col(CityKeyGrant.city_id))).all()
        if not grants:
            return 0
        try:
            personal_private = open_personal_private_key(personal.wrapped_private_key, account_key, reviewer_id)
        except CryptoError:
            logger.warning("personal key does not open", extra={"fields": {"reviewer": reviewer_id}})
            return 0
        for grant in grants:
            city = audit.lock_city(session, grant.city_id)
            membership = session.exec(select(Membership).where(Membership.reviewer_id == reviewer_id,
                                                               Membership.city_id == grant.city_id)).first()
            session.delete(grant)
            if membership is None or grant.key_version != city.key_version:
                continue
            try:
                city_private = open_city_key_grant(grant.sealed_city_key, personal_private, city_id=grant.city_id,
                                                   reviewer_id=reviewer_id, key_version=grant.key_version)
            except CryptoError:
                continue
            if hpke_keys.public_bytes_of(city_private) != city.public_key:
                continue
            membership.wrapped_city_key = wrap_under_key(
                city_private, city_key_wrapping_key(account_key, grant.city_id),
                city_key_binding(grant.city_id, reviewer_id))
            session.add(membership)
            audit.append(session, city, actor=audit.reviewer_actor(reviewer_id), action=AuditAction.KEY_GRANT_TAKEN,
                         when=clock(), detail={"key_version": grant.key_version})
            taken += 1
    return taken


def grant_city_key(session: Session, reviewer_id: int, city: City, city_private_key: bytes, *,
                   clock: Clock = utc_now) -> bool:
    """Seal the city key to a reviewer's personal key, to be taken at their next sign-in (a reviewer added to
    another city, whose password the server never holds). False when they have no personal key yet."""
    personal = session.get(ReviewerKey, reviewer_id)
    if personal is None or city.id is None:
        return False
    existing = session.get(CityKeyGrant, (reviewer_id, city.id))
    if existing is not None:
        session.delete(existing)
        session.flush()
    session.add(CityKeyGrant(reviewer_id=reviewer_id, city_id=city.id, key_version=city.key_version,
                             sealed_city_key=seal_city_key_to_reviewer(
                                 city_private_key, personal.public_key, city_id=city.id, reviewer_id=reviewer_id,
                                 key_version=city.key_version), created_at=clock()))
    return True


def city_members_without_personal_key(session: Session, city: City) -> list[int]:
    """Reviewers holding this city's key who have no personal key pair yet (they have not signed in since the
    upgrade that introduced personal keys), whom a rotation cannot reach."""
    rows = session.exec(
        select(Membership.reviewer_id).where(Membership.city_id == city.id,
                                             col(Membership.wrapped_city_key).is_not(None))
        .where(~select(ReviewerKey.reviewer_id).where(ReviewerKey.reviewer_id == Membership.reviewer_id).exists())
    ).all()
    return list(rows)
