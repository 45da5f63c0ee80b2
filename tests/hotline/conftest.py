from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from starlette.testclient import TestClient

from hotline.app import create_app
from hotline.settings import Settings
from intake.cities import create_city, find_city, open_city_key_with_recovery_key
from intake.db import Database
from intake.reviewers import add_reviewer

PASSWORD = "correct horse battery staple"


@dataclass
class Seeded:
    settings: Settings
    database: Database
    logins: dict[str, str]
    recovery_keys: dict[str, str]


def make_settings(database_url: str) -> Settings:
    return Settings(database_url=database_url, pepper=b"a" * 40, session_key=b"b" * 40, insecure_test_kdf=True)


@pytest.fixture
def seeded(database: Database) -> Seeded:
    settings = make_settings(database.url)
    logins, recovery_keys = {}, {}
    for slug in ("raytown", "grandview"):
        created = create_city(database, slug, slug.title())
        key = open_city_key_with_recovery_key(find_city(database, slug), created.recovery_key)
        email = f"ethics@{slug}.example"
        add_reviewer(database, settings.intake_config(), city_slug=slug, email=email, display_name=f"{slug} officer",
                     password=PASSWORD, role="reviewer", city_private_key=key)
        logins[slug] = email
        recovery_keys[slug] = created.recovery_key
    return Seeded(settings, database, logins, recovery_keys)


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


def submit_report(client: TestClient, city: str, narrative: str, category: str = "safety") -> str:
    """Send a report through the form; return the report key shown on the confirmation page."""
    form = client.get(f"/report/{city}?category={category}")
    response = client.post(f"/report/{city}", data={"form_token": hidden(form.text, "form_token"),
                                                    "category": category, "narrative": narrative})
    assert response.status_code == 200, response.text
    match = re.search(r'id="report-key"><strong>([\d ]+)</strong>', response.text)
    assert match
    return match.group(1).replace(" ", "")


def sign_in(client: TestClient, email: str, password: str = PASSWORD):
    form = client.get("/review/sign-in")
    return client.post("/review/sign-in", data={"form_token": hidden(form.text, "form_token"), "email": email,
                                                "password": password})
