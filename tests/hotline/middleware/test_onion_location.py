"""The onion service, as the app sees it (docs/design.md#an-onion-service): reporter pages reached by the ordinary
address offer the onion address with Onion-Location; pages reached through the onion name no ordinary host,
in their headers or their body, all the way through a report and a follow-up."""

import dataclasses
import re

import pytest
from starlette.testclient import TestClient

from hotline.app import create_app
from hotline.settings import Settings, SettingsError
from tests.hotline.conftest import hidden

ONION = "hotline" * 8 + ".onion"  # 56 base32 characters, as a v3 address has
PUBLIC = "https://hotline.raytown.example"


@pytest.fixture
def onion_settings(seeded):
    return dataclasses.replace(seeded.settings, onion_address=ONION)


def test_reporter_pages_offer_the_onion_and_the_console_does_not(seeded, onion_settings):
    with TestClient(create_app(onion_settings, seeded.database), base_url="https://hotline.raytown.example") as client:
        for path in ("/", "/report/raytown?category=safety&lang=es", "/follow-up", "/exit"):
            response = client.get(path)
            assert response.headers["onion-location"] == f"http://{ONION}{path}", path
        for path in ("/review/sign-in", "/healthz", "/static/hotline.css"):
            assert "onion-location" not in client.get(path).headers, path


def test_pages_through_the_onion_name_no_ordinary_host(seeded, onion_settings):
    settings = dataclasses.replace(onion_settings, public_url="http://127.0.0.1:8000")
    host = "127.0.0.1"
    with TestClient(create_app(settings, seeded.database), base_url=f"http://{ONION}") as client:
        pages = [client.get("/"), client.get("/report/raytown?category=safety")]
        form = pages[-1]
        confirmation = client.post("/report/raytown", data={"form_token": hidden(form.text, "form_token"),
                                                            "category": "safety", "narrative": "via the onion"})
        key = re.search(r'id="report-key"><strong>([\d ]+)</strong>', confirmation.text).group(1).replace(" ", "")
        follow_up = client.get("/follow-up")
        case = client.post("/follow-up", data={"form_token": hidden(follow_up.text, "form_token"), "report_key": key})
        pages += [confirmation, follow_up, case]
        for page in pages:
            assert page.status_code == 200
            assert "onion-location" not in page.headers and "strict-transport-security" not in page.headers
            assert host not in page.text and "hotline.raytown.example" not in page.text
            assert not any(host in value for value in page.headers.values())
            for url in re.findall(r'(?:src|href|action)="([^"]*)"', page.text):
                assert url.startswith(("/", "#")) and not url.startswith("//"), url


@pytest.mark.parametrize("address", ["hotline.onion", "HOTLINEXYZ" * 5 + "abcdef.onion", "x" * 56 + ".com"])
def test_a_malformed_onion_address_stops_start_up(address):
    with pytest.raises(SettingsError, match="HOTLINE_ONION_ADDRESS"):
        Settings(pepper=b"p" * 40, session_key=b"s" * 40, onion_address=address).check()
    Settings(pepper=b"p" * 40, session_key=b"s" * 40, onion_address=ONION).check()
