"""Login that resists attack: TOTP before any case, no replayed code, growing delays but never a lock (audited),
an unknown email answered like a known one, password change and restore with the recovery key re-wrapping the
city key."""

import threading
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlmodel import select

from crypto.params import Argon2Cost
from intake.accounts import totp
from intake.accounts.account import change_password
from intake.accounts.authentication import SignInFailed, authenticate, confirm_totp_enrolment, record_failure
from intake.accounts.restore import restore_access
from intake.accounts.sessions import confirm_totp_stage, resume_session, start_session
from intake.casework import cases as casework
from intake.clock import utc_now
from intake.errors import InvalidInput, NotFound, TooManyAttempts, WrongCredentials
from intake.models import AuditEntry
from intake.reports import submission as reports
from tests.intake.casework.console_helpers import PASSWORD, context_for, make_city

EMAIL = "ana@raytown.example"


@pytest.fixture
def city(database, config):
    return make_city(database, config, "raytown", {"ana": ("reviewer", None), "boss": ("admin", None)})


def code_at(secret: bytes, when) -> str:
    return totp.code_for_step(secret, totp.step_at(when))


def enrol(database, config, when):
    result = authenticate(database, config, EMAIL, PASSWORD, "", clock=lambda: when)
    assert result.enrol_totp_secret is not None
    confirm_totp_enrolment(database, result.signed_in.reviewer_id, result.enrol_totp_secret,
                           code_at(result.enrol_totp_secret, when), clock=lambda: when)
    return result.enrol_totp_secret


def test_a_reviewer_without_totp_reaches_no_case(database, config, city):
    submitted = reports.submit_report(database, config, city_slug="raytown", category="safety", narrative="crane")
    result = authenticate(database, config, EMAIL, PASSWORD, "")
    assert result.enrol_totp_secret is not None
    cookie = start_session(database, result.signed_in, result.signed_in.memberships[0].city_id,
                           pending_totp_secret=result.enrol_totp_secret)
    context = resume_session(database, config, cookie)
    assert context.role == "totp-enrolment" and context.city_private_key is None
    with pytest.raises(NotFound):
        casework.read_case(database, context, submitted.case_id)
    with pytest.raises(NotFound):
        casework.list_cases(database, context)
    with pytest.raises(WrongCredentials):
        confirm_totp_enrolment(database, context.reviewer_id, context.pending_totp_secret, "000000")
    confirm_totp_enrolment(database, context.reviewer_id, context.pending_totp_secret,
                           code_at(context.pending_totp_secret, utc_now()))
    confirm_totp_stage(database, context)
    full = resume_session(database, config, cookie)
    assert full.role == "reviewer" and casework.read_case(database, full, submitted.case_id).items[0].text == "crane"


def test_a_code_cannot_be_used_twice(database, config, city):
    now = utc_now()
    secret = enrol(database, config, now)
    later = now + timedelta(seconds=30)
    code = code_at(secret, later)
    assert authenticate(database, config, EMAIL, PASSWORD, code, clock=lambda: later).enrol_totp_secret is None
    with pytest.raises(WrongCredentials):  # the same code, replayed within its window
        authenticate(database, config, EMAIL, PASSWORD, code, clock=lambda: later + timedelta(seconds=5))
    with pytest.raises(WrongCredentials):  # and a code from an earlier step
        authenticate(database, config, EMAIL, PASSWORD, code_at(secret, now), clock=lambda: later)
    with pytest.raises(WrongCredentials):  # the enrolment code itself
        authenticate(database, config, EMAIL, PASSWORD, code_at(secret, now), clock=lambda: now)
    step_after = later + timedelta(seconds=30)
    assert authenticate(database, config, EMAIL, PASSWORD, code_at(secret, step_after), clock=lambda: step_after)


def failed_attempt(database, config, email, password, code, when):
    """One sign-in that must fail; its audit entries are written as the console writes them (after answering)."""
    with pytest.raises(SignInFailed) as failed:
        authenticate(database, config, email, password, code, clock=lambda: when)
    record_failure(database, failed.value.failure)
    return failed.value


def test_wrong_passwords_slow_the_account_down_but_never_lock_it(database, config, city):
    """NIST SP 800-63B 5.2.2 and OWASP ASVS V2.2.1: growing delays, told as the seconds to wait; an attempt during
    a delay is refused unchecked (even the right one); after the wait the right password and code pass, however
    many failures came before. Every failure and every delay is in the audit log."""
    now = utc_now()
    secret = enrol(database, config, now)
    waits = []
    for _ in range(30):
        failed = failed_attempt(database, config, EMAIL, "a wrong password!", "", now)
        waits.append(failed.retry_after_seconds)
        if failed.retry_after_seconds:
            with pytest.raises(TooManyAttempts) as refused:  # the right password and code, too early
                authenticate(database, config, EMAIL, PASSWORD, code_at(secret, now), clock=lambda at=now: at)
            assert refused.value.retry_after_seconds == failed.retry_after_seconds
            now += timedelta(seconds=failed.retry_after_seconds)
    assert waits == [0, 0, 1, 2, 4, 8, 16] + [config.sign_in_max_delay_seconds] * 23
    assert authenticate(database, config, EMAIL, PASSWORD, code_at(secret, now), clock=lambda: now)
    # A success clears the count: the next failure is free again.
    assert failed_attempt(database, config, EMAIL, "a wrong password!", "", now).retry_after_seconds == 0
    with database.read() as session:
        entries = session.exec(select(AuditEntry).order_by(AuditEntry.sequence)).all()
    actions = [e.action for e in entries]
    assert actions.count("reviewer.sign_in_failed") == 31 and actions.count("reviewer.sign_in_delayed") == 28
    assert "reviewer.locked" not in actions
    delayed = [e.detail for e in entries if e.action == "reviewer.sign_in_delayed"]
    assert delayed[0] == '{"failures":3,"seconds":1}' and delayed[-1] == '{"failures":30,"seconds":30}'


def test_an_unknown_email_is_slowed_down_exactly_like_a_known_one(database, config, city):
    now = utc_now()
    enrol(database, config, now)
    answers = {}
    for email in (EMAIL, "nobody@raytown.example"):
        at, seen = now, []
        for _ in range(12):
            failed = failed_attempt(database, config, email, "a wrong password!", "", at)
            try:
                authenticate(database, config, email, "a wrong password!", "", clock=lambda moment=at: moment)
            except TooManyAttempts as refused:
                seen.append(("refused", refused.retry_after_seconds))
            except SignInFailed as again:
                seen.append(("failed", again.retry_after_seconds))
            seen.append(("failed", failed.retry_after_seconds, str(failed)))
            at += timedelta(seconds=failed.retry_after_seconds + (failed.retry_after_seconds == 0))
        answers[email] = seen
    assert answers[EMAIL] == answers["nobody@raytown.example"]


def test_concurrent_guesses_cannot_all_pass_the_check_made_before_the_slow_password_check(database, config):
    """Eight wrong passwords at the same moment, right after a failure that imposes a delay... and before it:
    each attempt is counted before its password is checked, so at the third failure (the first with a delay) only
    one of eight concurrent guesses is evaluated and seven are refused, instead of all eight passing a check that
    saw the same count while their passwords were still being hashed."""
    slow = replace(config, reviewer_kdf=Argon2Cost(memory_kib=8192, iterations=3, lanes=1))
    make_city(database, slow, "raytown", {"ana": ("reviewer", None)})
    for _ in range(2):
        with pytest.raises(SignInFailed):
            authenticate(database, slow, EMAIL, "a wrong password!", "")
    start, outcomes = threading.Barrier(8), []

    def guess() -> None:
        start.wait()
        try:
            authenticate(database, slow, EMAIL, "a wrong password!", "")
        except (SignInFailed, TooManyAttempts) as error:
            outcomes.append(type(error))

    threads = [threading.Thread(target=guess) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcome.__name__ for outcome in outcomes) == ["SignInFailed"] + ["TooManyAttempts"] * 7


def test_a_wrong_code_counts_as_a_failure(database, config, city):
    now = utc_now()
    enrol(database, config, now)
    failed_attempt(database, config, EMAIL, PASSWORD, "123456", now)
    with database.read() as session:
        failed = session.exec(select(AuditEntry).where(AuditEntry.action == "reviewer.sign_in_failed")).one()
    assert '"reason":"code"' in failed.detail


def test_password_change_rewraps_the_city_key_and_keeps_totp(database, config, city):
    submitted = reports.submit_report(database, config, city_slug="raytown", category="safety", narrative="crane")
    context = context_for(database, config, EMAIL)
    with pytest.raises(InvalidInput):
        change_password(database, config, context, "not the password", "a brand new password")
    with pytest.raises(InvalidInput):
        change_password(database, config, context, PASSWORD, "short")
    change_password(database, config, context, PASSWORD, "a brand new password")
    with pytest.raises(NotFound):  # every session ended
        resume_session(database, config, "x.y")
    with pytest.raises(WrongCredentials):
        authenticate(database, config, EMAIL, PASSWORD, "")
    again = context_for(database, config, EMAIL, "a brand new password")
    assert casework.read_case(database, again, submitted.case_id).items[0].text == "crane"


def test_an_admin_restores_access_with_the_recovery_key(database, config, city):
    submitted = reports.submit_report(database, config, city_slug="raytown", category="safety", narrative="crane")
    admin = context_for(database, config, "boss@raytown.example")
    reviewer = context_for(database, config, EMAIL)
    for key, field in (("AAAA-BBBB", "recovery_key"), (city.recovery_key, "new_password")):
        with pytest.raises(InvalidInput) as raised:
            restore_access(database, config, admin, email=EMAIL, recovery_key=key,
                           new_password="short" if field == "new_password" else "a restored password")
        assert field in raised.value.problems
    with pytest.raises(NotFound):
        restore_access(database, config, reviewer, email="boss@raytown.example", recovery_key=city.recovery_key,
                       new_password="a restored password")
    restored = restore_access(database, config, admin, email=EMAIL, recovery_key=city.recovery_key,
                              new_password="a restored password")
    assert restored.reviewer_id == reviewer.reviewer_id
    with pytest.raises(WrongCredentials):
        authenticate(database, config, EMAIL, PASSWORD, "")
    assert authenticate(database, config, EMAIL, "a restored password", "").enrol_totp_secret is not None
    again = context_for(database, config, EMAIL, "a restored password")
    assert casework.read_case(database, again, submitted.case_id).items[0].text == "crane"
    with database.read() as session:
        assert session.exec(select(AuditEntry).where(AuditEntry.action == "reviewer.access_restored")).one()
