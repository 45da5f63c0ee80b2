"""Signing in to the console: password (Argon2id), then TOTP, slowed by growing delays but never locked
(docs/design.md#limits-an-attacker-cannot-turn-against-users).

Every reviewer needs TOTP before any case is reachable (docs/design.md#sessions). A reviewer who has none yet gets
a new secret at a correct password, and a session that can only enrol it (intake.accounts.sessions).

Guesses are counted per email typed, known or not, in a counter every instance shares (intake.limits.counters),
named by a keyed hash of the email. From the ``free_failures``-th failure in a row each attempt must wait
longer (1, 2, 4 ... seconds, at most ``max_delay_seconds``); an attempt made during the wait is refused
unchecked. There is no lock: the right password and code pass as soon as the wait is over (NIST SP 800-63B
section 5.2.2, OWASP ASVS 4.0 V2.2.1). An unknown email is counted and delayed exactly like a known one and costs
the same Argon2id derivation (against a dummy record), so neither answer, headers, delays nor timing tell which
emails have accounts. Each failure and each delay on a known account is written to the audit log of every city
the reviewer belongs to, by :func:`record_failure`, which the caller runs after answering.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, select

from crypto.errors import CryptoError
from intake import audit
from intake.accounts import passkeys, policy, totp
from intake.accounts.keyring import SignedInReviewer, open_account
from intake.accounts.reviewers import normalize_email, unlock_reviewer
from intake.accounts.sessions import end_enrolment_sessions_of
from intake.audit.actions import AuditAction
from intake.clock import Clock, utc_now
from intake.config import IntakeConfig
from intake.db import Database
from intake.errors import IntakeError, WrongCredentials
from intake.limits.counters import claim_attempt, clear, counter_key
from intake.models import Membership, Reviewer

METHOD_PASSWORD_TOTP = "password+totp"  # noqa: S105 (a method name, not a password)
METHOD_PASSWORD_PASSKEY = "password+passkey"  # noqa: S105 (a method name)
METHOD_PASSKEY = "passkey"
# A count of failures is forgotten a day after the last one.
FORGET_FAILURES_AFTER = timedelta(hours=24)
COUNTER_PURPOSE = "sign-in"


@dataclass(frozen=True)
class Authenticated:
    signed_in: SignedInReviewer
    # Set when the reviewer has no confirmed TOTP yet: the secret to enrol, shown once as a QR code.
    enrol_totp_secret: bytes | None = None
    # How: "password+totp", "password+passkey" or "passkey" (for the audit log).
    method: str = METHOD_PASSWORD_TOTP


class RefusedByCityRules(IntakeError):
    """Every factor was right, but the reviewer's cities do not allow this way of signing in (password sign-in is
    off there: they sign in through the city's identity provider)."""


@dataclass(frozen=True)
class SignInFailure:
    """What a failed sign-in leaves for the audit log (nothing when the email has no account)."""

    reviewer_id: int | None
    reason: str  # "password" or "code"
    failures: int
    delay_seconds: int
    when: datetime


class SignInFailed(WrongCredentials):
    """A wrong email, password or code (never saying which); ``retry_after_seconds`` is how long the next
    attempt must wait (0: none)."""

    def __init__(self, failure: SignInFailure) -> None:
        super().__init__("wrong email, password or code")
        self.failure = failure
        self.retry_after_seconds = failure.delay_seconds


def delay_after(failures: int, config: IntakeConfig) -> int:
    """Seconds the next attempt must wait after ``failures`` failures in a row: none for the first
    ``free_failures - 1``, then 1, 2, 4 ... up to ``max_delay_seconds``."""
    if failures < config.sign_in_free_failures:
        return 0
    return int(min(2 ** min(failures - config.sign_in_free_failures, 30), config.sign_in_max_delay_seconds))


def sign_in_counter(config: IntakeConfig, email: str) -> str:
    return counter_key(config.pepper, COUNTER_PURPOSE, normalize_email(email)[:320])


def _city_ids(session: Session, reviewer_id: int) -> list[int]:
    return list(session.exec(select(Membership.city_id).where(Membership.reviewer_id == reviewer_id)).all())


def record_failure(db: Database, failure: SignInFailure) -> None:
    """Audit a failed sign-in, and the delay it imposed, in every city of the account (none for an unknown
    email)."""
    if failure.reviewer_id is None:
        return
    with db.write() as session:
        for city_id in _city_ids(session, failure.reviewer_id):
            city = audit.lock_city(session, city_id)
            subject = audit.reviewer_actor(failure.reviewer_id)
            audit.append(session, city, actor=audit.SYSTEM, action=AuditAction.REVIEWER_SIGN_IN_FAILED,
                         when=failure.when, subject=subject,
                         detail={"reason": failure.reason, "failures": failure.failures})
            if failure.delay_seconds:
                audit.append(session, city, actor=audit.SYSTEM, action=AuditAction.REVIEWER_SIGN_IN_DELAYED,
                             when=failure.when, subject=subject,
                             detail={"seconds": failure.delay_seconds, "failures": failure.failures})


def _account_id(db: Database, email: str) -> int | None:
    with db.read() as session:
        known = session.exec(select(Reviewer).where(Reviewer.email == normalize_email(email))).first()
    return known.id if known is not None and known.active else None


def authenticate(
    db: Database, config: IntakeConfig, email: str, password: str, code: str, *, clock: Clock = utc_now
) -> Authenticated:
    """Check password and TOTP code. :class:`SignInFailed` for any wrong part (never saying which),
    :class:`intake.errors.TooManyAttempts` while an earlier failure's delay runs (nothing is checked then)."""
    now = clock()
    key = sign_in_counter(config, email)
    claim = claim_attempt(db, key, delay_after=lambda failures: delay_after(failures, config),
                          forget_after=FORGET_FAILURES_AFTER, now=now)

    def failed(reviewer_id: int | None, reason: str) -> SignInFailed:
        return SignInFailed(SignInFailure(reviewer_id, reason, claim.failures, claim.delay_seconds, now))

    account = _account_id(db, email)
    try:
        unlocked = unlock_reviewer(db, config, email, password)
    except WrongCredentials:
        raise failed(account, "password") from None
    reviewer = unlocked.reviewer
    assert reviewer.id is not None
    if not reviewer.totp_confirmed or reviewer.totp_wrapped_secret is None:
        secret = totp.new_secret()
        with db.write() as session:
            row = session.exec(select(Reviewer).where(Reviewer.id == reviewer.id).with_for_update()).one()
            row.totp_wrapped_secret = totp.wrap_secret(secret, unlocked.account_key, reviewer.id)
            row.totp_confirmed = False
            session.add(row)
            # Only the newest secret can be confirmed: an older enrolment page must not confirm a secret that
            # is no longer the stored one.
            end_enrolment_sessions_of(session, reviewer.id)
        clear(db, key)
        return Authenticated(password_allowed(db, unlocked.signed_in, METHOD_PASSWORD_TOTP, clock=clock),
                             enrol_totp_secret=secret)
    try:
        confirmed_secret: bytes | None = totp.unwrap_secret(reviewer.totp_wrapped_secret, unlocked.account_key,
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
            session.add(row)
    if step is None:
        raise failed(reviewer.id, "code")
    clear(db, key)
    return Authenticated(password_allowed(db, unlocked.signed_in, METHOD_PASSWORD_TOTP, clock=clock))


def password_allowed(db: Database, signed_in: SignedInReviewer, method: str, *,
                     clock: Clock = utc_now) -> SignedInReviewer:
    """The sign-in without the cities whose admins turned password sign-in off (audited there);
    :class:`RefusedByCityRules` when none is left."""
    with db.read() as session:
        rules = policy.rules_of(session, [m.city_id for m in signed_in.memberships])
    refusing = [city_id for city_id, rule in rules.items() if not rule.password_allowed]
    if not refusing:
        return signed_in
    policy.refuse_in(db, signed_in.reviewer_id, refusing, method=method, rule="password sign-in off", clock=clock)
    kept = policy.keep_cities(signed_in, [city_id for city_id in rules if city_id not in refusing])
    if not kept.memberships and not kept.regional_coordinator:
        raise RefusedByCityRules("password sign-in is off in every city of this account")
    return kept


def authenticate_with_passkey(db: Database, config: IntakeConfig, email: str, password: str, response: str,
                              prf_output: bytes | None, *, clock: Clock = utc_now) -> Authenticated:
    """A passkey in place of TOTP, counted like any sign-in on the email typed. A passkey that unlocks the account
    key (PRF) needs nothing else; one that does not is a second factor, with the password."""
    now = clock()
    key = sign_in_counter(config, email)
    claim = claim_attempt(db, key, delay_after=lambda failures: delay_after(failures, config),
                          forget_after=FORGET_FAILURES_AFTER, now=now)
    account = _account_id(db, email)

    def failed(reason: str) -> SignInFailed:
        return SignInFailed(SignInFailure(account, reason, claim.failures, claim.delay_seconds, now))

    try:
        verified = passkeys.verify_assertion(db, config, response, prf_output, purpose=passkeys.SIGN_IN,
                                             reviewer_id=None, clock=clock)
    except WrongCredentials:
        raise failed("passkey") from None
    if verified.reviewer.id != account:
        raise failed("passkey")
    if verified.account_key is not None:
        clear(db, key)
        return Authenticated(open_account(db, verified.reviewer, verified.account_key).signed_in,
                             method=METHOD_PASSKEY)
    try:
        unlocked = unlock_reviewer(db, config, email, password)
    except WrongCredentials:
        raise failed("password") from None
    clear(db, key)
    return Authenticated(password_allowed(db, unlocked.signed_in, METHOD_PASSWORD_PASSKEY, clock=clock),
                         method=METHOD_PASSWORD_PASSKEY)


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
