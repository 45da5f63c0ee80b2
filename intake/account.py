"""A reviewer's account: changing the password (every wrapped key follows it), a city admin restoring a
reviewer's access with the city's recovery key, setting TOTP up from the command line, and regional
coordinators (DESIGN.md section 4, "Wrapping": a lost password never loses data)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import select

from crypto import hpke_keys
from crypto.errors import CryptoError, WrongSecret
from crypto.passwords import city_key_wrapping_key, enroll_password
from crypto.wrapping import wrap_under_key
from intake import audit, totp
from intake.cities import open_city_key_with_recovery_key
from intake.clock import Clock, utc_now
from intake.config import IntakeConfig
from intake.db import Database
from intake.errors import AlreadyExists, InvalidInput, NotFound, WrongCredentials
from intake.key_grants import replace_personal_key, rewrap_personal_key
from intake.models import City, Membership, Reviewer
from intake.reviewer_sessions import ReviewerContext, end_sessions_of
from intake.reviewers import (
    CONTENT_ROLES,
    MAX_PASSWORD_CHARS,
    MIN_PASSWORD_CHARS,
    ROLE_ADMIN,
    city_key_binding,
    normalize_email,
    unlock_reviewer,
)


def _password_problem(password: str) -> str | None:
    if not MIN_PASSWORD_CHARS <= len(password) <= MAX_PASSWORD_CHARS:
        return f"Use a password of {MIN_PASSWORD_CHARS} to {MAX_PASSWORD_CHARS} characters."
    return None


def change_password(db: Database, config: IntakeConfig, context: ReviewerContext, current: str, new: str,
                    *, clock: Clock = utc_now) -> None:
    """Re-wrap every city key and the TOTP secret under the new password. Every session of the reviewer,
    this one included, ends: the next sign-in uses the new password."""
    problems = {}
    if (problem := _password_problem(new)) is not None:
        problems["new_password"] = problem
    elif new == current:
        problems["new_password"] = "Choose a password different from the current one."  # noqa: S105
    if problems:
        raise InvalidInput(problems)
    try:
        unlocked = unlock_reviewer(db, config, context.email, current)
    except WrongCredentials:
        raise InvalidInput({"current_password": "That is not your current password."}) from None
    reviewer = unlocked.reviewer
    assert reviewer.id is not None
    record, new_master = enroll_password(new, config.reviewer_kdf)
    secret = None
    if reviewer.totp_wrapped_secret is not None:
        try:
            secret = totp.unwrap_secret(reviewer.totp_wrapped_secret, unlocked.master_key, reviewer.id)
        except CryptoError:
            secret = None
    now = clock()
    with db.write() as session:
        row = session.exec(select(Reviewer).where(Reviewer.id == reviewer.id).with_for_update()).one()
        row.password_record = record.encode()
        row.totp_wrapped_secret = totp.wrap_secret(secret, new_master, reviewer.id) if secret is not None else None
        row.totp_confirmed = row.totp_confirmed and secret is not None
        session.add(row)
        # The personal key too, so city keys granted by a rotation still open after the change (issue 7).
        rewrap_personal_key(session, reviewer.id, unlocked.master_key, new_master)
        for held in unlocked.signed_in.memberships:
            membership = session.exec(select(Membership).where(Membership.reviewer_id == reviewer.id,
                                                               Membership.city_id == held.city_id)).one()
            if held.city_private_key is not None:
                membership.wrapped_city_key = wrap_under_key(
                    held.city_private_key, city_key_wrapping_key(new_master, held.city_id),
                    city_key_binding(held.city_id, reviewer.id))
                session.add(membership)
            city = audit.lock_city(session, held.city_id)
            audit.append(session, city, actor=context.actor, action="reviewer.password_changed", when=now)
        end_sessions_of(session, reviewer.id)


@dataclass(frozen=True)
class RestoredAccess:
    reviewer_id: int
    email: str
    # Cities where the reviewer also had a copy of the city key, now closed until that city restores it.
    cities_to_restore: tuple[str, ...]


def restore_access(db: Database, config: IntakeConfig, context: ReviewerContext, *, email: str,
                   recovery_key: str, new_password: str, clock: Clock = utc_now) -> RestoredAccess:
    """A city admin gives a reviewer of the city who lost their password a new one, opening the city key with
    the city's recovery key (kept offline) so the new password wraps a fresh copy. TOTP must be set up again,
    and every session of the reviewer ends. Audited."""
    if context.role != ROLE_ADMIN:
        raise NotFound("only a city admin restores access")
    problems = {}
    if (problem := _password_problem(new_password)) is not None:
        problems["new_password"] = problem
    with db.read() as session:
        city = session.get(City, context.city_id)
        reviewer = session.exec(select(Reviewer).where(Reviewer.email == normalize_email(email))).first()
        membership = None
        if reviewer is not None:
            membership = session.exec(select(Membership).where(Membership.reviewer_id == reviewer.id,
                                                               Membership.city_id == context.city_id)).first()
    if reviewer is None or membership is None:
        problems["email"] = "No reviewer of this city has that email."
    elif reviewer.id == context.reviewer_id:
        problems["email"] = "Another admin of the city must restore your own access."
    assert city is not None
    private = None
    try:
        private = open_city_key_with_recovery_key(city, recovery_key)
        if hpke_keys.public_bytes_of(private) != city.public_key:
            raise WrongSecret("the recovery key opens an older key")
    except CryptoError:
        problems["recovery_key"] = "That is not this city's recovery key."
    if problems:
        raise InvalidInput(problems)
    assert reviewer is not None and reviewer.id is not None and membership is not None and private is not None
    record, master = enroll_password(new_password, config.reviewer_kdf)
    now = clock()
    elsewhere = []
    with db.write() as session:
        row = session.exec(select(Reviewer).where(Reviewer.id == reviewer.id).with_for_update()).one()
        row.password_record = record.encode()
        row.totp_wrapped_secret, row.totp_confirmed, row.totp_last_step = None, False, 0
        row.failed_sign_ins, row.locked_until, row.last_failed_at = 0, None, None
        session.add(row)
        # The old personal key is lost with the old password: a new one, so later rotations reach them (issue 7).
        replace_personal_key(session, reviewer.id, master, clock=clock)
        for other in session.exec(select(Membership).where(Membership.reviewer_id == reviewer.id)).all():
            if other.city_id == context.city_id:
                if other.role in CONTENT_ROLES:
                    other.wrapped_city_key = wrap_under_key(private, city_key_wrapping_key(master, context.city_id),
                                                            city_key_binding(context.city_id, reviewer.id))
            elif other.wrapped_city_key is not None:
                other.wrapped_city_key = None
                other_city = audit.lock_city(session, other.city_id)
                elsewhere.append(other_city.slug)
                audit.append(session, other_city, actor=audit.SYSTEM, action="reviewer.city_key_closed", when=now,
                             subject=audit.reviewer_actor(reviewer.id), detail={"restored_in": context.city_slug})
            session.add(other)
        locked = audit.lock_city(session, context.city_id)
        audit.append(session, locked, actor=context.actor, action="reviewer.access_restored", when=now,
                     subject=audit.reviewer_actor(reviewer.id))
        end_sessions_of(session, reviewer.id)
    return RestoredAccess(reviewer.id, reviewer.email, tuple(sorted(elsewhere)))


def set_up_totp(db: Database, config: IntakeConfig, email: str, password: str, *, clock: Clock = utc_now) -> str:
    """Give a reviewer a confirmed TOTP secret at once and return it as text (for ``hotline demo`` and
    ``hotline reviewer totp``, where the operator hands it over in person). Audited."""
    unlocked = unlock_reviewer(db, config, email, password)
    reviewer_id = unlocked.reviewer.id
    assert reviewer_id is not None
    secret = totp.new_secret()
    now = clock()
    with db.write() as session:
        row = session.exec(select(Reviewer).where(Reviewer.id == reviewer_id).with_for_update()).one()
        row.totp_wrapped_secret = totp.wrap_secret(secret, unlocked.master_key, reviewer_id)
        row.totp_confirmed, row.totp_last_step = True, 0
        session.add(row)
        for held in unlocked.signed_in.memberships:
            city = audit.lock_city(session, held.city_id)
            audit.append(session, city, actor=audit.SYSTEM, action="reviewer.totp_enrolled", when=now,
                         subject=audit.reviewer_actor(reviewer_id))
    return totp.secret_text(secret)


def add_regional_coordinator(db: Database, config: IntakeConfig, *, email: str, display_name: str,
                             password: str, clock: Clock = utc_now) -> int:
    """A regional coordinator (MARC): aggregate statistics across every city, no city key, no case."""
    email = normalize_email(email)
    problems = {}
    if "@" not in email or len(email) > 320 or any(ch.isspace() for ch in email):
        problems["email"] = "Give an email address to sign in with."
    if not display_name.strip() or len(display_name) > 200:
        problems["name"] = "Give the coordinator's name (at most 200 characters)."
    if (problem := _password_problem(password)) is not None:
        problems["password"] = problem
    if problems:
        raise InvalidInput(problems)
    record, _master = enroll_password(password, config.reviewer_kdf)
    with db.write() as session:
        existing = session.exec(select(Reviewer).where(Reviewer.email == email)).first()
        if existing is not None:
            raise AlreadyExists(f"{email} already has an account")
        row = Reviewer(email=email, display_name=display_name.strip(), password_record=record.encode(),
                       regional_coordinator=True, created_at=clock())
        session.add(row)
        session.flush()
        assert row.id is not None
        return row.id

