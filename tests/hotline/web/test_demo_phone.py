"""The demo's call simulator (hotline.web.demo_phone): without JavaScript, a whole call through the real /voice/
routes, signed as Twilio signs, a WAV file as the recording, and at its end a case the reviewer opens with its
disguised audio and transcript. Anywhere but ``hotline demo`` every /demo/ address is not-found."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace

import pytest
from sqlmodel import select
from starlette.testclient import TestClient

from hotline.app import create_app
from hotline.bench.fake_twilio import FakeTwilio
from intake.models import Case, CaseItem
from intake.phone.lines import add_number
from tests.hotline.conftest import sign_in
from tests.hotline.voice.twilio_calls import ACCOUNT_SID, AUTH_TOKEN, voiced_wav

NUMBER = "+18165550103"


@pytest.fixture
def fake() -> Iterator[FakeTwilio]:
    stand_in = FakeTwilio(ACCOUNT_SID, AUTH_TOKEN)
    with stand_in.running():
        yield stand_in


def demo_settings(seeded, fake):
    return replace(seeded.settings, demo=True, public_url="http://127.0.0.1:8000", twilio_account_sid=ACCOUNT_SID,
                   twilio_auth_token=AUTH_TOKEN.encode(), twilio_api_base_url=fake.base_url)


def field(page: str, name: str) -> str:
    return re.search(rf'name="{name}" value="([^"]*)"', page).group(1)


def press(client: TestClient, page: str, digits: str) -> str:
    answer = client.post("/demo/phone/press", data={"call_sid": field(page, "call_sid"), "to": field(page, "to"),
                                                    "action": field(page, "action"), "digits": digits})
    assert answer.status_code == 200, answer.text
    return answer.text


def test_a_whole_call_without_javascript_ends_with_a_case_the_reviewer_sees(seeded, fake):
    add_number(seeded.database, "raytown", NUMBER)
    app = create_app(demo_settings(seeded, fake), seeded.database, demo_twilio=fake)
    with TestClient(app, base_url="https://testserver") as client:
        start = client.get("/demo/phone")
        assert start.status_code == 200 and NUMBER in start.text
        assert "script-src 'self'" in start.headers["content-security-policy"]
        page = client.post("/demo/phone/call", data={"to": NUMBER}).text
        assert "Raytown ethics and safety hotline" in page and "For English, press 1." in page
        page = press(client, page, "1")
        assert "To make a new report, press 1." in page
        page = press(client, page, "1")
        page = press(client, page, "4")
        assert "Your voice will be disguised" in page and 'type="file"' in page
        recorded = client.post("/demo/phone/record", data={
            "call_sid": field(page, "call_sid"), "to": field(page, "to"), "action": field(page, "action"),
            "status_action": field(page, "status_action")},
            files={"recording": ("report.wav", voiced_wav(seconds=2.0, seed=21), "audio/wav")})
        assert recorded.status_code == 200
        assert "Your report was received" in recorded.text and "Here is your key." in recorded.text
        ended = press(client, recorded.text, "9")
        assert "The call has ended." in ended
    with seeded.database.read() as session:
        (case,) = session.exec(select(Case)).all()
        kinds = [item.kind for item in session.exec(select(CaseItem).where(CaseItem.case_id == case.id)
                                                     .order_by(CaseItem.position)).all()]
    assert case.channel == "phone" and case.group_id is not None
    assert kinds[0] == "recording" and kinds[1] in ("transcript", "transcript_unavailable")
    assert fake.deleted_recordings and fake.deleted_calls  # the worker ran: stored, then deleted at the stand-in
    with TestClient(create_app(demo_settings(seeded, fake), seeded.database, demo_twilio=fake),
                    base_url="https://testserver") as reviewer:
        sign_in(reviewer, seeded.logins["raytown"])
        case_page = reviewer.get(f"/review/cases/{case.id}").text
        assert '<audio controls preload="none"' in case_page and "Transcript" in case_page


def test_a_file_that_is_not_a_wav_is_refused_and_the_call_waits(seeded, fake):
    add_number(seeded.database, "raytown", NUMBER)
    app = create_app(demo_settings(seeded, fake), seeded.database, demo_twilio=fake)
    with TestClient(app, base_url="https://testserver") as client:
        page = client.post("/demo/phone/call", data={"to": NUMBER}).text
        for digits in ("1", "1", "2"):
            page = press(client, page, digits)
        refused = client.post("/demo/phone/record", data={
            "call_sid": field(page, "call_sid"), "to": field(page, "to"), "action": field(page, "action"),
            "status_action": field(page, "status_action")}, files={"recording": ("a.txt", b"hello", "text/plain")})
        assert refused.status_code == 200 and "not a WAV recording" in refused.text and 'type="file"' in refused.text
    with seeded.database.read() as session:
        assert session.exec(select(Case)).all() == []


@pytest.mark.parametrize("demo, with_fake", [(False, False), (True, False), (False, True)])
def test_the_simulator_is_not_found_unless_the_app_is_a_demo(seeded, fake, demo, with_fake):
    settings = replace(demo_settings(seeded, fake), demo=demo)
    app = create_app(settings, seeded.database, demo_twilio=fake if with_fake else None)
    with TestClient(app, base_url="https://testserver") as client:
        assert client.get("/demo/phone").status_code == 404
        assert client.post("/demo/phone/call", data={"to": NUMBER}).status_code == 404
        assert client.post("/demo/phone/press", data={}).status_code == 404
