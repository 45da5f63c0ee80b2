"""A password record made under less than the configured Argon2id cost (the test suite's cost, or an older,
cheaper constant) is made again at full cost the next time its password is entered, and every key under it is
wrapped again (docs/design.md#cryptography).

The password is only ever in memory during a sign-in, so that is the one moment this can happen. The new master
key wraps the personal key, each city key the old one opened and the TOTP secret; the entry in the audit log of
every city of the account records the costs, never a secret. Sessions stay open: the password did not change.
"""

from __future__ import annotations

from sqlmodel import select

from crypto.errors import CryptoError, WrongSecret
from crypto.passwords import PasswordRecord, city_key_wrapping_key, enroll_password, unlock_with_password
from crypto.wrapping import unwrap_with_key, wrap_under_key
from intake import audit
from intake.accounts import totp
from intake.audit.actions import AuditAction
from intake.clock import Clock, utc_now
from intake.config import IntakeConfig
from intake.db import Database
from intake.errors import WrongCredentials
from intake.keys.grants import city_key_binding, rewrap_personal_key
from intake.models import Membership, Reviewer


def below_configured_cost(record: PasswordRecord, config: IntakeConfig) -> bool:
    return not record.cost.at_least(config.reviewer_kdf)


def strengthen_password(db: Database, config: IntakeConfig, reviewer_id: int, password: str, record: PasswordRecord,
                        master_key: bytes, *, clock: Clock = utc_now) -> bytes:
    """Make the reviewer's password record again at ``config.reviewer_kdf`` and wrap every key under the new master
    key. ``record`` is the record ``master_key`` was derived from. Returns the master key valid from now on.

    If the record changed meanwhile (another sign-in strengthened it first, or the password was changed), nothing
    is written and the master key of the stored record is derived instead; :class:`WrongCredentials` if the
    password no longer matches it.
    """
    new_record, new_master = enroll_password(password, config.reviewer_kdf)  # outside the transaction: slow
    now = clock()
    with db.write() as session:
        row = session.exec(select(Reviewer).where(Reviewer.id == reviewer_id).with_for_update()).one()
        if row.password_record != record.encode():
            current = PasswordRecord.decode(row.password_record)
        else:
            current = None
            memberships = session.exec(select(Membership).where(Membership.reviewer_id == reviewer_id)).all()
            for membership in memberships:
                if membership.wrapped_city_key is None:
                    continue
                try:
                    city_key = unwrap_with_key(membership.wrapped_city_key,
                                               city_key_wrapping_key(master_key, membership.city_id),
                                               city_key_binding(membership.city_id, reviewer_id))
                except WrongSecret:
                    continue  # a copy already closed (intake.accounts.restore): it stays closed
                membership.wrapped_city_key = wrap_under_key(city_key, city_key_wrapping_key(new_master,
                                                                                             membership.city_id),
                                                             city_key_binding(membership.city_id, reviewer_id))
                session.add(membership)
            if row.totp_wrapped_secret is not None:
                try:
                    secret = totp.unwrap_secret(row.totp_wrapped_secret, master_key, reviewer_id)
                    row.totp_wrapped_secret = totp.wrap_secret(secret, new_master, reviewer_id)
                except CryptoError:
                    pass  # it did not open before either; the reviewer sets TOTP up again
            rewrap_personal_key(session, reviewer_id, master_key, new_master)
            row.password_record = new_record.encode()
            session.add(row)
            detail = {"from_memory_kib": record.cost.memory_kib, "from_iterations": record.cost.iterations,
                      "to_memory_kib": new_record.cost.memory_kib, "to_iterations": new_record.cost.iterations}
            for membership in memberships:
                city = audit.lock_city(session, membership.city_id)
                audit.append(session, city, actor=audit.reviewer_actor(reviewer_id),
                             action=AuditAction.REVIEWER_PASSWORD_REWRAPPED, when=now,
                             subject=audit.reviewer_actor(reviewer_id), detail=detail)
    if current is None:
        return new_master
    try:
        return unlock_with_password(password, current)
    except WrongSecret:
        raise WrongCredentials("wrong email or password") from None
