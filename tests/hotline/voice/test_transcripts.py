"""Transcripts in the recording job (docs/design.md#transcripts): made in memory before anything commits, sealed
beside the audio, searched for reviewers' names before the case reaches any inbox; a city that keeps the
transcript only keeps no audio anywhere; and every kind of bad input ends with a case that says "transcript
unavailable", the audio kept as the city's mode says, nothing lost and no job retried without end."""

from __future__ import annotations

import io
import logging
import re
import tempfile
import wave
from dataclasses import replace
from pathlib import Path

from sqlmodel import col, select

from hotline.bench.speech import speak_wav
from intake.accounts.reviewers import add_reviewer
from intake.cities import find_city, open_city_key_with_recovery_key
from intake.items import text_for_city
from intake.models import Case, CaseItem, ItemChunk, Job
from intake.phone.lines import set_disguise_voice, set_keep_audio
from intake.reports.submission import open_report
from tests.hotline.conftest import PASSWORD, enrol, sign_in
from tests.hotline.voice.test_whole_call import every_stored_value, holds, sqlite_files
from tests.hotline.voice.twilio_calls import CALLER_MARKERS, drain, spoken_key, voiced_wav
from tests.transcription_support import need_espeak

NAMED = "John Smith"


def whisper(phone, model_dir: Path, **changes):
    return replace(phone.settings, transcribe_model_dir=str(model_dir), **changes)


def report_call(phone, wav: bytes, *, language: str = "en"):
    """A whole report call up to its end; returns the call, the recording SID and the case id."""
    call = phone.call()
    prompt = call.post(f"/voice/category?city=raytown&lang={language}", Digits="1")
    recording_sid = phone.fake.add_recording(call.call_sid, wav)
    url = phone.fake.recording_url(recording_sid)
    key = spoken_key(call.finish_recording(prompt, recording_sid, url))
    call.recording_status(prompt, recording_sid, url)
    call.completed(phone.fake)
    return call, recording_sid, open_report(phone.database, phone.settings.intake_config(), key).case_id, prompt


def items_of(phone, case_id: str) -> list[CaseItem]:
    with phone.database.read() as session:
        return list(session.exec(select(CaseItem).where(CaseItem.case_id == case_id)
                                 .order_by(col(CaseItem.position))).all())


def raytown_key(seeded) -> bytes:
    return open_city_key_with_recovery_key(find_city(seeded.database, "raytown"), seeded.recovery_keys["raytown"])


def test_a_recording_that_names_a_reviewer_never_reaches_that_reviewers_inbox(phone, seeded, whisper_model_dir):
    need_espeak()
    email = "john.smith@raytown.example"
    add_reviewer(seeded.database, seeded.settings.intake_config(), city_slug="raytown", email=email,
                 display_name=NAMED, password=PASSWORD, role="reviewer", city_private_key=raytown_key(seeded))
    enrol(seeded.database, seeded.settings, email)
    wav = speak_wav([f"I am reporting {NAMED}.", "He took money from the parking fund."], "en")
    _call, _sid, case_id, _prompt = report_call(phone, wav)
    with phone.database.read() as session:
        number = session.get(Case, case_id).number
        assert session.get(Case, case_id).group_id is None  # before its transcript: in no inbox at all
    for login in (email, phone.logins["raytown"]):
        phone.client.cookies.clear()
        sign_in(phone.client, login)
        assert f"/review/cases/{case_id}" not in phone.client.get("/review/").text

    drain(whisper(phone, whisper_model_dir), phone.database)

    transcript = items_of(phone, case_id)[-1]
    assert transcript.kind == "transcript" and NAMED in text_for_city(transcript, raytown_key(seeded))
    phone.client.cookies.clear()
    sign_in(phone.client, email)
    inbox = phone.client.get("/review/").text
    assert f"/review/cases/{case_id}" not in inbox and f">#{number}<" not in inbox
    assert phone.client.get(f"/review/cases/{case_id}").status_code == 404
    phone.client.cookies.clear()
    sign_in(phone.client, phone.logins["raytown"])
    assert f"/review/cases/{case_id}" in phone.client.get("/review/").text
    page = phone.client.get(f"/review/cases/{case_id}").text
    assert "Machine transcript by faster-whisper" in page and "Machine transcripts contain errors" in page
    assert re.search(r'<audio controls preload="none"', page) and NAMED in page


def test_in_transcript_only_mode_no_audio_of_the_call_exists_anywhere(phone, seeded, whisper_model_dir,
                                                                      monkeypatch, tmp_path, caplog):
    need_espeak()
    caplog.set_level(logging.DEBUG)
    set_keep_audio(phone.database, "raytown", False)
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))  # any temporary file the job made would land here
    wav = speak_wav(["The safety railing on the loading dock has been broken for weeks."], "en")
    call = phone.call()
    prompt = call.post("/voice/category?city=raytown&lang=en", Digits="4")
    assert "Only a written transcript of your words will be kept" in prompt.said()
    recording_sid = phone.fake.add_recording(call.call_sid, wav)
    url = phone.fake.recording_url(recording_sid)
    key = spoken_key(call.finish_recording(prompt, recording_sid, url))
    call.recording_status(prompt, recording_sid, url)
    call.completed(phone.fake)

    drain(whisper(phone, whisper_model_dir), phone.database)

    case_id = open_report(phone.database, phone.settings.intake_config(), key).case_id
    items = items_of(phone, case_id)
    assert [item.kind for item in items] == ["transcript"]
    assert "loading dock" in text_for_city(items[0], raytown_key(seeded))
    with phone.database.read() as session:
        assert session.exec(select(ItemChunk)).all() == []  # no streamed item at all: no audio
    # Nowhere: the database's rows and files (a second of the call's samples would show), the temporary
    # directory, the fake Twilio (deleted there); nor anything of the caller.
    pcm = wav[44:]
    slices = [piece for start in range(8000, len(pcm) - 64, 16000)
              if len(set(piece := pcm[start:start + 64])) > 32]  # speech, not the silence between sentences
    values, files = every_stored_value(phone.database), sqlite_files(phone.database)
    assert slices and not any(piece in files for piece in slices)
    assert not any(isinstance(v, bytes | memoryview) and piece in bytes(v) for v in values for piece in slices)
    assert list(scratch.iterdir()) == []
    assert recording_sid in phone.fake.deleted_recordings and call.call_sid in phone.fake.deleted_calls
    log_text = "\n".join(f"{r.getMessage()} {getattr(r, 'fields', '')}" for r in caplog.records)
    for marker in (*CALLER_MARKERS, call.call_sid, recording_sid, key):
        assert not holds(values, marker), marker
        assert marker.encode() not in files and marker not in log_text, marker


def silent_wav(seconds: float, rate: int = 8000, width: int = 2) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(width)
        writer.setframerate(rate)
        writer.writeframes((b"\x80" if width == 1 else b"\x00\x00") * int(seconds * rate))
    return buffer.getvalue()


def unavailable(phone, case_id: str, key: bytes) -> str:
    item = next(item for item in items_of(phone, case_id) if item.kind == "transcript_unavailable")
    return text_for_city(item, key)


def test_unreadable_and_empty_recordings_say_transcript_unavailable_and_lose_nothing(phone, seeded, caplog):
    caplog.set_level(logging.INFO)
    _call, garbled_sid, garbled, _p = report_call(phone, b"RIFF\x00\x00\x00\x00WAVEthis is not audio" * 50)
    _call, empty_sid, empty, _p = report_call(phone, silent_wav(2.0))
    drain(phone.settings, phone.database)
    key = raytown_key(seeded)
    # Unreadable: fetched again a few times (a download can be mangled), then given up, not retried for ever.
    # It cannot be disguised, so nothing of it is kept; the case still reaches its inbox and says why.
    assert [item.kind for item in items_of(phone, garbled)] == ["transcript_unavailable"]
    assert unavailable(phone, garbled, key) == "unreadable"
    fetches = [e for e in phone.fake.events_for(garbled_sid) if e.method == "GET"]
    assert len(fetches) == 3 and garbled_sid in phone.fake.deleted_recordings
    # Empty: the (silent, disguised) audio kept as the city's mode says; no words.
    assert [item.kind for item in items_of(phone, empty)] == ["recording", "transcript_unavailable"]
    assert unavailable(phone, empty, key) == "empty" and empty_sid in phone.fake.deleted_recordings
    with phone.database.read() as session:
        assert all(session.get(Case, case).group_id is not None for case in (garbled, empty))
        assert {(job.state, job.payload) for job in session.exec(select(Job)).all()} == {("done", "{}")}
    messages = [r.getMessage() for r in caplog.records]
    assert "recording unreadable" in messages and "transcript unavailable" in messages
    sign_in(phone.client, phone.logins["raytown"])
    page = phone.client.get(f"/review/cases/{garbled}").text
    assert "Transcript unavailable" in page and "could not be read as audio" in page


def test_a_four_hour_recording_is_kept_with_transcript_unavailable_too_long(phone, seeded):
    """Four hours (at 1 kHz 8-bit, so the test stays small; only its length matters here), in a city that keeps
    voices undisguised: the audio is kept and the case says the transcript is unavailable, too long."""
    set_disguise_voice(phone.database, "raytown", False)
    four_hours = silent_wav(4 * 3600, rate=1000, width=1)
    _call, sid, case_id, _p = report_call(phone, four_hours)
    drain(phone.settings, phone.database)
    assert [item.kind for item in items_of(phone, case_id)] == ["recording", "transcript_unavailable"]
    assert unavailable(phone, case_id, raytown_key(seeded)) == "too_long"
    assert sid in phone.fake.deleted_recordings
    sign_in(phone.client, phone.logins["raytown"])
    assert "too long" in phone.client.get(f"/review/cases/{case_id}").text


def test_a_missing_or_corrupt_model_keeps_the_audio_and_says_so(phone, seeded, tmp_path, caplog):
    caplog.set_level(logging.INFO)
    corrupt = tmp_path / "corrupt-model"
    corrupt.mkdir()
    for name in ("model.bin", "config.json", "tokenizer.json", "vocabulary.txt"):
        (corrupt / name).write_bytes(b"not a model")
    for directory in (tmp_path / "no-such-directory", corrupt):
        _call, sid, case_id, _p = report_call(phone, voiced_wav(seconds=1.0, seed=11))
        drain(replace(phone.settings, transcribe_model_dir=str(directory)), phone.database)
        assert [item.kind for item in items_of(phone, case_id)] == ["recording", "transcript_unavailable"]
        assert unavailable(phone, case_id, raytown_key(seeded)) == "engine_failed"
        assert sid in phone.fake.deleted_recordings
    details = [str(getattr(r, "fields", {}).get("detail", "")) for r in caplog.records]
    assert any("does not exist" in d for d in details) and any("cannot be loaded" in d for d in details)


def test_without_a_working_model_a_transcript_only_city_keeps_the_recording_waiting(phone, seeded, tmp_path,
                                                                                    whisper_model_dir):
    """Transcript-only keeps no audio, so a broken model would lose the report: the recording waits at Twilio
    (retried with backoff), the case reaches its inbox after the routing deadline, and once the model is fixed
    the transcript arrives and the recording is deleted."""
    need_espeak()
    set_keep_audio(phone.database, "raytown", False)
    wav = speak_wav(["Nobody checks the fire extinguishers in the library."], "en")
    _call, sid, case_id, _p = report_call(phone, wav)
    drain(replace(phone.settings, transcribe_model_dir=str(tmp_path / "missing")), phone.database, max_runs=30)
    assert sid not in phone.fake.deleted_recordings and items_of(phone, case_id) == []
    with phone.database.read() as session:
        assert session.get(Case, case_id).group_id is not None  # routed by its deadline, not left unseen
        store = session.exec(select(Job).where(Job.kind == "voice.store_recording")).one()
        assert store.state == "queued" and store.last_error == "EngineUnavailable"
    drain(whisper(phone, whisper_model_dir), phone.database)
    items = items_of(phone, case_id)
    assert [item.kind for item in items] == ["transcript"] and sid in phone.fake.deleted_recordings
    assert "fire" in text_for_city(items[0], raytown_key(seeded))


def test_spanish_with_pocketsphinx_says_the_engine_does_not_know_the_language(phone, seeded):
    _call, _sid, case_id, prompt = report_call(phone, voiced_wav(seconds=1.0, seed=12), language="es")
    assert "Su voz será disfrazada" in prompt.said()
    drain(phone.settings, phone.database)
    assert unavailable(phone, case_id, raytown_key(seeded)) == "language"
