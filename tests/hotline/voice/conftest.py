from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace

import pytest
from starlette.testclient import TestClient

from hotline.app import create_app
from hotline.bench.fake_twilio import FakeTwilio
from hotline.settings import Settings
from intake.accounts.reviewers import sign_in
from intake.db import Database
from intake.phone.lines import add_number
from tests.hotline.conftest import PASSWORD, Seeded
from tests.hotline.voice.twilio_calls import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    GRANDVIEW_NUMBER,
    PUBLIC_URL,
    RAYTOWN_NUMBER,
    SHARED_NUMBER,
    TwilioCall,
)


@dataclass
class Phone:
    settings: Settings
    database: Database
    client: TestClient
    fake: FakeTwilio
    logins: dict[str, str]

    def call(self, to: str = RAYTOWN_NUMBER, **kwargs) -> TwilioCall:
        """A new inbound call, known to the fake Twilio as in progress."""
        return TwilioCall(self.client, to, call_sid=self.fake.new_call(), **kwargs)


def phone_settings(settings: Settings, fake: FakeTwilio, **changes) -> Settings:
    return replace(settings, public_url=PUBLIC_URL, twilio_account_sid=ACCOUNT_SID,
                   twilio_auth_token=AUTH_TOKEN.encode(), twilio_api_base_url=fake.base_url,
                   twilio_api_timeout_ms=2000, phone_shared_number=SHARED_NUMBER, **changes)


@pytest.fixture
def city_keys(seeded: Seeded) -> dict[str, bytes]:
    """Each seeded city's private key, as its reviewer unlocks it at sign-in."""
    keys = {}
    for slug, email in seeded.logins.items():
        signed_in = sign_in(seeded.database, seeded.settings.intake_config(), email, PASSWORD)
        keys[slug] = next(m.city_private_key for m in signed_in.memberships if m.city_slug == slug)
    return keys


@pytest.fixture
def fake_twilio() -> Iterator[FakeTwilio]:
    fake = FakeTwilio(ACCOUNT_SID, AUTH_TOKEN, seed=5)
    with fake.running():
        yield fake


@pytest.fixture
def phone(seeded: Seeded, fake_twilio: FakeTwilio) -> Iterator[Phone]:
    settings = phone_settings(seeded.settings, fake_twilio)
    add_number(seeded.database, "raytown", RAYTOWN_NUMBER)
    add_number(seeded.database, "grandview", GRANDVIEW_NUMBER)
    with TestClient(create_app(settings, seeded.database), base_url="https://testserver",
                    raise_server_exceptions=False) as client:
        yield Phone(settings, seeded.database, client, fake_twilio, seeded.logins)
