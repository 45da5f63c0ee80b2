"""Single sign-on through a real OpenID Provider and a passkey that unlocks the keys, in Debian's Chromium
(docs/design.md#single-sign-on, docs/design.md#account-keys-and-passkeys).

oidc-provider (OpenID Certified, tests/e2e/oidc_provider) runs on 127.0.0.1 with one confidential client that must
use PKCE; the app is served as ``hotline serve`` at http://localhost (WebAuthn needs a domain), and Chromium's
virtual authenticator (DevTools ``WebAuthn.addVirtualAuthenticator``, with PRF) plays the passkey:

- Alice (Raytown) signs in with her password and TOTP code and registers a passkey, which unlocks her keys (PRF).
  Her admin allowed her to link the city's sign-in; she signs in through the provider (linking it), unlocks with
  the passkey, reads a case, signs out.
- Bob (Grandview), linked the same way, signs in through the same provider, unlocks with his password, and gets
  not-found for Alice's case.
- A provider login whose subject is not linked, even with Alice's verified email, gets no account.
- Every sign-in (by method), the passkey's registration and the links are in the cities' audit logs.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pyotp
import pytest
from sqlmodel import select

from intake.accounts import sso
from intake.accounts.account import set_up_totp
from intake.accounts.reviewers import add_reviewer, sign_in
from intake.accounts.sessions import resume_session, start_session
from intake.cities import create_city, find_city, open_city_key_with_recovery_key
from intake.config import IntakeConfig
from intake.db import Database
from intake.models import AuditEntry, Passkey, ReviewerSession
from intake.operations.migrate import upgrade
from intake.reports.submission import submit_report
from tests.conftest import TEST_KDF
from tests.e2e.console_checks import check_current_page, spanish
from tests.e2e.oidc import openid_provider
from tests.e2e.servers import free_port, running
from tests.e2e.test_console_browser import CHROMIUM, CHROMIUM_ARGS, chromium_or_skip

PASSWORD = "a long enough password"
PEPPER = b"p" * 40
NARRATIVE = "Marker-sso-narrative: the permit fees are pocketed."
CLIENT_ID, CLIENT_SECRET = "hotline-test", "client-secret-Marker-7f1d3a9c"
ACCOUNTS = {"alice": {"email": "alice@raytown.example", "email_verified": True},
            "bob": {"email": "bob@grandview.example", "email_verified": True},
            "alice-imposter": {"email": "alice@raytown.example", "email_verified": True}}

pytestmark = pytest.mark.browser


def prepare(directory: Path, issuer: str) -> tuple[str, dict[str, str], str]:
    """Two cities, a reviewer and an admin in each, a case in Raytown; each admin allows linking the provider.
    Returns the database URL, the reviewers' TOTP secrets and the case's id."""
    url = f"sqlite:///{directory / 'hotline.sqlite3'}"
    database = Database(url)
    upgrade(database)
    config = IntakeConfig(pepper=PEPPER, reviewer_kdf=TEST_KDF, report_key_kdf=TEST_KDF,
                          release_interval_seconds=0)
    provider = sso.Provider("marc", issuer)
    totp_secrets = {}
    for slug, person in (("raytown", "alice"), ("grandview", "bob")):
        created = create_city(database, slug, slug.title())
        key = open_city_key_with_recovery_key(find_city(database, slug), created.recovery_key)
        email = f"{person}@{slug}.example"
        added = add_reviewer(database, config, city_slug=slug, email=email, display_name=person.title(),
                             password=PASSWORD, role="reviewer", city_private_key=key)
        totp_secrets[email] = set_up_totp(database, config, email, PASSWORD)
        add_reviewer(database, config, city_slug=slug, email=f"admin@{slug}.example", display_name="Admin",
                     password=PASSWORD, role="admin", city_private_key=key)
        admin = sign_in(database, config, f"admin@{slug}.example", PASSWORD)
        context = resume_session(database, config, start_session(database, admin, admin.memberships[0].city_id))
        sso.offer_link(database, context, added.reviewer_id, provider)
    case = submit_report(database, config, city_slug="raytown", category="fraud-waste-abuse", narrative=NARRATIVE)
    database.dispose()
    return url, totp_secrets, case.case_id


def provider_login(page, login: str) -> None:
    """The provider's own (development) login and consent pages."""
    page.wait_for_selector("input[name=login]")
    page.fill("input[name=login]", login)
    page.fill("input[name=password]", "any password: the test provider checks none")
    page.click("button[type=submit]")
    page.wait_for_load_state()
    if page.locator("button[type=submit]", has_text="Continue").count():
        page.click("button[type=submit]")
        page.wait_for_load_state()


def virtual_passkey(context, page) -> None:
    cdp = context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    cdp.send("WebAuthn.addVirtualAuthenticator", {"options": {
        "protocol": "ctap2", "ctap2Version": "ctap2_1", "transport": "internal", "hasResidentKey": True,
        "hasUserVerification": True, "isUserVerified": True, "hasPrf": True, "automaticPresenceSimulation": True}})


def audit(url: str) -> list[tuple[str, str, str]]:
    database = Database(url)
    try:
        with database.read() as session:
            return [(e.action, e.actor, e.detail) for e in session.exec(select(AuditEntry)
                                                                        .order_by(AuditEntry.id)).all()]
    finally:
        database.dispose()


def test_sign_in_through_the_city_provider_unlock_with_a_passkey_and_read_a_case(tmp_path):
    chromium_or_skip()
    from axe_playwright_python.sync_playwright import Axe
    from playwright.sync_api import sync_playwright

    axe, problems = Axe(), []
    app_port, oidc_port = free_port(), free_port()
    base = f"http://localhost:{app_port}"
    with openid_provider(oidc_port, CLIENT_ID, CLIENT_SECRET, [f"{base}/review/sso/marc/callback"], ACCOUNTS,
                         tmp_path / "provider.log") as issuer:
        url, totp_secrets, case_id = prepare(tmp_path, issuer)
        secret_file = tmp_path / "client_secret"
        secret_file.write_text(CLIENT_SECRET + "\n")
        providers = tmp_path / "providers.json"
        providers.write_text(json.dumps({"providers": [{
            "name": "marc", "label": "MARC (test)", "issuer": issuer, "client_id": CLIENT_ID,
            "client_secret_file": str(secret_file), "cities": "*"}]}))
        env = {"HOTLINE_DATABASE_URL": url, "HOTLINE_PEPPER": PEPPER.decode(), "HOTLINE_SESSION_KEY": "s" * 40,
               "HOTLINE_INSECURE_TEST_KDF": "1", "HOTLINE_PUBLIC_URL": base, "HOTLINE_LOG_LEVEL": "debug",
               "HOTLINE_OIDC_PROVIDERS_FILE": str(providers)}
        log = tmp_path / "server.log"
        with running(["serve", "--port", str(app_port)], env, app_port, log), sync_playwright() as play:
            browser = play.chromium.launch(executable_path=CHROMIUM, args=[
                *CHROMIUM_ARGS, "--host-resolver-rules=MAP localhost 127.0.0.1"])
            try:
                # Alice: password and TOTP, then a passkey that unlocks her keys.
                alice_context = browser.new_context()
                alice = alice_context.new_page()
                virtual_passkey(alice_context, alice)
                alice.goto(base + "/review/sign-in")
                alice.get_by_label("Email").fill("alice@raytown.example")
                alice.get_by_label("Password").fill(PASSWORD)
                alice.get_by_label("Code from your authenticator app").fill(
                    pyotp.TOTP(totp_secrets["alice@raytown.example"]).now())
                alice.get_by_role("button", name="Sign in", exact=True).click()
                alice.wait_for_url("**/review/")
                alice.goto(base + "/review/account")
                alice.get_by_label("Name for the new passkey").fill("Alice's laptop")
                alice.get_by_role("button", name="Add a passkey").click()
                alice.wait_for_url("**/review/account?done=passkey-unlocks")
                assert "unlocks your keys" in alice.content()
                alice.get_by_role("button", name="Sign out").first.click()
                alice.wait_for_url("**/review/sign-in")

                # Through the provider, then the passkey: the case opens.
                alice.get_by_role("link", name="Sign in with MARC (test)").click()
                provider_login(alice, "alice")
                alice.wait_for_url("**/review/unlock")
                assert alice.goto(base + "/review/cases/" + case_id).url.endswith("/review/unlock")  # locked
                alice.get_by_role("button", name="Unlock with a passkey").click()
                alice.wait_for_url("**/review/")
                alice.goto(base + "/review/cases/" + case_id)
                assert NARRATIVE in alice.content()
                alice.get_by_role("button", name="Sign out").first.click()
                alice.wait_for_url("**/review/sign-in")
                assert alice.goto(base + "/review/cases/" + case_id).url.endswith("/review/sign-in")

                # Bob, of another city, through the same provider: not-found for Alice's case.
                bob = browser.new_context().new_page()
                bob.goto(base + "/review/sign-in")
                bob.get_by_role("link", name="Sign in with MARC (test)").click()
                provider_login(bob, "bob")
                bob.wait_for_url("**/review/unlock")
                # The unlock page is a console page too: the console's browser checks, in both languages.
                check_current_page(bob, axe, "unlock", tmp_path, problems)
                bob.goto(base + spanish("/review/unlock"))
                check_current_page(bob, axe, "unlock (es)", tmp_path, problems)
                bob.goto(base + "/review/unlock")
                bob.get_by_label("Or your hotline password").fill(PASSWORD)
                bob.get_by_role("button", name="Unlock with the password").click()
                bob.wait_for_url("**/review/")
                answer = bob.goto(base + "/review/cases/" + case_id)
                assert answer.status == 404 and NARRATIVE not in bob.content()

                # A login not linked to any account (Alice's verified email, another subject): no account.
                imposter_context = browser.new_context()
                imposter = imposter_context.new_page()
                imposter.goto(base + "/review/sign-in")
                imposter.get_by_role("link", name="Sign in with MARC (test)").click()
                provider_login(imposter, "alice-imposter")
                imposter.wait_for_url(re.compile(r".*/review/sso/marc/callback.*"))
                assert "not linked to a hotline account" in imposter.content()
                assert not [c for c in imposter_context.cookies() if c["name"].endswith("hotline-session")]
            finally:
                browser.close()
        served_log = log.read_text()
    assert problems == []
    entries = audit(url)
    methods = [json.loads(detail or "{}").get("method") for action, _actor, detail in entries
               if action in ("reviewer.signed_in", "reviewer.keys_unlocked")]
    assert {"password+totp", "sso", "sso+passkey", "sso+password"} <= set(methods), methods
    actions = [action for action, _actor, _detail in entries]
    assert actions.count("sso.link_offered") == 2 and actions.count("sso.linked") == 2
    assert ("passkey.registered", '{"unlocks":1}') in [(a, d) for a, _actor, d in entries]
    # Nothing secret in the server's log: not the client secret, not a passkey's stored wrapping.
    database = Database(url)
    try:
        with database.read() as session:
            wrapped = session.exec(select(Passkey)).one().wrapped_account_key
            assert wrapped is not None
            assert session.exec(select(ReviewerSession)).all() is not None
    finally:
        database.dispose()
    assert CLIENT_SECRET not in served_log
