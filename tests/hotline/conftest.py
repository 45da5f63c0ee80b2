from __future__ import annotations

import base64
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from starlette.testclient import TestClient

from hotline.app import create_app
from hotline.settings import Settings
from intake.accounts import totp
from intake.accounts.account import set_up_totp
from intake.accounts.reviewers import add_reviewer
from intake.cities import create_city, find_city, open_city_key_with_recovery_key
from intake.clock import utc_now
from intake.db import Database

PASSWORD = "correct horse battery staple"
# TOTP secrets of the reviewers a test made (email -> base32), and the last step each one used: a code is
# accepted once, so the next sign-in of the same reviewer uses the next step (RFC 6238 allows one step of drift).
TOTP_SECRETS: dict[str, str] = {}
_LAST_STEP: dict[str, int] = {}


def totp_code(secret_text: str) -> str:
    secret = base64.b32decode(secret_text + "=" * (-len(secret_text) % 8))
    now_step = totp.step_at(utc_now())
    step = max(now_step - 1, _LAST_STEP.get(secret_text, 0) + 1)
    assert step <= now_step + 1, "more sign-ins of one reviewer than TOTP steps allow within 30 seconds"
    _LAST_STEP[secret_text] = step
    return totp.code_for_step(secret, step)


def enrol(database: Database, settings: Settings, email: str, password: str = PASSWORD) -> str:
    secret = set_up_totp(database, settings.intake_config(), email, password)
    TOTP_SECRETS[email] = secret
    return secret


@dataclass
class Seeded:
    settings: Settings
    database: Database
    logins: dict[str, str]
    recovery_keys: dict[str, str] = field(default_factory=dict)


def make_settings(database_url: str) -> Settings:
    return Settings(database_url=database_url, pepper=b"a" * 40, session_key=b"b" * 40, insecure_test_kdf=True,
                    release_interval_seconds=0)


@pytest.fixture
def seeded(database: Database) -> Seeded:
    settings = make_settings(database.url)
    logins = {}
    recovery = {}
    for slug in ("raytown", "grandview"):
        created = create_city(database, slug, slug.title())
        key = open_city_key_with_recovery_key(find_city(database, slug), created.recovery_key)
        email = f"ethics@{slug}.example"
        add_reviewer(database, settings.intake_config(), city_slug=slug, email=email, display_name=f"{slug} officer",
                     password=PASSWORD, role="reviewer", city_private_key=key)
        enrol(database, settings, email)
        logins[slug] = email
        recovery[slug] = created.recovery_key
    return Seeded(settings, database, logins, recovery)


@pytest.fixture
def client(seeded: Seeded) -> Iterator[TestClient]:
    with TestClient(create_app(seeded.settings, seeded.database), base_url="https://testserver",
                    raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def other_client(seeded: Seeded) -> Iterator[TestClient]:
    """A second browser, with its own cookies."""
    with TestClient(create_app(seeded.settings, seeded.database), base_url="https://testserver",
                    raise_server_exceptions=False) as test_client:
        yield test_client


def hidden(page: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]*)"', page)
    assert match, f"no hidden field {name}"
    return match.group(1)


def submit_report(client: TestClient, city: str, narrative: str, category: str = "safety",
                  extra: dict[str, str] | None = None) -> str:
    """Send a report through the form; return the report key shown on the confirmation page."""
    form = client.get(f"/report/{city}?category={category}")
    response = client.post(f"/report/{city}", data={"form_token": hidden(form.text, "form_token"),
                                                    "category": category, "narrative": narrative, **(extra or {})})
    assert response.status_code == 200, response.text
    match = re.search(r'id="report-key"><strong>([\d ]+)</strong>', response.text)
    assert match
    return match.group(1).replace(" ", "")


def sign_in(client: TestClient, email: str, password: str = PASSWORD, code: str | None = None):
    """Sign in with password and the reviewer's next TOTP code (or ``code`` as given)."""
    form = client.get("/review/sign-in")
    chosen = code is None and email in TOTP_SECRETS
    if code is None:
        code = totp_code(TOTP_SECRETS[email]) if email in TOTP_SECRETS else ""
    step = totp.step_at(utc_now())
    response = client.post("/review/sign-in", data={"form_token": hidden(form.text, "form_token"), "email": email,
                                                    "password": password, "code": code})
    if chosen and response.status_code == 400 and totp.step_at(utc_now()) != step:
        # The 30-second step turned while the request ran, so the code chosen from the earlier step may have
        # fallen out of the window the server accepts: one more try with a code of the current step.
        return sign_in(client, email, password)
    return response
