"""A reviewer's keys behind one account key (docs/design.md#account-keys-and-passkeys).

Whatever unlocks the account key (the password, a passkey's PRF output) then opens the same things: the copy of
each city's private key, the TOTP secret and the personal key pair, all wrapped under keys derived from the
account key. Accounts made before account keys had those wrapped under the password's Argon2id master key
directly; the first sign-in with the password moves them (:func:`account_key_from_password`), losing nothing.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

from sqlmodel import Session, select

from crypto import account_keys
from crypto.errors import CryptoError, WrongSecret
from crypto.passwords import PasswordRecord, city_key_wrapping_key, enroll_password
from crypto.personal_keys import open_personal_private_key, personal_binding, personal_key_wrapping_key
from crypto.wrapping import unwrap_with_key, wrap_under_key
from intake import audit
from intake.accounts import totp
from intake.audit.actions import AuditAction
from intake.clock import Clock, utc_now
from intake.config import IntakeConfig
from intake.db import Database
from intake.keys.grants import city_key_binding, pick_up_city_keys
from intake.models import City, Membership, Reviewer, ReviewerKey


@dataclass(frozen=True)
class UnlockedMembership:
    city_id: int
    city_slug: str
    city_name: str
    role: str
    # The city private key, in memory only for the length of the sign-in; None for auditors.
    city_private_key: bytes | None


@dataclass(frozen=True)
class SignedInReviewer:
    reviewer_id: int
    email: str
    display_name: str
    memberships: tuple[UnlockedMembership, ...]
    regional_coordinator: bool = False
    # The account key, in memory for this request only; a session keeps it wrapped under its cookie's secret.
    account_key: bytes | None = None


@dataclass(frozen=True)
class UnlockedReviewer:
    """A reviewer whose account key is open: their row, the account key and the city keys it opened."""

    reviewer: Reviewer
    account_key: bytes
    signed_in: SignedInReviewer


@dataclass(frozen=True)
class EnrolledPassword:
    """A new password and a new account key, before the reviewer row has an id to bind them to."""

    record: PasswordRecord
    master_key: bytes
    account_key: bytes

    def seal(self, reviewer: Reviewer) -> None:
        """Store the account key wrapped under the password on the (flushed) reviewer row."""
        assert reviewer.id is not None
        reviewer.password_record = self.record.encode()
        reviewer.password_wrapped_account_key = account_keys.wrap_under_password(self.account_key, self.master_key,
                                                                                 reviewer.id)


def enroll(password: str, config: IntakeConfig, *, account_key: bytes | None = None) -> EnrolledPassword:
    """A password record for ``password``, with a new account key (or ``account_key``, for a password change)."""
    record, master_key = enroll_password(password, config.reviewer_kdf)
    return EnrolledPassword(record, master_key, account_key or account_keys.new_account_key())


def account_key_from_password(db: Database, reviewer: Reviewer, master_key: bytes, *,
                              clock: Clock = utc_now) -> bytes:
    """The account key the password's master key opens; for an account made before account keys, a new one,
    with everything the master key wrapped moved under it (audited as ``reviewer.account_key_made``)."""
    assert reviewer.id is not None
    if reviewer.password_wrapped_account_key is not None:
        return account_keys.open_with_password(reviewer.password_wrapped_account_key, master_key, reviewer.id)
    with db.write() as session:
        row = session.exec(select(Reviewer).where(Reviewer.id == reviewer.id).with_for_update()).one()
        if row.password_wrapped_account_key is not None:  # moved meanwhile by another sign-in
            return account_keys.open_with_password(row.password_wrapped_account_key, master_key, reviewer.id)
        account_key = account_keys.new_account_key()
        _move_under_account_key(session, row, master_key, account_key)
        row.password_wrapped_account_key = account_keys.wrap_under_password(account_key, master_key, reviewer.id)
        session.add(row)
        for membership in session.exec(select(Membership).where(Membership.reviewer_id == reviewer.id)).all():
            city = audit.lock_city(session, membership.city_id)
            audit.append(session, city, actor=audit.reviewer_actor(reviewer.id),
                         action=AuditAction.REVIEWER_ACCOUNT_KEY_MADE, when=clock())
        return account_key


def _move_under_account_key(session: Session, reviewer: Reviewer, master_key: bytes, account_key: bytes) -> None:
    """Re-wrap what the master key wrapped (city keys, TOTP secret, personal key) under the account key."""
    assert reviewer.id is not None
    for membership in session.exec(select(Membership).where(Membership.reviewer_id == reviewer.id)).all():
        if membership.wrapped_city_key is None:
            continue
        binding = city_key_binding(membership.city_id, reviewer.id)
        try:
            private = unwrap_with_key(membership.wrapped_city_key,
                                      city_key_wrapping_key(master_key, membership.city_id), binding)
        except CryptoError:
            continue  # a copy closed by a restore elsewhere stays closed (docs/design.md#key-wrapping)
        membership.wrapped_city_key = wrap_under_key(private, city_key_wrapping_key(account_key, membership.city_id),
                                                     binding)
        session.add(membership)
    if reviewer.totp_wrapped_secret is not None:
        with contextlib.suppress(CryptoError):
            secret = totp.unwrap_secret(reviewer.totp_wrapped_secret, master_key, reviewer.id)
            reviewer.totp_wrapped_secret = totp.wrap_secret(secret, account_key, reviewer.id)
    personal = session.get(ReviewerKey, reviewer.id)
    if personal is not None:
        with contextlib.suppress(CryptoError):
            private_key = open_personal_private_key(personal.wrapped_private_key, master_key, reviewer.id)
            personal.wrapped_private_key = wrap_under_key(private_key, personal_key_wrapping_key(account_key),
                                                          personal_binding(reviewer.id))
            session.add(personal)


def open_account(db: Database, reviewer: Reviewer, account_key: bytes) -> UnlockedReviewer:
    """Open every city key the account key holds, after taking any waiting grant (a rotation, an invitation)."""
    assert reviewer.id is not None
    pick_up_city_keys(db, reviewer.id, account_key)
    with db.read() as session:
        rows = session.exec(
            select(Membership, City).join(City, City.id == Membership.city_id)  # type: ignore[arg-type]
            .where(Membership.reviewer_id == reviewer.id)
        ).all()
    memberships = []
    for membership, city in rows:
        assert city.id is not None
        private = None
        if membership.wrapped_city_key is not None:
            # A copy dropped or left behind by a restore in another city (intake.accounts.restore) stays closed:
            # the reviewer keeps the role but reads nothing there until that city restores it too.
            with contextlib.suppress(WrongSecret):
                private = unwrap_with_key(membership.wrapped_city_key, city_key_wrapping_key(account_key, city.id),
                                          city_key_binding(city.id, reviewer.id))
        memberships.append(UnlockedMembership(city.id, city.slug, city.name, membership.role, private))
    signed_in = SignedInReviewer(reviewer.id, reviewer.email, reviewer.display_name, tuple(memberships),
                                 reviewer.regional_coordinator, account_key)
    return UnlockedReviewer(reviewer, account_key, signed_in)
