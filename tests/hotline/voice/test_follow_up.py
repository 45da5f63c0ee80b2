"""Follow-up by phone: the report key on the keypad, the status and the reviewers' replies read
aloud, another recording added; wrong keys throttled as on the web, by a keyed hash of the caller's number."""

from __future__ import annotations

from sqlmodel import select

from intake.models import AuditEntry
from intake.phone.recordings import recordings_of
from intake.reports.submission import open_report
from tests.hotline.conftest import hidden, sign_in, submit_report
from tests.hotline.voice.twilio_calls import CALLER_FIELDS, drain, spoken_key, voiced_wav


def phone_report(phone) -> str:
    call = phone.call()
    prompt = call.post("/voice/category?city=raytown&lang=en", Digits="2")
    sid = phone.fake.add_recording(call.call_sid, voiced_wav(seconds=0.5, seed=3))
    url = phone.fake.recording_url(sid)
    key = spoken_key(call.finish_recording(prompt, sid, url))
    call.recording_status(prompt, sid, url)
    call.completed(phone.fake)
    return key


def reply(phone, case_id: str, words: str) -> None:
    sign_in(phone.client, phone.logins["raytown"])
    page = phone.client.get(f"/review/cases/{case_id}")
    answer = phone.client.post(f"/review/cases/{case_id}/reply",
                               data={"csrf_token": hidden(page.text, "csrf_token"), "reply": words})
    assert answer.status_code in (200, 303)
    phone.client.cookies.clear()


def enter_key(phone, key: str, *, language: str = "1", caller: dict[str, str] | None = None):
    call = phone.call(caller=dict(caller or CALLER_FIELDS))
    menu = call.press(call.start(), language)
    prompt = call.press(menu, "2")
    assert prompt.gather().attrib["numDigits"] == "20" and prompt.gather().attrib["finishOnKey"] == "#"
    return call, prompt, call.press(prompt, key)


def test_a_caller_hears_the_status_and_replies_and_adds_a_recording(phone):
    key = phone_report(phone)
    drain(phone.settings, phone.database)
    case_id = open_report(phone.database, phone.settings.intake_config(), key).case_id
    reply(phone, case_id, "Thank you. We have opened an investigation and will call the depot manager.")
    call, _prompt, heard = enter_key(phone, key)
    said = heard.said()
    assert "received, not yet reviewed" in said and "There is one reply." in said
    assert "We have opened an investigation and will call the depot manager." in said
    record = call.press(heard, "1")
    sid = phone.fake.add_recording(call.call_sid, voiced_wav(seconds=0.5, seed=4))
    url = phone.fake.recording_url(sid)
    added = call.finish_recording(record, sid, url)
    assert "will be added to your report" in added.said() and added.hangs_up()
    call.recording_status(record, sid, url)
    call.completed(phone.fake)
    drain(phone.settings, phone.database)
    assert len(recordings_of(phone.database, case_id)) == 2
    assert sid in phone.fake.deleted_recordings and call.call_sid in phone.fake.deleted_calls
    with phone.database.read() as session:
        actors = {(e.actor, e.action) for e in session.exec(select(AuditEntry)).all()}
    assert ("phone caller", "case.opened_by_reporter") in actors


def test_hearing_it_again_and_spanish_replies(phone):
    key = phone_report(phone)
    drain(phone.settings, phone.database)  # the case reaches an inbox once its recording is transcribed
    case_id = open_report(phone.database, phone.settings.intake_config(), key).case_id
    reply(phone, case_id, "Gracias por su reporte.")
    call, _prompt, heard = enter_key(phone, key, language="2")
    assert {node.attrib["language"] for node in heard.root.iter("Say")} == {"es-MX"}
    assert "recibido, todavía sin revisar" in heard.said() and "Gracias por su reporte." in heard.said()
    again = call.press(heard, "2")
    assert "Gracias por su reporte." in again.said()
    assert call.press(again, "9").hangs_up()


def test_a_web_reports_key_works_by_phone(phone):
    key = submit_report(phone.client, "raytown", "The fuel card is used on weekends.")
    _call, _prompt, heard = enter_key(phone, key)
    assert "There are no replies yet." in heard.said()


def test_wrong_keys_are_refused_then_throttled_by_the_callers_number(phone):
    call, _prompt, wrong = enter_key(phone, "1" * 20)
    assert "does not match" in wrong.said() and wrong.gather() is not None
    malformed = call.press(wrong, "12")
    assert "does not match" in malformed.said()
    assert "too many attempts" in call.press(malformed, "3" * 20).said()  # three tries a call
    limit = phone.settings.report_key_attempts_per_10_minutes
    for _ in range(limit):  # the same number calling back again and again
        _call, _prompt, _answer = enter_key(phone, "4" * 20)
    _call, _prompt, blocked = enter_key(phone, phone_report(phone))
    assert "too many attempts" in blocked.said() and blocked.hangs_up()
    # Another caller is not held back by the first one's guesses.
    other = {**CALLER_FIELDS, "From": "+19135550142", "Caller": "+19135550142"}
    _call, _prompt, fine = enter_key(phone, phone_report(phone), caller=other)
    assert "no replies yet" in fine.said()


def test_an_empty_key_asks_again_without_counting(phone):
    _call, _prompt, nothing = enter_key(phone, "")
    assert "did not hear" in nothing.said() and nothing.gather().attrib["numDigits"] == "20"


def test_withheld_numbers_are_limited_per_call_and_together_per_number_called(phone, seeded, fake_twilio):
    """A withheld number cannot be told apart from another: each call has its three tries, and every withheld call
    to one number shares HOTLINE_WITHHELD_CALLER_KEY_ATTEMPTS_PER_10_MINUTES; a caller who shows their number, or
    a withheld call to another number, is not held back."""
    from starlette.testclient import TestClient

    from hotline.app import create_app
    from tests.hotline.voice.conftest import phone_settings

    settings = phone_settings(seeded.settings, fake_twilio, withheld_caller_key_attempts_per_10_minutes=4)
    withheld = {**CALLER_FIELDS, "From": "+266696687", "Caller": "+266696687"}
    with TestClient(create_app(settings, seeded.database), base_url="https://testserver") as client:
        limited = phone.__class__(settings, seeded.database, client, fake_twilio, seeded.logins)
        key = phone_report(limited)
        answers = []
        for _ in range(4):  # four withheld calls, one wrong key each: each a fresh call, so not the per-call count
            _call, _prompt, heard = enter_key(limited, "5" * 20, caller=withheld)
            answers.append(heard.said())
        assert all("does not match" in said for said in answers)
        _call, _prompt, blocked = enter_key(limited, key, caller=withheld)  # the fifth: even the right key waits
        assert "too many attempts" in blocked.said() and blocked.hangs_up()
        _call, _prompt, shown = enter_key(limited, key)  # a caller whose number shows
        assert "no replies yet" in shown.said()
