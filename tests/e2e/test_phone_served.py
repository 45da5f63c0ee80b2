"""The phone line against the real server: ``hotline serve`` behind a (simulated) TLS proxy takes a whole call
signed for its public URL, the worker stores the recording, and neither the database files nor the server's log (at
debug level) hold anything of the caller or the call."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlsplit

import httpx2 as httpx
from sqlmodel import select
from twilio.request_validator import RequestValidator

from hotline.bench.fake_twilio import FakeTwilio
from hotline.settings import Settings
from intake.cities import create_city
from intake.db import Database
from intake.models import CaseItem
from intake.operations.migrate import upgrade
from intake.phone.lines import add_number
from tests.e2e.servers import free_port, running
from tests.hotline.voice.twilio_calls import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    CALLER_FIELDS,
    CALLER_MARKERS,
    PUBLIC_URL,
    Twiml,
    drain,
    spoken_key,
    voiced_wav,
)

NUMBER = "+18165550111"


def test_a_call_through_the_served_app_keeps_nothing_of_the_caller(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'hotline.sqlite3'}"
    fake = FakeTwilio(ACCOUNT_SID, AUTH_TOKEN)
    with fake.running():
        env = {"HOTLINE_INSECURE_TEST_KDF": "1", "HOTLINE_DATABASE_URL": url, "HOTLINE_PEPPER": "p" * 40,
               "HOTLINE_SESSION_KEY": "s" * 40, "HOTLINE_PUBLIC_URL": PUBLIC_URL, "HOTLINE_LOG_LEVEL": "debug",
               "HOTLINE_TWILIO_ACCOUNT_SID": ACCOUNT_SID, "HOTLINE_TWILIO_AUTH_TOKEN": AUTH_TOKEN,
               "HOTLINE_TWILIO_API_BASE_URL": fake.base_url}
        setup = Database(url)
        upgrade(setup)
        create_city(setup, "raytown", "Raytown")
        add_number(setup, "raytown", NUMBER)
        setup.dispose()
        port = free_port()
        log = tmp_path / "server.log"
        call_sid = fake.new_call()
        with running(["serve", "--port", str(port)], env, port, log), \
                httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as http:

            def post(address: str, **extra: str) -> Twiml:
                absolute = address if address.startswith("http") else PUBLIC_URL + address
                params = {"AccountSid": ACCOUNT_SID, "CallSid": call_sid, "To": NUMBER, **CALLER_FIELDS, **extra}
                parts = urlsplit(absolute)
                response = http.post(parts.path + ("?" + parts.query if parts.query else ""), data=params,
                                     headers={"X-Twilio-Signature": RequestValidator(AUTH_TOKEN).compute_signature(
                                         absolute, params), "X-Forwarded-Proto": "https",
                                              "X-Forwarded-For": "54.172.60.3"})
                return Twiml.of(response)

            greeting = post("/voice/incoming")
            menu = post(greeting.gather().attrib["action"], Digits="1")
            categories = post(menu.gather().attrib["action"], Digits="1")
            record = post(categories.gather().attrib["action"], Digits="1")
            recording_sid = fake.add_recording(call_sid, voiced_wav(seconds=1.0, seed=7))
            recording_url = fake.recording_url(recording_sid)
            spoken = post(record.record().attrib["action"], RecordingSid=recording_sid, RecordingUrl=recording_url,
                          RecordingDuration="1")
            key = spoken_key(spoken)
            assert len(key) == 20
            post(record.record().attrib["recordingStatusCallback"], RecordingSid=recording_sid,
                 RecordingUrl=recording_url, RecordingStatus="completed")
            fake.end_call(call_sid)
            post("/voice/call-status", CallStatus="completed")
            assert http.post("/voice/incoming", data={"From": CALLER_FIELDS["From"]}).status_code == 403
        settings = Settings.from_env(env)
        database = Database(url)
        try:
            drain(settings, database)
            with database.read() as session:  # the recording and its transcript (PocketSphinx, no model set)
                kinds = sorted(item.kind for item in session.exec(select(CaseItem)).all())
                assert kinds[0] == "recording" and kinds[1].startswith("transcript") and len(kinds) == 2
        finally:
            database.dispose()
    assert recording_sid in fake.deleted_recordings and call_sid in fake.deleted_calls
    stored = b"".join(path.read_bytes() for path in tmp_path.glob("hotline.sqlite3*"))
    server_log = log.read_text()
    # The webhooks are never logged one by one: a line would date the call.
    assert not any(json.loads(line).get("route") == "recording_status" for line in server_log.splitlines()
                   if line.startswith("{"))
    for marker in (*CALLER_MARKERS, call_sid, recording_sid, key, "54.172.60.3"):
        assert marker.encode() not in stored, marker
        assert marker not in server_log, marker
