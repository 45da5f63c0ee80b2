"""Hostile input to the demo's call simulator (hotline.web.demo_phone): every field valid or hostile, missing or
twice, in every encoding, with files that are not WAV. The simulator answers with a page or not-found, never an
error, and a hostile action address never leaves /voice/."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st
from starlette.testclient import TestClient

from hotline.app import create_app
from hotline.bench.fake_twilio import FakeTwilio
from intake.phone.lines import add_number
from tests.hotline.fuzz_support import ENCODING, Part, body, draw_parts, fuzz_settings
from tests.hotline.voice.twilio_calls import ACCOUNT_SID, AUTH_TOKEN, voiced_wav

NUMBER = "+18165550103"
POST_FORMS = {
    "/demo/phone/call": ("to",),
    "/demo/phone/press": ("call_sid", "to", "action", "digits"),
    "/demo/phone/record": ("call_sid", "to", "action", "status_action", "recording"),
}


@pytest.fixture
def simulator(seeded) -> Iterator[TestClient]:
    fake = FakeTwilio(ACCOUNT_SID, AUTH_TOKEN)
    with fake.running():
        add_number(seeded.database, "raytown", NUMBER)
        settings = replace(seeded.settings, demo=True, public_url="http://127.0.0.1:8000",
                           twilio_account_sid=ACCOUNT_SID, twilio_auth_token=AUTH_TOKEN.encode(),
                           twilio_api_base_url=fake.base_url)
        with TestClient(create_app(settings, seeded.database, demo_twilio=fake), base_url="https://testserver",
                        raise_server_exceptions=False) as client:
            yield client


@fuzz_settings(15)
@given(data=st.data())
def test_the_simulator_survives_hostile_input(simulator, data):
    path = data.draw(st.sampled_from(sorted(POST_FORMS)))
    valid = {"to": NUMBER, "call_sid": "CA" + "1" * 32, "digits": "1",
             "action": "http://127.0.0.1:8000/voice/language?city=raytown",
             "status_action": "http://127.0.0.1:8000/voice/recording-status?s=x"}
    parts = draw_parts(data.draw, [name for name in POST_FORMS[path] if name != "recording"], valid)
    if "recording" in POST_FORMS[path]:
        content = data.draw(st.sampled_from((voiced_wav(seconds=0.3), b"RIFF....WAVE", b"", b"\x00" * 100)))
        parts.append(Part(b"recording", content, filename=b"r.wav"))
    sent = body(parts, data.draw(ENCODING))
    answer = simulator.post(path, content=sent.content, headers=sent.headers)
    assert answer.status_code in (200, 400, 404, 413), (path, answer.status_code, answer.text[:300])
    assert "Traceback" not in answer.text
