"""Transcripts against the real server: ``hotline serve`` takes two whole calls signed as Twilio signs them, one in
English and one in Spanish, each leaving a recording of number-free report sentences spoken by espeak-ng; the
worker (faster-whisper with the Whisper base model) stores each case with a transcript whose word error rate
against the spoken text is at most 15 % in English and 45 % in Spanish (docs/BENCHMARKS.md has the figures of
``hotline bench transcribe``, after disguise and at 8 kHz too). On SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import httpx2 as httpx
from sqlmodel import select
from twilio.request_validator import RequestValidator

from hotline.bench.fake_twilio import FakeTwilio
from hotline.bench.speech import ENGLISH_SENTENCES, SPANISH_SENTENCES, speak_wav, word_error_rate
from hotline.settings import Settings
from intake.cities import create_city, find_city, open_city_key_with_recovery_key
from intake.db import Database
from intake.items import text_for_city
from intake.models import CaseItem
from intake.operations.migrate import upgrade
from intake.phone.lines import add_number
from intake.reports.submission import open_report
from tests.e2e.servers import free_port, running
from tests.hotline.voice.twilio_calls import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    CALLER_FIELDS,
    PUBLIC_URL,
    Twiml,
    drain,
    spoken_key,
)
from tests.transcription_support import need_espeak

NUMBER = "+18165550111"
SPOKEN = {"1": ENGLISH_SENTENCES[:3], "2": SPANISH_SENTENCES[:3]}
LIMITS = {"1": 0.15, "2": 0.45}


def test_a_phone_report_ends_with_a_transcript_within_the_word_error_limits(tmp_path: Path, database_url: str,
                                                                            whisper_model_dir: Path) -> None:
    need_espeak()
    setup = Database(database_url)
    upgrade(setup)
    created = create_city(setup, "raytown", "Raytown")
    add_number(setup, "raytown", NUMBER)
    city_key = open_city_key_with_recovery_key(find_city(setup, "raytown"), created.recovery_key)
    setup.dispose()
    fake = FakeTwilio(ACCOUNT_SID, AUTH_TOKEN)
    keys: dict[str, str] = {}
    with fake.running():
        env = {"HOTLINE_INSECURE_TEST_KDF": "1", "HOTLINE_DATABASE_URL": database_url, "HOTLINE_PEPPER": "p" * 40,
               "HOTLINE_SESSION_KEY": "s" * 40, "HOTLINE_PUBLIC_URL": PUBLIC_URL,
               "HOTLINE_TWILIO_ACCOUNT_SID": ACCOUNT_SID, "HOTLINE_TWILIO_AUTH_TOKEN": AUTH_TOKEN,
               "HOTLINE_TWILIO_API_BASE_URL": fake.base_url,
               "HOTLINE_TRANSCRIBE_MODEL_DIR": str(whisper_model_dir)}
        port = free_port()
        with running(["serve", "--port", str(port)], env, port, tmp_path / "server.log"), \
                httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as http:
            for language, sentences in SPOKEN.items():
                call_sid = fake.new_call()

                def post(address: str, call_sid: str = call_sid, **extra: str) -> Twiml:
                    absolute = address if address.startswith("http") else PUBLIC_URL + address
                    params = {"AccountSid": ACCOUNT_SID, "CallSid": call_sid, "To": NUMBER, **CALLER_FIELDS,
                              **extra}
                    parts = urlsplit(absolute)
                    signature = RequestValidator(AUTH_TOKEN).compute_signature(absolute, params)
                    return Twiml.of(http.post(parts.path + ("?" + parts.query if parts.query else ""), data=params,
                                              headers={"X-Twilio-Signature": signature}))

                greeting = post("/voice/incoming")
                menu = post(greeting.gather().attrib["action"], Digits=language)
                categories = post(menu.gather().attrib["action"], Digits="1")
                record = post(categories.gather().attrib["action"], Digits="1")
                recording_sid = fake.add_recording(call_sid, speak_wav(sentences, "en" if language == "1" else "es"))
                url = fake.recording_url(recording_sid)
                spoken = post(record.record().attrib["action"], RecordingSid=recording_sid, RecordingUrl=url,
                              RecordingDuration="9")
                keys[language] = spoken_key(spoken)
                post(record.record().attrib["recordingStatusCallback"], RecordingSid=recording_sid,
                     RecordingUrl=url, RecordingStatus="completed")
                fake.end_call(call_sid)
                post("/voice/call-status", CallStatus="completed")
        settings = Settings.from_env(env)
        database = Database(database_url)
        try:
            drain(settings, database)
            for language, sentences in SPOKEN.items():
                case_id = open_report(database, settings.intake_config(), keys[language]).case_id
                with database.read() as session:
                    items = session.exec(select(CaseItem).where(CaseItem.case_id == case_id)
                                         .order_by(CaseItem.position)).all()
                assert [item.kind for item in items] == ["recording", "transcript"]
                assert items[1].author == "faster-whisper" and items[1].key_for_reporter is None
                transcript = text_for_city(items[1], city_key)
                rate = word_error_rate(" ".join(sentences), transcript)
                print(f"language {language}: WER {rate:.1%}: {transcript}")
                assert rate <= LIMITS[language], transcript
        finally:
            database.dispose()
    assert len(fake.deleted_recordings) == 2
