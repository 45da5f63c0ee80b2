"""Restoring a reviewer's access with the city's recovery key: a lost password never loses data
(docs/design.md#key-wrapping).

The recovery key, kept offline since the city was created, opens the city private key, and a new password wraps
a fresh copy of it. What the lost password wrapped cannot be opened again, so the one service below does every
step together: a new password record, a new personal key pair (so later rotations reach the account), the
city key re-wrapped, the account's copies of other cities' keys closed (each of those cities restores it the same
way), TOTP to set up again, and every session ended. Two people may ask for it: a city admin for a reviewer of
the city (the console), and the operator at the command line (``hotline key recover``) for an admin when every
admin lost their password; the latter may create the account.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import col, delete, select

from crypto import hpke_keys
from crypto.errors import CryptoError, WrongSecret
from crypto.passwords import city_key_wrapping_key
from crypto.wrapping import wrap_under_key
from intake import audit
from intake.accounts.keyring import enroll
from intake.accounts.reviewers import (
    CONTENT_ROLES,
    ROLE_ADMIN,
    email_problem,
    normalize_email,
    password_problem,
)
from intake.accounts.sessions import ReviewerContext, end_sessions_of
from intake.audit.actions import AuditAction
from intake.cities import city_by_slug, open_city_key_with_recovery_key, recovery_key_refusal
from intake.clock import Clock, utc_now
from intake.config import IntakeConfig
from intake.db import Database
from intake.errors import InvalidInput, NotFound
from intake.keys.grants import city_key_binding, replace_personal_key
from intake.messages import N_
from intake.models import City, Membership, Passkey, Reviewer


@dataclass(frozen=True)
class RestoredAccess:
    reviewer_id: int
    email: str
    city_slug: str
    new_account: bool
    # Cities where the reviewer also had a copy of the city key, now closed until that city restores it.
    cities_to_restore: tuple[str, ...]


def restore_access(db: Database, config: IntakeConfig, context: ReviewerContext, *, email: str,
                   recovery_key: str, new_password: str, clock: Clock = utc_now) -> RestoredAccess:
    """A city admin gives a reviewer of the city who lost their password a new one. Their role is kept."""
    if context.role != ROLE_ADMIN:
        raise NotFound("only a city admin restores access")
    problems: dict[str, str] = {}
    email = normalize_email(email)
    with db.read() as session:
        city = session.get(City, context.city_id)
        reviewer = session.exec(select(Reviewer).where(Reviewer.email == email)).first()
        membership = None if reviewer is None else session.exec(select(Membership).where(
            Membership.reviewer_id == reviewer.id, Membership.city_id == context.city_id)).first()
    if reviewer is None or membership is None:
        problems["email"] = N_("No reviewer of this city has that email.")
    elif reviewer.id == context.reviewer_id:
        problems["email"] = N_("Another admin of the city must restore your own access.")
    assert city is not None
    return _restore(db, config, city, recovery_key=recovery_key, email=email, display_name="",
                    new_password=new_password, make_admin=False, actor=context.actor, problems=problems,
                    clock=clock)


def recover_city_admin(db: Database, config: IntakeConfig, *, city_slug: str, recovery_key: str, email: str,
                       display_name: str, new_password: str, clock: Clock = utc_now) -> RestoredAccess:
    """The operator makes ``email`` an admin of the city again (a new account if there is none), for when every
    admin lost their password. Run from the command line, so the actor is the system."""
    email = normalize_email(email)
    problems: dict[str, str] = {}
    if (problem := email_problem(email)) is not None:
        problems["email"] = problem
    with db.read() as session:
        city = city_by_slug(session, city_slug)
    return _restore(db, config, city, recovery_key=recovery_key, email=email, display_name=display_name,
                    new_password=new_password, make_admin=True, actor=audit.SYSTEM, problems=problems,
                    clock=clock)


def _current_city_key(city: City, recovery_key: str) -> bytes | None:
    """The city private key the recovery key opens, if it is the city's current key (a recovery key replaced by a
    rotation opens nothing: docs/design.md#key-rotation)."""
    try:
        private = open_city_key_with_recovery_key(city, recovery_key)
        if hpke_keys.public_bytes_of(private) != city.public_key:
            raise WrongSecret("the recovery key opens an older key")
    except CryptoError:
        return None
    return private


def _restore(db: Database, config: IntakeConfig, city: City, *, recovery_key: str, email: str, display_name: str,
             new_password: str, make_admin: bool, actor: str, problems: dict[str, str],
             clock: Clock) -> RestoredAccess:
    if (problem := password_problem(new_password)) is not None:
        problems["new_password"] = problem
    private = _current_city_key(city, recovery_key)
    if private is None:
        problems["recovery_key"] = recovery_key_refusal(db, city, recovery_key)
    if problems:
        raise InvalidInput(problems)
    assert private is not None and city.id is not None
    enrolled = enroll(new_password, config)  # a new account key: the lost password's one cannot be opened
    now = clock()
    closed: list[str] = []
    with db.write() as session:
        locked = audit.lock_city(session, city.id)
        reviewer = session.exec(select(Reviewer).where(Reviewer.email == email).with_for_update()).first()
        new_account = reviewer is None
        if reviewer is None:
            name = display_name.strip() or email
            reviewer = Reviewer(email=email, display_name=name[:200], password_record=enrolled.record.encode(),
                                created_at=now)
        reviewer.active = True
        # TOTP's secret was wrapped under the lost password: it is set up again at the next sign-in.
        reviewer.totp_wrapped_secret, reviewer.totp_confirmed, reviewer.totp_last_step = None, False, 0
        session.add(reviewer)
        session.flush()
        assert reviewer.id is not None
        enrolled.seal(reviewer)
        session.add(reviewer)
        # Passkeys unlocked the old account key, and may be what was lost: they are registered again.
        session.exec(delete(Passkey).where(col(Passkey.reviewer_id) == reviewer.id))
        replace_personal_key(session, reviewer.id, enrolled.account_key, clock=clock)
        memberships = session.exec(select(Membership).where(Membership.reviewer_id == reviewer.id)).all()
        here = next((m for m in memberships if m.city_id == city.id), None)
        if here is None:
            here = Membership(reviewer_id=reviewer.id, city_id=city.id, role=ROLE_ADMIN, created_at=now)
        if make_admin:
            here.role = ROLE_ADMIN
        here.wrapped_city_key = (wrap_under_key(private, city_key_wrapping_key(enrolled.account_key, city.id),
                                                city_key_binding(city.id, reviewer.id))
                                 if here.role in CONTENT_ROLES else None)
        session.add(here)
        for other in memberships:
            if other.city_id != city.id and other.wrapped_city_key is not None:
                other.wrapped_city_key = None  # wrapped under the lost password: nobody can open it
                session.add(other)
                other_city = audit.lock_city(session, other.city_id)
                closed.append(other_city.slug)
                audit.append(session, other_city, actor=audit.SYSTEM, action=AuditAction.REVIEWER_CITY_KEY_CLOSED,
                             when=now, subject=audit.reviewer_actor(reviewer.id), detail={"restored_in": city.slug})
        audit.append(session, locked, actor=actor, action=AuditAction.REVIEWER_ACCESS_RESTORED, when=now,
                     subject=audit.reviewer_actor(reviewer.id),
                     detail={"role": here.role, "new_account": int(new_account)})
        end_sessions_of(session, reviewer.id)
        return RestoredAccess(reviewer.id, email, city.slug, new_account, tuple(sorted(closed)))
