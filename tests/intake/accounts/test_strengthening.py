"""Passwords and report keys wrapped under less than the configured Argon2id cost (the test suite's, say) are
wrapped again at full cost the next time they are entered, everything under them still opens, and it is audited
(docs/design.md#cryptography). The full cost here is production's, as in a real deployment."""

from dataclasses import replace
from datetime import timedelta

from sqlmodel import select

from crypto.params import REPORT_KEY_KDF, REVIEWER_PASSWORD_KDF
from crypto.passwords import PasswordRecord
from crypto.report_keys import reporter_key_cost
from intake.accounts import totp
from intake.accounts.authentication import authenticate, confirm_totp_enrolment
from intake.accounts.reviewers import sign_in
from intake.accounts.sessions import resume_session, start_session
from intake.clock import utc_now
from intake.keys.rotation import rotate_city_key
from intake.models import AuditEntry, Case, Reviewer
from intake.reports.submission import CHANNEL_PHONE, open_report, reporter_view, submit_report
from tests.intake.casework.console_helpers import PASSWORD, make_city

EMAIL = "ana@raytown.example"


def entries(database, action):
    with database.read() as session:
        return session.exec(select(AuditEntry).where(AuditEntry.action == action)
                            .order_by(AuditEntry.sequence)).all()


def code_at(secret: bytes, when) -> str:
    return totp.code_for_step(secret, totp.step_at(when))


def test_a_cheap_password_record_is_made_again_at_full_cost_at_sign_in(database, config):
    city = make_city(database, config, "raytown", {"ana": ("reviewer", None)})
    now = utc_now()
    enrolment = authenticate(database, config, EMAIL, PASSWORD, "", clock=lambda: now)
    secret = enrolment.enrol_totp_secret
    confirm_totp_enrolment(database, enrolment.signed_in.reviewer_id, secret, code_at(secret, now),
                           clock=lambda: now)
    signed_in = sign_in(database, config, EMAIL, PASSWORD)
    cookie = start_session(database, signed_in, signed_in.memberships[0].city_id)
    production = replace(config, reviewer_kdf=REVIEWER_PASSWORD_KDF)

    later = now + timedelta(seconds=60)  # the console's sign-in: password and TOTP, at production cost
    result = authenticate(database, production, EMAIL, PASSWORD, code_at(secret, later), clock=lambda: later)

    with database.read() as session:
        reviewer = session.exec(select(Reviewer).where(Reviewer.email == EMAIL)).one()
    assert PasswordRecord.decode(reviewer.password_record).cost == REVIEWER_PASSWORD_KDF
    assert result.signed_in.memberships[0].city_private_key == city.key  # opened under the new master key
    [entry] = entries(database, "reviewer.password_rewrapped")
    assert entry.actor == entry.subject == f"reviewer:{reviewer.id}"
    assert entry.detail == '{"from_iterations":1,"from_memory_kib":256,"to_iterations":3,"to_memory_kib":65536}'
    assert resume_session(database, config, cookie).city_private_key == city.key  # sessions stay open
    # The next sign-in finds the TOTP secret under the new master key, and re-wraps nothing.
    again = later + timedelta(seconds=60)
    authenticate(database, production, EMAIL, PASSWORD, code_at(secret, again), clock=lambda: again)
    assert len(entries(database, "reviewer.password_rewrapped")) == 1
    # The personal key moved with it: a rotation's grant still reaches the reviewer.
    rotation = rotate_city_key(database, "raytown", city.recovery_key)
    new_key = sign_in(database, production, EMAIL, PASSWORD).memberships[0].city_private_key
    assert new_key is not None and new_key != city.key and rotation.items == 0


def test_a_cheap_report_key_is_wrapped_again_at_full_cost_when_the_reporter_comes_back(database, config):
    make_city(database, config, "raytown", {"ana": ("reviewer", None)})
    web = submit_report(database, config, city_slug="raytown", category="safety", narrative="web report")
    phone = submit_report(database, config, city_slug="raytown", category="safety", narrative="phone report",
                          channel=CHANNEL_PHONE)
    production = replace(config, report_key_kdf=REPORT_KEY_KDF)

    access = open_report(database, production, web.report_key)
    open_report(database, production, phone.report_key, channel=CHANNEL_PHONE)

    with database.read() as session:
        for made in (web, phone):
            assert reporter_key_cost(session.get(Case, made.case_id).reporter_wrapped_private_key) == REPORT_KEY_KDF
    assert [item.text for item in reporter_view(database, access).items] == ["web report"]
    strengthened = entries(database, "case.report_key_rewrapped")
    assert [(entry.subject, entry.actor) for entry in strengthened] == [(web.case_id, "reporter"),
                                                                       (phone.case_id, "phone caller")]
    # The reporter's time of day is never kept: the entry has the day only.
    assert all(entry.recorded_at == utc_now().date().isoformat() for entry in strengthened)
    assert strengthened[0].detail == '{"from_iterations":1,"from_memory_kib":256,"to_iterations":2,' \
                                     '"to_memory_kib":19456}'
    open_report(database, production, web.report_key)  # already at full cost: nothing more
    assert len(entries(database, "case.report_key_rewrapped")) == 2
