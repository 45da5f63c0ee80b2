"""Signing in to the console: password (Argon2id), then TOTP, with growing delays and a temporary lock.

Every reviewer needs TOTP before any case is reachable (docs/design.md#sessions). A reviewer who has none yet gets a new
secret at a correct password, and a session that can only enrol it (intake.accounts.sessions). Failures count
per account, whatever the client: from the third failure in a row each attempt must wait longer (1, 2, 4 ...
seconds, at most a minute), and the tenth locks the account for ``lockout_minutes`` (NIST SP 800-63B section
5.2.2 allows at most 100 consecutive failures; we are stricter because a reviewer's password opens every report
of a city). Each failure and each lock is written to the audit log of every city the reviewer belongs to.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, select

from crypto.errors import CryptoError
from intake import audit
from intake.accounts import totp
from intake.accounts.reviewers import SignedInReviewer, normalize_email, unlock_reviewer
from intake.accounts.sessions import end_enrolment_sessions_of
from intake.audit.actions import AuditAction
from intake.clock import Clock, utc_now
from intake.config import IntakeConfig
from intake.db import Database
from intake.errors import IntakeError, WrongCredentials
from intake.models import Membership, Reviewer

DELAY_FROM_FAILURE = 3
MAX_DELAY_SECONDS = 60


class SignInRefused(IntakeError):
    """Too many failures: wait ``retry_after_seconds`` (``locked`` says whether the account is locked)."""

    def __init__(self, retry_after_seconds: int, *, locked: bool) -> None:
        super().__init__("locked" if locked else "wait before trying again")
        self.retry_after_seconds = retry_after_seconds
        self.locked = locked


@dataclass(frozen=True)
class Authenticated:
    signed_in: SignedInReviewer
    # Set when the reviewer has no confirmed TOTP yet: the secret to enrol, shown once as a QR code.
    enrol_totp_secret: bytes | None = None


def delay_after(failures: int) -> int:
    """Seconds the next attempt must wait after ``failures`` failures in a row."""
    if failures < DELAY_FROM_FAILURE:
        return 0
    return int(min(2 ** (failures - DELAY_FROM_FAILURE), MAX_DELAY_SECONDS))


def _as_utc(moment: datetime) -> datetime:
    # SQLite hands back naive datetimes; everything we store is UTC.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=utc_now().tzinfo)


def _check_not_refused(reviewer: Reviewer, now: datetime) -> None:
    if reviewer.locked_until is not None and now < _as_utc(reviewer.locked_until):
        raise SignInRefused(int((_as_utc(reviewer.locked_until) - now).total_seconds()) + 1, locked=True)
    wait = delay_after(reviewer.failed_sign_ins)
    if wait and reviewer.last_failed_at is not None:
        ready = _as_utc(reviewer.last_failed_at) + timedelta(seconds=wait)
        if now < ready:
            raise SignInRefused(int((ready - now).total_seconds()) + 1, locked=False)


def _city_ids(session: Session, reviewer_id: int) -> list[int]:
    return list(session.exec(select(Membership.city_id).where(Membership.reviewer_id == reviewer_id)).all())


def _claim_attempt(db: Database, config: IntakeConfig, reviewer_id: int, now: datetime) -> tuple[int, bool]:
    """Count an attempt as a failure before its password is checked, under the row's lock, and return the count
    and whether it locked the account. Checked and counted in one transaction, so concurrent guesses cannot all
    pass a check that saw the same count while their passwords were still being hashed; a success clears it.
    :class:`SignInRefused` while the account must wait or is locked."""
    with db.write() as session:
        reviewer = session.exec(select(Reviewer).where(Reviewer.id == reviewer_id).with_for_update()).one()
        _check_not_refused(reviewer, now)
        if reviewer.locked_until is not None and now >= _as_utc(reviewer.locked_until):
            reviewer.failed_sign_ins, reviewer.locked_until = 0, None  # a lock that ran out starts a new count
        reviewer.failed_sign_ins += 1
        reviewer.last_failed_at = now
        locked = reviewer.failed_sign_ins >= config.lockout_after_failures
        if locked:
            reviewer.locked_until = now + timedelta(minutes=config.lockout_minutes)
        session.add(reviewer)
        return reviewer.failed_sign_ins, locked


def _record_failure(db: Database, config: IntakeConfig, reviewer_id: int, reason: str, now: datetime,
                    claimed: tuple[int, bool]) -> None:
    failures, locked = claimed
    with db.write() as session:
        for city_id in _city_ids(session, reviewer_id):
            city = audit.lock_city(session, city_id)
            audit.append(session, city, actor=audit.SYSTEM, action=AuditAction.REVIEWER_SIGN_IN_FAILED, when=now,
                         subject=audit.reviewer_actor(reviewer_id), detail={"reason": reason, "failures": failures})
            if locked:
                audit.append(session, city, actor=audit.SYSTEM, action=AuditAction.REVIEWER_LOCKED, when=now,
                             subject=audit.reviewer_actor(reviewer_id),
                             detail={"minutes": config.lockout_minutes, "failures": failures})


def authenticate(
    db: Database, config: IntakeConfig, email: str, password: str, code: str, *, clock: Clock = utc_now
) -> Authenticated:
    """Check password and TOTP code. :class:`WrongCredentials` for any wrong part (never saying which),
    :class:`SignInRefused` while the account must wait or is locked."""
    now = clock()
    with db.read() as session:
        known = session.exec(select(Reviewer).where(Reviewer.email == normalize_email(email))).first()
    claimed = None
    if known is not None and known.id is not None and known.active:
        claimed = _claim_attempt(db, config, known.id, now)
    elif known is not None:
        _check_not_refused(known, now)
    try:
        unlocked = unlock_reviewer(db, config, email, password)
    except WrongCredentials:
        if known is not None and known.id is not None and claimed is not None:
            _record_failure(db, config, known.id, "password", now, claimed)
        raise
    reviewer = unlocked.reviewer
    assert reviewer.id is not None
    if not reviewer.totp_confirmed or reviewer.totp_wrapped_secret is None:
        secret = totp.new_secret()
        with db.write() as session:
            row = session.exec(select(Reviewer).where(Reviewer.id == reviewer.id).with_for_update()).one()
            row.totp_wrapped_secret = totp.wrap_secret(secret, unlocked.master_key, reviewer.id)
            row.totp_confirmed = False
            row.failed_sign_ins, row.locked_until = 0, None
            session.add(row)
            # Only the newest secret can be confirmed: an older enrolment page must not confirm a secret that
            # is no longer the stored one.
            end_enrolment_sessions_of(session, reviewer.id)
        return Authenticated(unlocked.signed_in, enrol_totp_secret=secret)
    try:
        confirmed_secret: bytes | None = totp.unwrap_secret(reviewer.totp_wrapped_secret, unlocked.master_key,
                                                            reviewer.id)
    except CryptoError:
        confirmed_secret = None
    with db.write() as session:
        # Locked, so two requests carrying the same code cannot both pass the replay check.
        row = session.exec(select(Reviewer).where(Reviewer.id == reviewer.id).with_for_update()).one()
        step = (totp.matching_step(confirmed_secret, code, now, row.totp_last_step)
                if confirmed_secret is not None else None)
        if step is not None:
            row.totp_last_step = step
            row.failed_sign_ins, row.locked_until, row.last_failed_at = 0, None, None
            session.add(row)
    if step is None:
        # Counted by the claim; the reviewer unlocked above is the one claimed (the email names one account).
        _record_failure(db, config, reviewer.id, "code", now, claimed or (0, False))
        raise WrongCredentials("wrong email, password or code")
    return Authenticated(unlocked.signed_in)


def confirm_totp_enrolment(db: Database, reviewer_id: int, secret: bytes, code: str, *,
                           clock: Clock = utc_now) -> None:
    """Accept the first code from the authenticator the reviewer just set up; the secret is confirmed and the
    code's step used up. :class:`WrongCredentials` if the code does not match."""
    now = clock()
    step = totp.matching_step(secret, code, now, 0)
    if step is None:
        raise WrongCredentials("that code does not match")
    with db.write() as session:
        row = session.exec(select(Reviewer).where(Reviewer.id == reviewer_id).with_for_update()).one()
        row.totp_confirmed = True
        row.totp_last_step = max(row.totp_last_step, step)
        session.add(row)
        for city_id in _city_ids(session, reviewer_id):
            city = audit.lock_city(session, city_id)
            audit.append(session, city, actor=audit.reviewer_actor(reviewer_id),
                         action=AuditAction.REVIEWER_TOTP_ENROLLED,
                         when=now)
