"""Every /voice/ request is checked with twilio's RequestValidator against the public URL: unsigned,
wrongly signed, signed for another URL, another account's token, or phone intake not configured: 403, and no
row of any table changes."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import select
from sqlmodel import SQLModel
from starlette.testclient import TestClient
from twilio.request_validator import RequestValidator

from hotline.app import create_app
from tests.hotline.voice.twilio_calls import AUTH_TOKEN, PUBLIC_URL, TwilioCall

# Each step that would store something when signed: open a case, queue a recording, queue a call deletion.
STORING = [
    ("/voice/incoming", {}),
    ("/voice/category?city=raytown&lang=en", {"Digits": "4"}),
    ("/voice/recording-status?s=x", {"RecordingSid": "RE" + "a" * 32, "RecordingStatus": "completed"}),
    ("/voice/call-status", {"CallStatus": "completed"}),
    ("/voice/follow-up?lang=en", {"Digits": "1" * 20}),
]


def snapshot(database) -> dict[str, list[tuple]]:
    with database.engine.connect() as connection:
        return {table.name: sorted(map(tuple, connection.execute(select(table))), key=repr)
                for table in SQLModel.metadata.sorted_tables}


@pytest.mark.parametrize(("path", "extra"), STORING)
def test_unsigned_or_wrongly_signed_requests_get_403_and_change_nothing(phone, path, extra):
    call = phone.call()
    before = snapshot(phone.database)
    wrong_url = RequestValidator(AUTH_TOKEN).compute_signature("https://testserver" + path, call.params(**extra))
    other_token = RequestValidator("0" * 32).compute_signature(PUBLIC_URL + path, call.params(**extra))
    answers = [
        call.post(path, signed=False, **extra),
        call.post(path, signature="bm90IGEgc2lnbmF0dXJl", **extra),
        call.post(path, signature=wrong_url, **extra),  # signed for the address the app sees, not the public one
        call.post(path, signature=other_token, **extra),
    ]
    assert [answer.status_code for answer in answers] == [403] * 4
    assert all("<Response" not in answer.text for answer in answers)
    assert snapshot(phone.database) == before


def test_a_signed_request_with_altered_parameters_is_refused(phone):
    call = phone.call()
    params = call.params(Digits="4")
    signature = RequestValidator(AUTH_TOKEN).compute_signature(PUBLIC_URL + "/voice/category?city=raytown&lang=en",
                                                               params)
    altered = phone.client.post("/voice/category?city=grandview&lang=en", data=params,
                                headers={"X-Twilio-Signature": signature})
    assert altered.status_code == 403


def test_the_signature_is_checked_against_the_public_url_behind_a_proxy(phone):
    """The app is reached as https://testserver (the proxy's view) but Twilio signed the public URL."""
    answer = phone.call().start()
    assert answer.status_code == 200 and answer.root is not None


def test_get_requests_and_a_phone_side_without_credentials_are_refused(phone, seeded):
    call = phone.call()
    assert phone.client.get("/voice/incoming").status_code in (403, 405)
    settings = replace(phone.settings, twilio_account_sid="", twilio_auth_token=b"")
    before = snapshot(phone.database)
    with TestClient(create_app(settings, phone.database), base_url="https://testserver") as unconfigured:
        answer = TwilioCall(unconfigured, call.to, call_sid=call.call_sid).start()
    assert answer.status_code == 403 and snapshot(phone.database) == before
