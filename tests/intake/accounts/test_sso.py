"""Single sign-on in the domain (docs/design.md#single-sign-on): matched by issuer and subject, linked once by an
admin's offer and a verified email, never by email alone; a city may require a multi-factor login and may turn
password sign-in off; after single sign-on nothing is open until the reviewer unlocks with the password or a
passkey; every link and refusal is audited."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest
from sqlmodel import select

from intake.accounts import passkeys, policy, sso
from intake.accounts.authentication import RefusedByCityRules, SignInFailed, authenticate
from intake.accounts.sessions import resume_session, start_session, unlock_session
from intake.clock import utc_now
from intake.models import AuditEntry, SsoLink
from tests.intake.accounts.soft_passkey import SoftPasskey
from tests.intake.casework.console_helpers import PASSWORD, context_for, make_city

ISSUER = "https://login.example.org/tenant/v2.0"
PROVIDER = sso.Provider("marc", ISSUER)
ORIGIN = "http://localhost:8000"


def claims(subject: str, email: str = "ana@raytown.example", *, verified: bool = True,
           amr: tuple[str, ...] = ("pwd",)) -> sso.Claims:
    return sso.Claims(ISSUER, subject, email, verified, amr)


@pytest.fixture
def city(database, config):
    city = make_city(database, config, "raytown", {"ana": ("reviewer", None), "boss": ("admin", None)})
    return city


def actions(database) -> list[str]:
    with database.read() as session:
        return [entry.action for entry in session.exec(select(AuditEntry).order_by(AuditEntry.id)).all()]


def test_a_login_is_linked_once_by_an_admins_offer_then_matched_by_subject_only(database, config, city):
    with pytest.raises(sso.NotLinked):  # no offer: the verified email alone gets nothing
        sso.sign_in(database, PROVIDER, claims("subject-ana"))
    admin = context_for(database, config, "boss@raytown.example")
    sso.offer_link(database, admin, city.reviewer_ids["ana"], PROVIDER)
    with pytest.raises(sso.NotLinked):  # an unverified email does not take the offer
        sso.sign_in(database, PROVIDER, claims("subject-ana", verified=False))
    with pytest.raises(sso.NotLinked):  # nor another issuer
        sso.sign_in(database, PROVIDER, dataclasses.replace(claims("subject-ana"), issuer="https://evil.example"))
    signed_in = sso.sign_in(database, PROVIDER, claims("subject-ana"))
    assert signed_in.reviewer_id == city.reviewer_ids["ana"] and signed_in.account_key is None
    assert all(m.city_private_key is None for m in signed_in.memberships)
    with pytest.raises(sso.NotLinked):  # the offer is used up: another subject with the same email gets nothing
        sso.sign_in(database, PROVIDER, claims("subject-imposter"))
    again = sso.sign_in(database, PROVIDER, claims("subject-ana", email="renamed@elsewhere.example"))
    assert again.reviewer_id == city.reviewer_ids["ana"]  # the subject counts, not the email
    assert actions(database).count("sso.link_offered") == 1 and actions(database).count("sso.linked") == 1
    sso.remove_link(database, admin, city.reviewer_ids["ana"], "marc")
    with pytest.raises(sso.NotLinked):
        sso.sign_in(database, PROVIDER, claims("subject-ana"))
    assert "sso.unlinked" in actions(database)


def test_an_offer_expires(database, config, city):
    admin = context_for(database, config, "boss@raytown.example")
    sso.offer_link(database, admin, city.reviewer_ids["ana"], PROVIDER,
                   clock=lambda: utc_now() - timedelta(days=sso.LINK_OFFER_DAYS + 1))
    with pytest.raises(sso.NotLinked):
        sso.sign_in(database, PROVIDER, claims("subject-ana"))


def test_a_city_can_require_a_multi_factor_login_and_turn_passwords_off(database, config, city):
    admin = context_for(database, config, "boss@raytown.example")
    sso.offer_link(database, admin, city.reviewer_ids["ana"], PROVIDER)
    policy.set_rules(database, admin, password_allowed=False, require_mfa=True)
    with pytest.raises(RefusedByCityRules):
        sso.sign_in(database, PROVIDER, claims("subject-ana", amr=("pwd",)))
    assert sso.sign_in(database, PROVIDER, claims("subject-ana", amr=("pwd", "mfa"))).memberships
    with pytest.raises(RefusedByCityRules):  # every factor right, but the city signs in through its provider
        authenticate(database, config, "ana@raytown.example", PASSWORD, "")
    refused = [a for a in actions(database) if a == "reviewer.sign_in_refused"]
    assert len(refused) == 2 and "city.sign_in_policy_changed" in actions(database)
    policy.set_rules(database, admin, password_allowed=True, require_mfa=False)
    assert authenticate(database, config, "ana@raytown.example", PASSWORD, "").enrol_totp_secret is not None


def test_after_single_sign_on_nothing_opens_until_the_keys_are_unlocked(database, config, city):
    config = dataclasses.replace(config, webauthn_rp_id="localhost", webauthn_origin=ORIGIN)
    full = context_for(database, config, "ana@raytown.example")
    authenticator = SoftPasskey("localhost", ORIGIN)
    response, output = authenticator.create(passkeys.registration_options(database, config, full))
    assert passkeys.register(database, config, full, response, output, "phone")
    admin = context_for(database, config, "boss@raytown.example")
    sso.offer_link(database, admin, city.reviewer_ids["ana"], PROVIDER)
    for unlock in ("password", "passkey"):
        signed_in = sso.sign_in(database, PROVIDER, claims("subject-ana"))
        cookie = start_session(database, signed_in, signed_in.memberships[0].city_id, method="sso", locked=True)
        locked = resume_session(database, config, cookie)
        assert locked.role == "unlock" and locked.city_private_key is None and locked.account_key is None
        with pytest.raises(SignInFailed):
            sso.unlock_with_password(database, config, locked, "not the password at all")
        if unlock == "password":
            unlocked = sso.unlock_with_password(database, config, locked, PASSWORD)
        else:
            response, output = authenticator.get(passkeys.unlock_options(database, config, locked))
            unlocked = sso.unlock_with_passkey(database, config, locked, response, output)
        unlock_session(database, locked, cookie, unlocked.signed_in, f"sso+{unlock}")
        opened = resume_session(database, config, cookie)
        assert opened.role == "reviewer" and opened.city_private_key == city.key
    assert actions(database).count("reviewer.keys_unlocked") == 2
    with database.read() as session:
        assert len(session.exec(select(SsoLink)).all()) == 1
