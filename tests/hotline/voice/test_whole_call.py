"""The phone line's first promise: a whole call, replayed as Twilio sends it (signed, every caller field filled),
ends as an encrypted case in the right city whose disguised recording the city's reviewer can play, and afterwards
neither the database, the logs nor the job table holds anything of the caller, nor the call's SID."""

from __future__ import annotations

import logging
import re
from pathlib import Path

from sqlalchemy import select
from sqlmodel import SQLModel
from sqlmodel import select as sqlmodel_select

from intake.models import AuditEntry, Case, CaseItem, Job
from intake.phone.audio import decode_wav
from intake.phone.recordings import KIND_RECORDING
from intake.reports.submission import open_report
from tests.hotline.conftest import hidden, sign_in
from tests.hotline.voice.twilio_calls import CALLER_MARKERS, drain, spoken_key, voiced_wav


def every_stored_value(database) -> list[object]:
    values: list[object] = []
    with database.engine.connect() as connection:
        for table in SQLModel.metadata.sorted_tables:
            for row in connection.execute(select(table)):
                values.extend(row)
    return values


def holds(values: list[object], needle: str) -> bool:
    for value in values:
        if isinstance(value, str) and needle in value:
            return True
        if isinstance(value, bytes | memoryview) and needle.encode() in bytes(value):
            return True
    return False


def sqlite_files(database) -> bytes:
    if not database.is_sqlite:
        return b""
    path = Path(database.url.removeprefix("sqlite:///"))
    return b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))


def test_a_whole_call_becomes_a_sealed_case_and_leaves_nothing_of_the_caller(phone, caplog):
    caplog.set_level(logging.DEBUG)
    original = voiced_wav(seconds=2.0, f0=115.0, seed=1)

    def recording_items_committed(recording_sid: str) -> int:
        with phone.database.read() as session:
            return len(session.exec(sqlmodel_select(CaseItem).where(CaseItem.kind == KIND_RECORDING)).all())

    phone.fake.on_delete_recording = recording_items_committed

    call = phone.call()
    greeting = call.start()
    assert "Raytown" in greeting.said()  # the number called is Raytown's own
    menu = call.press(greeting, "1")
    categories = call.press(menu, "1")
    record_prompt = call.press(categories, "4")  # safety
    assert "disguised" in record_prompt.said()
    recording_sid = phone.fake.add_recording(call.call_sid, original)
    recording_url = phone.fake.recording_url(recording_sid)
    key_read = call.finish_recording(record_prompt, recording_sid, recording_url, seconds=2)
    report_key = spoken_key(key_read)
    assert len(report_key) == 20 and key_read.said().count(" ".join(report_key[:4])) == 2  # read twice
    again = call.press(key_read, "1")
    assert " ".join(report_key[-4:]) in again.said()
    assert call.press(again, "9").hangs_up()
    assert call.recording_status(record_prompt, recording_sid, recording_url).status_code == 200
    assert call.completed(phone.fake).status_code == 200

    drain(phone.settings, phone.database)

    # Twilio: the audio was fetched, then (only after the sealed copy committed) deleted, and the call forgotten.
    assert recording_sid in phone.fake.deleted_recordings and call.call_sid in phone.fake.deleted_calls
    assert [e.note for e in phone.fake.events_for(recording_sid) if e.method == "DELETE" and e.outcome == "ok"] \
        == [1]

    # The case: Raytown's, by phone, safety, one sealed recording item with no clear content, and its transcript
    # (sealed text; this vowel has no words, so PocketSphinx, the engine without a model directory, finds none or
    # a few).
    case_id = open_report(phone.database, phone.settings.intake_config(), report_key).case_id
    with phone.database.read() as session:
        case = session.get(Case, case_id)
        items = session.exec(sqlmodel_select(CaseItem).where(CaseItem.case_id == case_id)).all()
        assert case.channel == "phone" and case.category == "safety"
        assert items[0].kind == KIND_RECORDING and len(items) == 2
        assert items[1].kind in ("transcript", "transcript_unavailable") and items[1].key_for_reporter is None
        assert items[0].ciphertext is None and items[0].stream_header and items[0].key_for_reporter is None

    # Raytown's reviewer plays it: WAV, as long as the original, not the original (disguised); audited.
    sign_in(phone.client, phone.logins["raytown"])
    case_page = phone.client.get(f"/review/cases/{case_id}")
    assert case_page.status_code == 200
    link = re.search(rf'<audio controls preload="none" src="(/review/cases/{case_id}/items/[0-9a-f]{{32}}/content)"',
                     case_page.text).group(1)
    played = phone.client.get(link)
    assert played.status_code == 200 and played.headers["content-type"] == "audio/wav"
    heard, before = decode_wav(played.content), decode_wav(original)
    assert abs(heard.seconds - before.seconds) < 0.02 * before.seconds
    assert played.content != original
    with phone.database.read() as session:
        actions = [e.action for e in session.exec(sqlmodel_select(AuditEntry)).all()]
    assert "case.item_opened" in actions and "case.recording_added" in actions

    # Grandview's reviewer cannot: not found, like any other city's case.
    grandview = phone.client.__class__(phone.client.app, base_url="https://testserver")
    sign_in(grandview, phone.logins["grandview"])
    assert grandview.get(link).status_code == 404

    # The key works on the web too.
    follow_up = phone.client.get("/follow-up")
    page = phone.client.post("/follow-up", data={"form_token": hidden(follow_up.text, "form_token"),
                                                 "report_key": report_key})
    assert page.status_code == 200 and "Raytown" in page.text

    # Nothing of the caller, nor the call or recording SID, in the database, its files, the jobs or the logs.
    values = every_stored_value(phone.database)
    files = sqlite_files(phone.database)
    log_text = "\n".join(f"{r.getMessage()} {getattr(r, 'fields', '')}" for r in caplog.records)
    for marker in (*CALLER_MARKERS, call.call_sid, recording_sid, report_key):
        assert not holds(values, marker), marker
        assert marker.encode() not in files, marker
        assert marker not in log_text, marker
    with phone.database.read() as session:
        finished = session.exec(sqlmodel_select(Job)).all()
    assert finished and {(job.state, job.payload) for job in finished} == {("done", "{}")}
