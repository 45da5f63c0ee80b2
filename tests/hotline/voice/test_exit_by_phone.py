"""Exit interviews by keypad (docs/design.md#exit-interviews-by-phone): the invitation shows the city's exit number
and the code as digits; a departing employee keys the code, answers the single-choice, rating and 0-10 questions by
digits with the options read out, in English or Spanish, and records a closing comment that is transcribed and
kept as a typed comment would be, its audio nowhere. An anonymous response is as unlinkable to its invitation as a
web response (the same check as tests/intake/exit/test_survey.py)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from sqlmodel import select

from hotline.bench.speech import speak_wav
from intake.accounts.reviewers import add_reviewer
from intake.cities import find_city, open_city_key_with_recovery_key
from intake.clock import utc_now
from intake.exit import hr as exit_hr
from intake.exit.survey import open_answers
from intake.models import ExitInvitation, ExitResponse, ItemChunk
from intake.phone.lines import add_number
from tests.hotline.conftest import PASSWORD
from tests.hotline.voice.twilio_calls import TwilioCall, drain
from tests.intake.exit.exit_fixtures import session_for
from tests.intake.exit.test_survey import assert_unlinkable, read_everything
from tests.transcription_support import need_espeak

EXIT_NUMBER = "+18165550133"


def invitations(phone, seeded, count: int = 3):
    key = open_city_key_with_recovery_key(find_city(seeded.database, "raytown"), seeded.recovery_keys["raytown"])
    config = seeded.settings.intake_config()
    add_reviewer(seeded.database, config, city_slug="raytown", email="hr@raytown.example", display_name="Raytown HR",
                 password=PASSWORD, role="reviewer", city_private_key=key, groups=["hr"])
    add_number(seeded.database, "raytown", EXIT_NUMBER, purpose="exit")
    hr = exit_hr.hr_access(seeded.database, session_for(seeded.database, config, "hr@raytown.example"), "raytown")
    made_on = utc_now() - timedelta(days=20)  # HR invited them weeks before they call
    made = [exit_hr.create_invitation(seeded.database, config, hr, department="parks", separation_type="voluntary",
                                      last_day=(made_on + timedelta(days=10 + n)).date().isoformat(),
                                      clock=lambda: made_on) for n in range(count)]
    return key, made


def keypad_interview(phone, code: str, *, language: str = "1", comment: bytes | None = None):
    call = TwilioCall(phone.client, EXIT_NUMBER, call_sid=phone.fake.new_call())
    welcome = call.start()
    assert "exit interview line" in welcome.said()
    asked = call.press(welcome, language)
    assert asked.gather().attrib["numDigits"] == "19"
    step = call.press(asked, code.replace(" ", ""))
    said = [step.said()]
    # separation type, department, tenure, main reason (twelve options: two digits and #), nine ratings (one
    # skipped with star), recommend (0-10), come back.
    for digits in ("1", "3", "2", "1", "2", "4", "*", "3", "5", "1", "2", "3", "4", "9", "1"):
        step = call.press(step, digits)
        said.append(step.said())
    if comment is None:
        done = call.press(step, "2")
        assert done.hangs_up()
        return call, said, done
    record = call.press(step, "1")
    assert "Only a written transcript" in record.said() or "Solo se guardará" in record.said()
    recording_sid = phone.fake.add_recording(call.call_sid, comment)
    url = phone.fake.recording_url(recording_sid)
    done = call.finish_recording(record, recording_sid, url, seconds=4)
    call.recording_status(record, recording_sid, url)
    call.completed(phone.fake)
    return call, said, done


def test_an_anonymous_exit_interview_by_keypad_is_unlinkable_like_a_web_response(phone, seeded, whisper_model_dir):
    need_espeak()
    key, made = invitations(phone, seeded)
    used = made[1]
    assert used.phone_number == EXIT_NUMBER and len(used.phone_code.replace(" ", "")) == 19
    before = read_everything(phone.database)
    comment = speak_wav(["The parks crew needs better boots and more training."], "en")
    call, said, done = keypad_interview(phone, used.phone_code, comment=comment)
    assert "Press star to skip" in said[0] and "For Parks and recreation, press 3." in said[1]
    assert "will be sent" in done.said()
    with phone.database.read() as session:
        assert session.exec(select(ExitResponse)).all() == []  # nothing until the comment is transcribed

    drain(replace(phone.settings, transcribe_model_dir=str(whisper_model_dir)), phone.database)

    today = utc_now().date()
    response = assert_unlinkable(phone.database, used.invitation_id, today.isoformat(), today.strftime("%Y-%m"),
                                 unchanged=before)
    with phone.database.read() as session:
        row = session.get(ExitResponse, response["id"])
        statuses = {i.id: i.status for i in session.exec(select(ExitInvitation)).all()}
        assert session.exec(select(ItemChunk)).all() == []
    answers = open_answers(row, key)
    assert answers["department"] == "parks" and answers["main_reason"] == "pay" and answers["recommend"] == 9
    assert answers["rating_supervisor"] == 2 and "rating_pay" in answers and "rating_benefits" not in answers
    assert "parks crew needs better" in answers["comments"].lower() and "training" in answers["comments"]
    assert statuses[used.invitation_id] == "completed" and list(statuses.values()).count("completed") == 1
    assert phone.fake.deleted_recordings and call.call_sid in phone.fake.deleted_calls


def test_in_spanish_without_a_comment_and_a_code_that_works_once(phone, seeded):
    key, made = invitations(phone, seeded, count=1)
    _call, said, done = keypad_interview(phone, made[0].phone_code, language="2")
    assert "Para Parques y recreación, oprima 3." in said[1] and "Gracias" in done.said()
    with phone.database.read() as session:
        (row,) = session.exec(select(ExitResponse)).all()
    assert open_answers(row, key)["come_back"] == "yes" and "comments" not in open_answers(row, key)
    again = TwilioCall(phone.client, EXIT_NUMBER, call_sid=phone.fake.new_call())
    asked = again.press(again.start(), "1")
    assert "already used" in again.press(asked, made[0].phone_code.replace(" ", "")).said()
    wrong = TwilioCall(phone.client, EXIT_NUMBER, call_sid=phone.fake.new_call())
    asked = wrong.press(wrong.start(), "1")
    assert "does not match" in wrong.press(asked, "1" * 19).said()


def test_the_invitation_page_shows_the_number_and_the_code_as_digits(phone, seeded):
    _key, made = invitations(phone, seeded, count=1)
    assert made[0].phone_code and exit_hr.code_from_phone(made[0].phone_code) == made[0].code.replace("-", "")
