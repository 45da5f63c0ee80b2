"""The menus: a city's own number, the shared number's city menu, English and Spanish, categories, the
recording prompt; and bad input (unexpected digits, silence, missing parameters, unknown numbers, failures)
answered with a spoken message, never a 500."""

from __future__ import annotations

from dataclasses import replace

from sqlmodel import select
from starlette.testclient import TestClient

from hotline.app import create_app
from intake.models import Case, Job
from intake.phone import reports as phone_reports
from intake.phone.lines import set_disguise_voice
from tests.hotline.voice.twilio_calls import GRANDVIEW_NUMBER, SHARED_NUMBER, TwilioCall, spoken_key


def languages(twiml) -> set[str]:
    return {node.attrib["language"] for node in twiml.root.iter("Say")}


def test_a_citys_own_number_greets_with_that_city_in_both_languages(phone):
    greeting = phone.call(GRANDVIEW_NUMBER).start()
    assert "Grandview" in greeting.said() and languages(greeting) == {"en-US", "es-MX"}
    assert "city=grandview" in greeting.gather().attrib["action"]


def test_the_shared_number_asks_for_the_city_in_the_callers_language(phone):
    call = phone.call(SHARED_NUMBER)
    greeting = call.start()
    assert "regional" in greeting.said()
    cities = call.press(greeting, "2")  # español
    assert languages(cities) == {"es-MX"} and "Para Grandview, oprima 1" in cities.said()
    assert "Para Raytown, oprima 2" in cities.said()
    menu = call.press(cities, "2")
    assert "city=raytown" in menu.gather().attrib["action"] and "nuevo reporte" in menu.said()
    categories = call.press(menu, "1")
    assert "seguridad" in categories.said() and languages(categories) == {"es-MX"}
    record = call.press(categories, "5")
    assert "disfrazada" in record.said()
    sid = phone.fake.add_recording(call.call_sid, b"")
    key_read = call.finish_recording(record, sid, phone.fake.recording_url(sid))
    assert "Su clave de reporte" in key_read.said() and len(spoken_key(key_read)) == 20
    with phone.database.read() as session:
        case = session.exec(select(Case)).one()
    assert case.category == "other" and case.channel == "phone"
    assert phone_reports.case_is_open(phone.database, case.id)


def test_the_recording_prompt_follows_settings_and_the_citys_disguise_choice(phone):
    settings = replace(phone.settings, phone_max_recording_seconds=120)
    set_disguise_voice(phone.database, "raytown", False)
    with TestClient(create_app(settings, phone.database), base_url="https://testserver") as client:
        call = TwilioCall(client, phone.call().to)
        prompt = call.post("/voice/category?city=raytown&lang=en", Digits="3")
    record = prompt.record().attrib
    assert record["maxLength"] == "120" and record["finishOnKey"] == "#" and record["timeout"] == "10"
    assert record["transcribe"] == "false" and record["trim"] == "trim-silence" and record["playBeep"] == "true"
    assert record["recordingStatusCallbackEvent"] == "completed absent"
    assert "up to 2 minutes" in prompt.said() and "disguised" not in prompt.said()


def test_unexpected_digits_and_silence_repeat_the_menu_then_say_goodbye(phone):
    call = phone.call()
    greeting = call.start()
    wrong = call.press(greeting, "7")
    assert "not one of the choices" in wrong.said() and "no es una de las opciones" in wrong.said()
    menu = call.press(wrong, "1")
    silence = call.press(menu, "")
    assert "did not hear a choice" in silence.said() and silence.gather() is not None
    again = call.press(silence, "*")
    assert "not one of the choices" in again.said()
    goodbye = call.press(again, "#")
    assert goodbye.hangs_up() and "Goodbye" in goodbye.said()
    categories = call.press(call.press(call.start(), "1"), "1")
    assert "not one of the choices" in call.press(categories, "9").said()
    assert "not one of the choices" in call.press(categories, "12").said()


def test_an_empty_recording_is_asked_for_again_and_opens_no_case(phone):
    call = phone.call()
    prompt = call.post("/voice/category?city=raytown&lang=en", Digits="1")
    # Twilio skips the action URL for an empty recording and goes on to the verbs after <Record>.
    assert prompt.root.find("Redirect") is not None and "did not hear a recording" in prompt.said()
    retry = call.post(prompt.root.find("Redirect").text)
    assert retry.record() is not None
    zero = call.finish_recording(retry, "RE" + "b" * 32, "", seconds=0)
    assert "did not hear a recording" in zero.said() and zero.record() is not None
    missing = call.post(retry.record().attrib["action"])  # no RecordingSid at all
    assert "did not hear a recording" in missing.said()
    last = call.post(missing.record().attrib["action"])
    assert last.hangs_up()  # after three tries
    with phone.database.read() as session:
        assert session.exec(select(Case)).all() == []


def test_missing_or_forged_parameters_get_a_spoken_message_not_a_500(phone):
    call = phone.call()
    for path, extra in [
        ("/voice/recorded", {"RecordingSid": "RE" + "c" * 32, "RecordingDuration": "5"}),  # no call state
        ("/voice/recorded?s=forged", {"RecordingSid": "RE" + "c" * 32, "RecordingDuration": "5"}),
        ("/voice/key?s=", {"Digits": "1"}),
        ("/voice/follow-up/choice?s=abc", {"Digits": "1"}),
        ("/voice/record", {}),
        ("/voice/menu", {"Digits": "1"}),  # no city, no language: English, the category menu for no city
        ("/voice/category?city=atlantis&lang=en", {"Digits": "2"}),  # no such city
        ("/voice/language?city=atlantis", {"Digits": "1"}),
        ("/voice/city?lang=en", {}),
        ("/voice/follow-up", {}),
        ("/voice/recording-status", {}),
        ("/voice/call-status", {}),
    ]:
        answer = call.post(path, **extra)
        assert answer.status_code == 200 and answer.root is not None, (path, answer.text)
        assert "Traceback" not in answer.text
    # A state sealed for another call does not open in this one.
    other = phone.call()
    prompt = other.post("/voice/category?city=raytown&lang=en", Digits="1")
    stolen = call.post(prompt.record().attrib["action"], RecordingSid="RE" + "d" * 32, RecordingDuration="4")
    assert "cannot take your call" in stolen.said() and stolen.hangs_up()
    with phone.database.read() as session:
        assert session.exec(select(Case)).all() == [] and session.exec(select(Job)).all() == []


def test_a_number_that_belongs_to_no_city_is_told_so(phone):
    call = phone.call("+18165550199")
    answer = call.start()
    assert answer.status_code == 200 and answer.hangs_up()
    assert "not taking hotline calls" in answer.said() and "no recibe llamadas" in answer.said()
    assert TwilioCall(phone.client, "").start().hangs_up()  # no To at all


def test_a_failing_step_apologises_instead_of_a_500(phone, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(phone_reports, "open_phone_report", broken)
    call = phone.call()
    prompt = call.post("/voice/category?city=raytown&lang=es", Digits="1")
    answer = call.finish_recording(prompt, "RE" + "e" * 32, "", seconds=4)
    assert answer.status_code == 200 and answer.hangs_up() and "Lo sentimos" in answer.said()


def test_the_fallback_url_apologises_in_both_languages(phone):
    answer = phone.call().post("/voice/fallback")
    assert answer.hangs_up() and languages(answer) == {"en-US", "es-MX"}
