"""Reviewers: adding one to a city from the command line, and signing in (one Argon2id derivation unlocks every
city key held)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from dataclasses import dataclass

from sqlmodel import select

from crypto.errors import WrongSecret
from crypto.passwords import PasswordRecord, city_key_wrapping_key, unlock_with_password
from crypto.wrapping import wrap_under_key
from intake import audit
from intake.accounts.keyring import (
    SignedInReviewer,
    UnlockedReviewer,
    account_key_from_password,
    enroll,
    open_account,
)
from intake.accounts.strengthening import below_configured_cost, strengthen_password
from intake.audit.actions import AuditAction
from intake.cities import city_by_slug
from intake.clock import Clock, utc_now
from intake.config import IntakeConfig
from intake.db import Database
from intake.errors import AlreadyExists, InvalidInput, WrongCredentials
from intake.keys.grants import city_key_binding, ensure_personal_key, grant_city_key
from intake.messages import N_
from intake.models import Membership, Reviewer
from intake.routing import DEFAULT_CASE_GROUP, join_groups

ROLE_REVIEWER = "reviewer"
ROLE_ADMIN = "admin"
ROLE_AUDITOR = "auditor"
ROLES = (ROLE_REVIEWER, ROLE_ADMIN, ROLE_AUDITOR)
# Roles that read case content, and so hold a wrapped copy of the city private key.
CONTENT_ROLES = (ROLE_REVIEWER, ROLE_ADMIN)
# Roles a session can have that are not a membership in a city. A regional coordinator (MARC) sees
# aggregate statistics across cities only; a session still enrolling TOTP reaches nothing but the enrolment page.
ROLE_COORDINATOR = "coordinator"
ROLE_TOTP_ENROLMENT = "totp-enrolment"
# A session signed in by single sign-on whose keys are still locked: it reaches the unlock page alone.
ROLE_UNLOCK = "unlock"
# Every role that a signed-in session can act with, for route rules.
SESSION_ROLES = (*ROLES, ROLE_COORDINATOR)

MIN_PASSWORD_CHARS = 12  # NIST SP 800-63B allows 8; reviewers guard sealed reports, so we ask for more.
MAX_PASSWORD_CHARS = 1024


@dataclass(frozen=True)
class AddedReviewer:
    reviewer_id: int
    email: str
    city_slug: str
    role: str


def normalize_email(email: str) -> str:
    return email.strip().lower()


def password_problem(password: str) -> str | None:
    """The one password rule (NIST SP 800-63B 5.1.1.2: a length floor, a generous ceiling, no composition
    rules), for every form that sets a password."""
    if not MIN_PASSWORD_CHARS <= len(password) <= MAX_PASSWORD_CHARS:
        return f"Use a password of {MIN_PASSWORD_CHARS} to {MAX_PASSWORD_CHARS} characters."
    return None


def email_problem(email: str) -> str | None:
    if "@" not in email or len(email) > 320 or any(ch.isspace() for ch in email):
        return "Give an email address to sign in with."
    return None


def _validate(email: str, display_name: str, password: str | None, role: str) -> None:
    problems = {}
    if (problem := email_problem(email)) is not None:
        problems["email"] = problem
    if not display_name.strip() or len(display_name) > 200:
        problems["name"] = N_("Give the reviewer's name as reporters should see it (at most 200 characters).")
    if password is not None and (problem := password_problem(password)) is not None:
        problems["password"] = problem
    if role not in ROLES:
        problems["role"] = "The role must be one of: " + ", ".join(ROLES) + "."
    if problems:
        raise InvalidInput(problems)


def account_exists(db: Database, email: str) -> bool:
    """For the operator's command line only: the console never tells an admin whether an email has an
    account (intake.accounts.invitations)."""
    with db.read() as session:
        return session.exec(select(Reviewer.id).where(Reviewer.email == normalize_email(email))).first() is not None


def add_reviewer(
    db: Database,
    config: IntakeConfig,
    *,
    city_slug: str,
    email: str,
    display_name: str,
    password: str | None,
    role: str,
    city_private_key: bytes | None,
    groups: Iterable[str] | None = None,
    added_by: str = audit.SYSTEM,
    clock: Clock = utc_now,
) -> AddedReviewer:
    """Give a reviewer a role in a city (the operator's command line, and tests; a city admin invites instead,
    through intake.accounts.invitations). A new email gets a new account with ``password``.

    An existing account is never asked for its password: its copy of the city key is sealed to its personal
    key (a ``CityKeyGrant``) and re-wrapped under its password at its next sign-in (intake.keys.grants).
    ``city_private_key`` is the unlocked city key of whoever adds the reviewer (the recovery key on the command
    line). ``groups`` are the reviewer groups to join; a reviewer joins the city's ethics group unless told
    otherwise.
    """
    email = normalize_email(email)
    with db.read() as session:
        existing = session.exec(select(Reviewer).where(Reviewer.email == email)).first()
    _validate(email, display_name, password if existing is None else None, role)
    if role in CONTENT_ROLES and city_private_key is None:
        raise InvalidInput({"role": N_("This role reads cases, so the city key must be unlocked to add it.")})
    enrolled = None
    if existing is None:
        if password is None:
            raise InvalidInput({"password": N_("A new account needs a first password.")})
        enrolled = enroll(password, config)
    now = clock()
    with db.write() as session:
        city = city_by_slug(session, city_slug)
        assert city.id is not None
        city = audit.lock_city(session, city.id)
        assert city.id is not None
        if existing is None:
            if session.exec(select(Reviewer).where(Reviewer.email == email)).first():
                raise AlreadyExists("that email was just added")
            assert enrolled is not None
            reviewer = Reviewer(email=email, display_name=display_name.strip(),
                                password_record=enrolled.record.encode(), created_at=now)
            session.add(reviewer)
            session.flush()
            enrolled.seal(reviewer)
            session.add(reviewer)
        else:
            reviewer = existing
        assert reviewer.id is not None
        if session.exec(
            select(Membership).where(Membership.reviewer_id == reviewer.id, Membership.city_id == city.id)
        ).first():
            raise AlreadyExists(f"{email} already has a role in {city.slug}")
        wrapped = None
        if enrolled is not None:
            # so key rotation can reach them
            ensure_personal_key(session, reviewer.id, enrolled.account_key, clock=clock)
            if role in CONTENT_ROLES and city_private_key is not None:
                wrapped = wrap_under_key(city_private_key, city_key_wrapping_key(enrolled.account_key, city.id),
                                         city_key_binding(city.id, reviewer.id))
        elif role in CONTENT_ROLES and city_private_key is not None:
            grant_city_key(session, reviewer.id, city, city_private_key)
        session.add(Membership(reviewer_id=reviewer.id, city_id=city.id, role=role, wrapped_city_key=wrapped,
                               created_at=now))
        if groups is None:
            groups = (DEFAULT_CASE_GROUP,) if role == ROLE_REVIEWER else ()
        join_groups(session, city.id, reviewer.id, groups)
        audit.append(session, city, actor=added_by, action=AuditAction.REVIEWER_ADDED, when=now,
                     subject=audit.reviewer_actor(reviewer.id), detail={"role": role})
        return AddedReviewer(reviewer_id=reviewer.id, email=email, city_slug=city.slug, role=role)


def dummy_password_record(config: IntakeConfig) -> PasswordRecord:
    """Checked when the email is unknown, so a wrong email costs the same Argon2id derivation as a wrong
    password and response time does not tell which emails have accounts. No password matches it."""
    return PasswordRecord(salt=bytes(16), cost=config.reviewer_kdf, verifier=bytes(32))


def sign_in(db: Database, config: IntakeConfig, email: str, password: str) -> SignedInReviewer:
    """Check a password and open the city keys it holds. The console signs in through
    intake.accounts.authentication, which adds TOTP and the lock after failed attempts on top of this."""
    return unlock_reviewer(db, config, email, password).signed_in


def unlock_reviewer(db: Database, config: IntakeConfig, email: str, password: str) -> UnlockedReviewer:
    """Check the password and open the account key it unlocks, and every city key under it.
    :class:`WrongCredentials` for an unknown email (after the same Argon2id derivation) or a wrong password."""
    email = normalize_email(email)
    if len(password) > MAX_PASSWORD_CHARS or len(email) > 320:
        raise WrongCredentials("wrong email or password")
    with db.read() as session:
        reviewer = session.exec(select(Reviewer).where(Reviewer.email == email)).first()
    if reviewer is None or not reviewer.active:
        with contextlib.suppress(WrongSecret):
            unlock_with_password(password, dummy_password_record(config))
        raise WrongCredentials("wrong email or password")
    record = PasswordRecord.decode(reviewer.password_record)
    try:
        master_key = unlock_with_password(password, record)
    except WrongSecret:
        raise WrongCredentials("wrong email or password") from None
    account_key = account_key_from_password(db, reviewer, master_key)
    if below_configured_cost(record, config):  # made at a cheaper cost: at full cost from now on, while it is here
        assert reviewer.id is not None
        strengthen_password(db, config, reviewer.id, password, record, account_key)
    with db.read() as session:  # moved under the account key or strengthened just now: read what changed
        reviewer = session.exec(select(Reviewer).where(Reviewer.id == reviewer.id)).one()
    return open_account(db, reviewer, account_key)
