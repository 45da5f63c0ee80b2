"""Passkeys (docs/design.md#account-keys-and-passkeys), with a software authenticator: one with PRF signs in alone
and unlocks the account key; one without is a second factor next to the password; one reviewer's passkey never
opens another's keys; removing a passkey removes its wrapping; challenges are used once, for their purpose and
origin; options for an unknown email look like those for a known one; every registration and removal is audited."""

from __future__ import annotations

import dataclasses

import pytest
from sqlmodel import select

from crypto import account_keys
from crypto.errors import WrongSecret
from intake.accounts import passkeys
from intake.accounts.authentication import SignInFailed, authenticate_with_passkey
from intake.casework import cases as casework
from intake.models import AuditEntry, Passkey
from intake.reports import submission as reports
from tests.intake.accounts.soft_passkey import SoftPasskey, b64url
from tests.intake.casework.console_helpers import context_for, make_city

ORIGIN = "http://localhost:8000"


@pytest.fixture
def setup(database, config):
    config = dataclasses.replace(config, webauthn_rp_id="localhost", webauthn_origin=ORIGIN)
    make_city(database, config, "raytown", {"ana": ("reviewer", None), "ben": ("reviewer", None)})
    case = reports.submit_report(database, config, city_slug="raytown", category="safety", narrative="Marker-pk")
    return config, case.case_id


def register(database, config, email: str, *, prf: bool = True) -> SoftPasskey:
    context = context_for(database, config, email)
    authenticator = SoftPasskey("localhost", ORIGIN, prf=prf)
    response, output = authenticator.create(passkeys.registration_options(database, config, context))
    assert passkeys.register(database, config, context, response, output, "laptop") is prf
    return authenticator


def sign_in_with(database, config, authenticator: SoftPasskey, email: str, password: str = ""):
    response, output = authenticator.get(passkeys.sign_in_options(database, config, email))
    return authenticate_with_passkey(database, config, email, password, response, output)


def test_a_prf_passkey_signs_in_alone_and_opens_the_cases(database, setup):
    config, case_id = setup
    authenticator = register(database, config, "ana@raytown.example")
    result = sign_in_with(database, config, authenticator, "ana@raytown.example")
    assert result.method == "passkey" and result.signed_in.account_key is not None
    from intake.accounts.sessions import resume_session, start_session

    context = resume_session(database, config, start_session(database, result.signed_in,
                                                             result.signed_in.memberships[0].city_id))
    assert casework.read_case(database, context, case_id).items[0].text == "Marker-pk"
    with database.read() as session:
        stored = session.exec(select(Passkey)).one()
        registered = session.exec(select(AuditEntry).where(AuditEntry.action == "passkey.registered")).one()
    assert stored.wrapped_account_key is not None and registered.detail == '{"unlocks":1}'
    assert authenticator.prf_output(stored.prf_salt) not in (stored.wrapped_account_key, stored.public_key)


def test_a_passkey_without_prf_is_a_second_factor_only(database, setup):
    config, _case = setup
    authenticator = register(database, config, "ana@raytown.example", prf=False)
    with pytest.raises(SignInFailed):  # alone it proves who, but opens nothing
        sign_in_with(database, config, authenticator, "ana@raytown.example")
    with pytest.raises(SignInFailed):
        sign_in_with(database, config, authenticator, "ana@raytown.example", "not the password at all")
    result = sign_in_with(database, config, authenticator, "ana@raytown.example", "a long enough password")
    assert result.method == "password+passkey" and result.signed_in.memberships[0].city_private_key is not None


def test_one_reviewers_passkey_never_opens_anothers_keys(database, setup):
    config, _case = setup
    ana, ben = (register(database, config, email) for email in ("ana@raytown.example", "ben@raytown.example"))
    with pytest.raises(SignInFailed):  # Ben's passkey, typed with Ana's email
        response, output = ben.get(passkeys.sign_in_options(database, config, "ben@raytown.example"))
        authenticate_with_passkey(database, config, "ana@raytown.example", "", response, output)
    with database.write() as session:  # a dump edited so Ben's passkey claims to be Ana's
        rows = {row.reviewer_id: row for row in session.exec(select(Passkey)).all()}
        ana_id, ben_id = sorted(rows)
        ana_row, ben_row = rows[ana_id], rows[ben_id]
        ben_row.reviewer_id = ana_id
        ben_row.wrapped_account_key = ana_row.wrapped_account_key
        ben_row.prf_salt = ana_row.prf_salt
        session.add(ben_row)
    with pytest.raises(SignInFailed):
        sign_in_with(database, config, ben, "ana@raytown.example")
    # And in the cryptography itself: another credential's or reviewer's PRF output opens nothing.
    key = account_keys.new_account_key()
    wrapped = account_keys.wrap_under_passkey(key, ana.prf_output(b"s" * 32), 1, ana.credential_id)
    for output, reviewer, credential in ((ben.prf_output(b"s" * 32), 1, ana.credential_id),
                                         (ana.prf_output(b"s" * 32), 2, ana.credential_id),
                                         (ana.prf_output(b"s" * 32), 1, ben.credential_id)):
        with pytest.raises(WrongSecret):
            account_keys.open_with_passkey(wrapped, output, reviewer, credential)
    assert account_keys.open_with_passkey(wrapped, ana.prf_output(b"s" * 32), 1, ana.credential_id) == key


def test_removing_a_passkey_removes_its_wrapping(database, setup):
    config, _case = setup
    authenticator = register(database, config, "ana@raytown.example")
    context = context_for(database, config, "ana@raytown.example")
    with pytest.raises(passkeys.InvalidInput):  # not Ben's to remove
        passkeys.remove(database, context_for(database, config, "ben@raytown.example"),
                        b64url(authenticator.credential_id))
    passkeys.remove(database, context, b64url(authenticator.credential_id))
    with database.read() as session:
        assert session.exec(select(Passkey)).all() == []
        assert len(session.exec(select(AuditEntry).where(AuditEntry.action == "passkey.removed")).all()) == 1
    with pytest.raises(SignInFailed):
        sign_in_with(database, config, authenticator, "ana@raytown.example")


def test_a_challenge_is_used_once_for_its_purpose_and_origin(database, setup):
    config, _case = setup
    authenticator = register(database, config, "ana@raytown.example")
    response, output = authenticator.get(passkeys.sign_in_options(database, config, "ana@raytown.example"))
    assert authenticate_with_passkey(database, config, "ana@raytown.example", "", response, output)
    with pytest.raises(SignInFailed):  # replayed
        authenticate_with_passkey(database, config, "ana@raytown.example", "", response, output)
    options = passkeys.sign_in_options(database, config, "ana@raytown.example")
    phished, output = authenticator.get(options, origin="https://hotline.example.net")
    with pytest.raises(SignInFailed):  # signed for another site
        authenticate_with_passkey(database, config, "ana@raytown.example", "", phished, output)
    context = context_for(database, config, "ana@raytown.example")
    unlock = passkeys.unlock_options(database, config, context)
    response, output = authenticator.get(unlock)
    with pytest.raises(SignInFailed):  # an unlock challenge is not a sign-in one
        authenticate_with_passkey(database, config, "ana@raytown.example", "", response, output)


def test_options_for_an_unknown_email_look_like_a_known_ones(database, setup):
    config, _case = setup
    register(database, config, "ana@raytown.example")
    shapes = []
    for email in ("ana@raytown.example", "ben@raytown.example", "nobody@raytown.example"):
        options = passkeys.sign_in_options(database, config, email)
        shapes.append((tuple(sorted(options)), len(options["allowCredentials"]),
                       len(options["extensions"]["prf"]["evalByCredential"])))
    assert len(set(shapes)) == 1
    again = passkeys.sign_in_options(database, config, "nobody@raytown.example")["allowCredentials"]
    assert again == passkeys.sign_in_options(database, config, "nobody@raytown.example")["allowCredentials"]
