"""The recording pipeline is durable: with Twilio failing half the time every recording arrives
exactly once and is deleted there only after its sealed copy committed; replays, absent recordings, foreign URLs
and hang-ups are handled without losing or duplicating anything."""

from __future__ import annotations

import io
import time
import wave
from dataclasses import replace

import numpy as np
from sqlmodel import col, select

from crypto.sealing import Recipient, open_data_key
from crypto.streaming import open_chunks
from intake.cities import find_city
from intake.items import item_context
from intake.models import Case, CaseItem, ItemChunk, Job
from intake.phone.lines import set_disguise_voice
from intake.phone.recordings import KIND_RECORDING
from intake.reports.submission import open_report
from tests.hotline.voice.twilio_calls import drain, spoken_key, voiced_wav

# The fake's outcomes for a request whose deletion took effect (whatever the client was answered).
DELETED = ("ok", "fault:slow-done", "fault:500-after-done", "fault:short-done")


def noise_wav(seed: int, seconds: float = 0.2) -> bytes:
    """A short, unique recording: seeded noise, 8 kHz 16-bit mono."""
    samples = np.random.default_rng(seed).integers(-8000, 8000, int(8000 * seconds), dtype="<i2")
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(8000)
        writer.writeframes(samples.tobytes())
    return buffer.getvalue()


def recording_items(database, case_id: str) -> list[CaseItem]:
    with database.read() as session:
        return list(session.exec(select(CaseItem).where(CaseItem.case_id == case_id,
                                                        CaseItem.kind == KIND_RECORDING)).all())


def decrypted(database, item: CaseItem, city_private_key: bytes) -> bytes:
    with database.read() as session:
        chunks = session.exec(select(ItemChunk.ciphertext).where(ItemChunk.item_id == item.id)
                              .order_by(col(ItemChunk.index))).all()
    context = item_context(item)
    data_key = open_data_key(item.key_for_city, city_private_key, context, Recipient.CITY)
    return b"".join(open_chunks(data_key, context, item.stream_header, chunks))


def new_report(phone, wav: bytes):
    """One call up to the end of its recording: returns the call, its Record TwiML, the recording SID and URL,
    and the case its key opens."""
    call = phone.call()
    prompt = call.post("/voice/category?city=raytown&lang=en", Digits="4")
    recording_sid = phone.fake.add_recording(call.call_sid, wav)
    url = phone.fake.recording_url(recording_sid)
    key = spoken_key(call.finish_recording(prompt, recording_sid, url))
    case_id = open_report(phone.database, phone.settings.intake_config(), key).case_id
    return call, prompt, recording_sid, url, case_id


def test_with_twilio_failing_half_the_time_every_recording_arrives_once_and_deletion_follows_commit(
        phone, city_keys):
    """200 calls on PostgreSQL, the database of a deployment with several instances, with two workers taking
    jobs at once; 50 on SQLite with one (the suite's time on two cores is limited)."""
    count, workers = (50, 1) if phone.database.is_sqlite else (200, 2)
    set_disguise_voice(phone.database, "raytown", False)  # so each copy can be compared with its original
    fake = phone.fake
    fake.failure_rate = 0.5
    fake.slow_seconds = 0.25
    settings = replace(phone.settings, twilio_api_timeout_ms=100)  # "slow" answers time out
    case_of: dict[str, str] = {}

    def committed_copies(recording_sid: str) -> int:
        return len(recording_items(phone.database, case_of[recording_sid]))

    fake.on_delete_recording = committed_copies
    originals: dict[str, bytes] = {}
    calls = []
    started = time.perf_counter()
    for n in range(count):
        wav = noise_wav(n)
        call, prompt, recording_sid, url, case_id = new_report(phone, wav)
        case_of[recording_sid], originals[recording_sid] = case_id, wav
        assert call.recording_status(prompt, recording_sid, url).status_code == 200
        if n % 10 == 0:  # Twilio sometimes sends a callback twice
            assert call.recording_status(prompt, recording_sid, url).status_code == 200
        assert call.completed(fake).status_code == 200
        calls.append((call.call_sid, recording_sid))

    calls_done = time.perf_counter()
    runs = drain(settings, phone.database, workers=workers)
    print(f"calls {calls_done - started:.1f} s, worker {time.perf_counter() - calls_done:.1f} s, {runs} runs")

    faults = [event for event in fake.events if event.outcome.startswith("fault:")]
    assert len(faults) > count and runs > 3 * count  # failures happened, and were retried
    raytown_key = city_keys["raytown"]
    for recording_sid, case_id in case_of.items():
        items = recording_items(phone.database, case_id)
        assert len(items) == 1  # exactly once
        assert decrypted(phone.database, items[0], raytown_key) == originals[recording_sid]
        deletions = [e for e in fake.events_for(recording_sid) if e.method == "DELETE" and e.outcome in DELETED]
        assert len(deletions) == 1 and deletions[0].note == 1  # deleted once, after its copy committed
    assert fake.deleted_recordings == set(originals)
    order = [(e.resource, e.sid) for e in fake.events if e.method == "DELETE" and e.outcome in DELETED]
    for call_sid, recording_sid in calls:  # each call record deleted, after its recording
        assert call_sid in fake.deleted_calls
        assert order.index(("recording", recording_sid)) < order.index(("call", call_sid))
    with phone.database.read() as session:
        jobs = session.exec(select(Job)).all()
        assert {(job.state, job.payload) for job in jobs} == {("done", "{}")}
        assert len(session.exec(select(Case)).all()) == count


def test_a_replayed_callback_for_a_stored_recording_changes_nothing(phone):
    call, prompt, recording_sid, url, case_id = new_report(phone, voiced_wav(seconds=0.5))
    call.recording_status(prompt, recording_sid, url)
    drain(phone.settings, phone.database)
    with phone.database.read() as session:
        before = (len(session.exec(select(Job)).all()), len(session.exec(select(CaseItem)).all()))
    replay = call.recording_status(prompt, recording_sid, url)
    assert replay.status_code == 200 and replay.root is not None
    assert drain(phone.settings, phone.database) == 0
    with phone.database.read() as session:
        assert (len(session.exec(select(Job)).all()), len(session.exec(select(CaseItem)).all())) == before
    assert len(recording_items(phone.database, case_id)) == 1


def test_a_recording_url_that_is_not_twilios_is_refused(phone):
    call, prompt, recording_sid, _url, _case_id = new_report(phone, voiced_wav(seconds=0.5))
    for url in (f"https://evil.example/2010-04-01/Accounts/{phone.settings.twilio_account_sid}/Recordings/"
                f"{recording_sid}", phone.fake.recording_url("RE" + "0" * 32)):
        answer = call.recording_status(prompt, recording_sid, url)
        assert answer.status_code == 200 and answer.root is not None and len(answer.root) == 0
    with phone.database.read() as session:
        assert [job.kind for job in session.exec(select(Job)).all()] == ["voice.route_case"]  # the case's deadline
    drain(phone.settings, phone.database)
    assert recording_sid not in phone.fake.deleted_recordings  # nothing was done with it
    assert [event for event in phone.fake.events if event.sid == recording_sid] == []


def test_another_accounts_callback_or_a_forged_recording_sid_is_refused(phone):
    call, prompt, recording_sid, url, _case = new_report(phone, voiced_wav(seconds=0.5))
    call.recording_status(prompt, recording_sid, url, AccountSid="AC" + "1" * 32)
    call.recording_status(prompt, "RE-not-a-sid", url)
    call.recording_status(prompt, recording_sid, url, status="in-progress")
    with phone.database.read() as session:
        assert [job.kind for job in session.exec(select(Job)).all()] == ["voice.route_case"]


def test_an_absent_recording_is_deleted_at_twilio_and_nothing_is_stored(phone):
    call = phone.call()
    prompt = call.post("/voice/category?city=raytown&lang=en", Digits="2")
    recording_sid = phone.fake.add_recording(call.call_sid, b"")
    url = phone.fake.recording_url(recording_sid)
    assert call.recording_status(prompt, recording_sid, url, status="absent").status_code == 200
    drain(phone.settings, phone.database)
    assert recording_sid in phone.fake.deleted_recordings
    with phone.database.read() as session:
        assert session.exec(select(CaseItem)).all() == [] and session.exec(select(Case)).all() == []


def test_a_caller_who_hangs_up_before_the_key_still_makes_a_report(phone, city_keys):
    """The recording's callback arrives but the webhook that opens the case never does: after a grace period
    the worker opens the case itself (its key is never known) so the report is not lost."""
    set_disguise_voice(phone.database, "raytown", False)
    call = phone.call()
    prompt = call.post("/voice/category?city=raytown&lang=en", Digits="1")
    wav = noise_wav(99)
    recording_sid = phone.fake.add_recording(call.call_sid, wav)
    call.recording_status(prompt, recording_sid, phone.fake.recording_url(recording_sid))
    call.completed(phone.fake)
    drain(phone.settings, phone.database)
    with phone.database.read() as session:
        cases = session.exec(select(Case)).all()
    assert len(cases) == 1 and cases[0].category == "fraud-waste-abuse" and cases[0].channel == "phone"
    items = recording_items(phone.database, cases[0].id)
    assert len(items) == 1 and decrypted(phone.database, items[0], city_keys["raytown"]) == wav
    # A late webhook for that recording opens nothing new and reads no key.
    late = call.finish_recording(prompt, recording_sid, phone.fake.recording_url(recording_sid))
    assert "already received" in late.said() and late.hangs_up()


def test_a_download_that_never_succeeds_is_never_deleted(phone):
    call, prompt, recording_sid, url, case_id = new_report(phone, voiced_wav(seconds=0.5))
    phone.fake.failure_rate = 1.0
    phone.fake.faults = ("500", "503", "reset", "short")
    call.recording_status(prompt, recording_sid, url)
    call.completed(phone.fake)
    drain(phone.settings, phone.database, max_runs=12)
    assert recording_sid not in phone.fake.deleted_recordings and call.call_sid not in phone.fake.deleted_calls
    assert recording_items(phone.database, case_id) == []
    with phone.database.read() as session:
        store = session.exec(select(Job).where(Job.kind == "voice.store_recording")).one()
    assert store.state == "queued" and store.attempts >= 5 and store.last_error  # still trying, still at Twilio


def test_a_call_still_in_progress_is_not_deleted_until_it_ends(phone):
    call, prompt, recording_sid, url, _case = new_report(phone, voiced_wav(seconds=0.5))
    call.recording_status(prompt, recording_sid, url)
    call.post("/voice/call-status", CallStatus="completed")  # Twilio's record still says in progress
    drain(phone.settings, phone.database, max_runs=8)
    assert call.call_sid not in phone.fake.deleted_calls
    phone.fake.end_call(call.call_sid)
    drain(phone.settings, phone.database)
    assert call.call_sid in phone.fake.deleted_calls


def test_city_keys_fixture_opens_raytown(city_keys, phone):
    assert find_city(phone.database, "raytown").public_key and len(city_keys["raytown"]) == 97


def test_a_voice_job_that_fails_for_good_keeps_no_identifier_and_only_the_day(phone):
    """Its payload named the case, the call and the recording, and its times dated the call to the minute: once it
    has failed for good it keeps none of that (docs/design.md#threat-model-and-anonymity-rules)."""
    call, prompt, recording_sid, url, case_id = new_report(phone, voiced_wav(seconds=0.5))
    phone.fake.failure_rate = 1.0
    phone.fake.faults = ("500",)
    call.recording_status(prompt, recording_sid, url)
    call.completed(phone.fake)
    with phone.database.write() as session:
        for job in session.exec(select(Job).where(Job.kind == "voice.store_recording")).all():
            job.max_attempts = 3
            session.add(job)
    drain(phone.settings, phone.database, max_runs=40)
    with phone.database.read() as session:
        failed = session.exec(select(Job).where(Job.kind == "voice.store_recording")).one()
        every_job = session.exec(select(Job)).all()
    assert failed.state == "failed" and failed.attempts == 3 and failed.payload == "{}"
    assert failed.lease_token is None and failed.lease_until is None
    for moment in (failed.created_at, failed.run_after, failed.finished_at):
        assert (moment.hour, moment.minute, moment.second, moment.microsecond) == (0, 0, 0, 0)
    finished = [job for job in every_job if job.state in ("done", "failed")]
    row_text = repr([vars(job) for job in finished])
    for identifier in (case_id, call.call_sid, recording_sid, url):
        assert identifier not in row_text, identifier
