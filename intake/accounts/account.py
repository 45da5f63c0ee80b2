"""A reviewer's own account: changing the password (every wrapped key follows it), setting TOTP up from the
command line, and regional coordinators. Restoring a lost password is intake.accounts.restore."""

from __future__ import annotations

from sqlmodel import select

from intake import audit
from intake.accounts import totp
from intake.accounts.keyring import enroll
from intake.accounts.reviewers import email_problem, normalize_email, password_problem, unlock_reviewer
from intake.accounts.sessions import ReviewerContext, end_sessions_of
from intake.audit.actions import AuditAction
from intake.clock import Clock, utc_now
from intake.config import IntakeConfig
from intake.db import Database
from intake.errors import AlreadyExists, InvalidInput, WrongCredentials
from intake.messages import N_
from intake.models import Reviewer


def change_password(db: Database, config: IntakeConfig, context: ReviewerContext, current: str, new: str,
                    *, clock: Clock = utc_now) -> None:
    """Wrap the account key under the new password. Every session of the reviewer, this one included, ends: the
    next sign-in uses the new password."""
    problems = {}
    if (problem := password_problem(new)) is not None:
        problems["new_password"] = problem
    elif new == current:
        problems["new_password"] = N_("Choose a password different from the current one.")
    if problems:
        raise InvalidInput(problems)
    try:
        unlocked = unlock_reviewer(db, config, context.email, current)
    except WrongCredentials:
        raise InvalidInput({"current_password": N_("That is not your current password.")}) from None
    reviewer = unlocked.reviewer
    assert reviewer.id is not None
    # Only the account key's wrapping changes: everything else is under the account key, and passkeys that
    # unlock it keep doing so (docs/design.md#account-keys-and-passkeys).
    enrolled = enroll(new, config, account_key=unlocked.account_key)
    now = clock()
    with db.write() as session:
        row = session.exec(select(Reviewer).where(Reviewer.id == reviewer.id).with_for_update()).one()
        enrolled.seal(row)
        session.add(row)
        for held in unlocked.signed_in.memberships:
            city = audit.lock_city(session, held.city_id)
            audit.append(session, city, actor=context.actor, action=AuditAction.REVIEWER_PASSWORD_CHANGED, when=now)
        end_sessions_of(session, reviewer.id)


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
        row.totp_wrapped_secret = totp.wrap_secret(secret, unlocked.account_key, reviewer_id)
        row.totp_confirmed, row.totp_last_step = True, 0
        session.add(row)
        for held in unlocked.signed_in.memberships:
            city = audit.lock_city(session, held.city_id)
            audit.append(session, city, actor=audit.SYSTEM, action=AuditAction.REVIEWER_TOTP_ENROLLED, when=now,
                         subject=audit.reviewer_actor(reviewer_id))
    return totp.secret_text(secret)


def add_regional_coordinator(db: Database, config: IntakeConfig, *, email: str, display_name: str,
                             password: str, clock: Clock = utc_now) -> int:
    """A regional coordinator (MARC): aggregate statistics across every city, no city key, no case."""
    email = normalize_email(email)
    problems = {}
    if (problem := email_problem(email)) is not None:
        problems["email"] = problem
    if not display_name.strip() or len(display_name) > 200:
        problems["name"] = N_("Give the coordinator's name (at most 200 characters).")
    if (problem := password_problem(password)) is not None:
        problems["password"] = problem
    if problems:
        raise InvalidInput(problems)
    enrolled = enroll(password, config)
    with db.write() as session:
        existing = session.exec(select(Reviewer).where(Reviewer.email == email)).first()
        if existing is not None:
            raise AlreadyExists(f"{email} already has an account")
        row = Reviewer(email=email, display_name=display_name.strip(), password_record=enrolled.record.encode(),
                       regional_coordinator=True, created_at=clock())
        session.add(row)
        session.flush()
        assert row.id is not None
        enrolled.seal(row)
        session.add(row)
        return row.id

