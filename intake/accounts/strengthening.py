"""A password record made under less than the configured Argon2id cost (the test suite's cost, or an older,
cheaper constant) is made again at full cost the next time its password is entered (docs/design.md#cryptography).

The password is only ever in memory during a sign-in, so that is the one moment this can happen. Everything the
reviewer holds is under the account key (docs/design.md#account-keys-and-passkeys), so only the account key's
wrapping under the password changes; the entry in the audit log of every city of the account records the costs,
never a secret. Sessions stay open: the password did not change.
"""

from __future__ import annotations

from sqlmodel import select

from crypto import account_keys
from crypto.passwords import PasswordRecord, enroll_password
from intake import audit
from intake.audit.actions import AuditAction
from intake.clock import Clock, utc_now
from intake.config import IntakeConfig
from intake.db import Database
from intake.models import Membership, Reviewer


def below_configured_cost(record: PasswordRecord, config: IntakeConfig) -> bool:
    return not record.cost.at_least(config.reviewer_kdf)


def strengthen_password(db: Database, config: IntakeConfig, reviewer_id: int, password: str, record: PasswordRecord,
                        account_key: bytes, *, clock: Clock = utc_now) -> bool:
    """Make the reviewer's password record again at ``config.reviewer_kdf`` and wrap the account key under the new
    master key. ``record`` is the record the password was just checked against. Returns whether it was written:
    if the record changed meanwhile (another sign-in strengthened it first, or the password was changed), nothing
    is written."""
    new_record, new_master = enroll_password(password, config.reviewer_kdf)  # outside the transaction: slow
    now = clock()
    with db.write() as session:
        row = session.exec(select(Reviewer).where(Reviewer.id == reviewer_id).with_for_update()).one()
        if row.password_record != record.encode() or row.password_wrapped_account_key is None:
            return False
        row.password_record = new_record.encode()
        row.password_wrapped_account_key = account_keys.wrap_under_password(account_key, new_master, reviewer_id)
        session.add(row)
        detail = {"from_memory_kib": record.cost.memory_kib, "from_iterations": record.cost.iterations,
                  "to_memory_kib": new_record.cost.memory_kib, "to_iterations": new_record.cost.iterations}
        for city_id in session.exec(select(Membership.city_id).where(Membership.reviewer_id == reviewer_id)).all():
            city = audit.lock_city(session, city_id)
            audit.append(session, city, actor=audit.reviewer_actor(reviewer_id),
                         action=AuditAction.REVIEWER_PASSWORD_REWRAPPED, when=now,
                         subject=audit.reviewer_actor(reviewer_id), detail=detail)
    return True
