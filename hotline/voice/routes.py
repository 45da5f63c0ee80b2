"""The ``/voice/`` webhooks (docs/design.md#phone): TwiML built with the twilio library, one short handler per step.

A call to a city's own number goes to that city; the shared number asks for the city. The language comes first
(English or Spanish), so that every menu after it, the city menu included, is in the caller's language. Then:
new report (category, recording, report key read twice) or follow-up (key, status and replies, another
recording). Every handler gets a :class:`hotline.voice.edge.VoiceCall`, already verified and stripped of every
caller field. A wrong key press is answered with the menu again, at most :data:`MAX_TRIES` times.
"""

from __future__ import annotations

import base64
import binascii
import time
from functools import partial
from typing import Any
from urllib.parse import urlencode

from starlette.concurrency import run_in_threadpool
from starlette.responses import Response
from starlette.routing import BaseRoute
from twilio.twiml.voice_response import Gather, Record, VoiceResponse

from hotline.access import public_route
from hotline.settings import Settings
from hotline.voice import exit_calls, pipeline, prompts
from hotline.voice.call_state import open_call_state, seal_call_state
from hotline.voice.edge import VoiceCall, VoiceHandler, logger, twilio_webhook, twiml
from hotline.voice.prompts import ENGLISH, SPANISH, text
from hotline.voice.twilio_rest import CALL_SID, RECORDING_SID, is_recording_url
from intake.categories import DEFAULT_CATEGORIES
from intake.cities import find_city, list_cities
from intake.errors import NotFound, WrongCredentials
from intake.exit import survey as exit_survey
from intake.items import KIND_REVIEWER_REPLY, new_id
from intake.models.phone import PURPOSE_EXIT
from intake.phone import lines as phone_lines
from intake.reports import submission as reports
from intake.reports.submission import ReporterAccess

MAX_TRIES = 3
MENU_TIMEOUT_SECONDS = 8
KEY_TIMEOUT_SECONDS = 20
# Recording ends after this many seconds of silence: a caller who stops talking is not kept waiting.
SILENCE_SECONDS = 10
# Twilio reads at most 4,096 characters per <Say>; replies are cut into pieces well under that.
SAY_PIECE_CHARS = 3000
MAX_REPLIES_READ = 5
FINAL_CALL_STATUSES = frozenset({"completed", "busy", "failed", "no-answer", "canceled"})


# --- building blocks -------------------------------------------------------------------------------------------

def _url(call: VoiceCall, path: str, **query: object) -> str:
    base = call.settings.public_url.rstrip("/") + path
    return base + ("?" + urlencode({k: v for k, v in query.items() if v not in (None, "")}) if query else "")


def _say(node: VoiceResponse | Gather, language: str, words: str) -> None:
    language = prompts.language_or_default(language)
    node.say(words, language=prompts.SAY_LANGUAGE[language], voice=prompts.SAY_VOICE[language])


def _gather(call: VoiceCall, action: str, *, digits: int = 1, timeout: int = MENU_TIMEOUT_SECONDS,
            finish_on_key: str | None = None) -> Gather:
    # actionOnEmptyResult: no key pressed comes back to the same handler, which asks again or says goodbye.
    return Gather(action=action, method="POST", num_digits=digits, timeout=timeout, finish_on_key=finish_on_key,
                  action_on_empty_result=True)


def _goodbye(language: str, message: str = "goodbye") -> VoiceResponse:
    response = VoiceResponse()
    _say(response, language, text(language, message))
    response.hangup()
    return response


def _number(text: str, max_digits: int) -> int | None:
    """A whole number written in ASCII digits, or None: str.isdigit() alone takes "²", which int() refuses."""
    return int(text) if text.isascii() and text.isdigit() and len(text) <= max_digits else None


def _tries(call: VoiceCall) -> int:
    return _number(call.arg("tries"), 2) or 0


def _retry_prefix(response: VoiceResponse, language: str | None, digits: str) -> None:
    """Say why the menu comes again: a wrong key, or none. ``None`` language: both languages."""
    message = "not_an_option" if digits else "no_choice"
    for lang in (language,) if language else (ENGLISH, SPANISH):
        _say(response, lang, text(lang, message))


def _seal(call: VoiceCall, state: dict[str, Any]) -> str:
    return seal_call_state(call.settings.session_key, call.call_sid, state, time.time())


def _opened(call: VoiceCall) -> dict[str, Any] | None:
    return open_call_state(call.settings.session_key, call.call_sid, call.arg("s"), time.time())


def _on_error(call: VoiceCall) -> VoiceResponse:
    """The apology, in the caller's language when the request says which (in its query or its sealed state)."""
    language = call.arg("lang")
    if not language and call.arg("s"):
        language = str((_opened(call) or {}).get("lang", ""))
    return _goodbye(language or ENGLISH, "error")


def _city_slug(call: VoiceCall) -> str:
    return call.arg("city")[:64]


# --- menus -----------------------------------------------------------------------------------------------------

def _language_menu(call: VoiceCall, city_slug: str, city_name: str | None, tries: int) -> VoiceResponse:
    response = VoiceResponse()
    gather = _gather(call, _url(call, "/voice/language", city=city_slug, tries=tries))
    for lang in (ENGLISH, SPANISH):
        if tries == 0:
            welcome = text(lang, "welcome_city", city=city_name) if city_name else text(lang, "welcome_shared")
            _say(gather, lang, welcome)
        _say(gather, lang, text(lang, "language"))
    response.append(gather)
    return response


def _city_menu(call: VoiceCall, language: str, cities: list[Any], tries: int) -> VoiceResponse:
    response = VoiceResponse()
    gather = _gather(call, _url(call, "/voice/city", lang=language, tries=tries), digits=len(str(len(cities))))
    _say(gather, language, text(language, "city_menu"))
    for digit, city in enumerate(cities, start=1):
        _say(gather, language, text(language, "city_option", city=city.name, digit=digit))
    response.append(gather)
    return response


def _main_menu(call: VoiceCall, city_slug: str, language: str, tries: int,
               response: VoiceResponse | None = None) -> VoiceResponse:
    response = response or VoiceResponse()
    gather = _gather(call, _url(call, "/voice/menu", city=city_slug, lang=language, tries=tries))
    _say(gather, language, text(language, "main_menu"))
    response.append(gather)
    return response


def _category_menu(call: VoiceCall, city_slug: str, language: str, tries: int,
                   response: VoiceResponse | None = None) -> VoiceResponse:
    response = response or VoiceResponse()
    gather = _gather(call, _url(call, "/voice/category", city=city_slug, lang=language, tries=tries))
    _say(gather, language, text(language, "category_menu"))
    for digit, category in enumerate(DEFAULT_CATEGORIES, start=1):
        name = prompts.CATEGORY_NAMES[prompts.language_or_default(language)][category.slug]
        _say(gather, language, text(language, "category_option", category=name, digit=digit))
    response.append(gather)
    return response


def _key_prompt(call: VoiceCall, language: str, tries: int, response: VoiceResponse | None = None) -> VoiceResponse:
    response = response or VoiceResponse()
    gather = _gather(call, _url(call, "/voice/follow-up", lang=language, tries=tries), digits=prompts.key_digits(),
                     timeout=KEY_TIMEOUT_SECONDS, finish_on_key="#")
    _say(gather, language, text(language, "enter_key", digits=prompts.key_digits()))
    response.append(gather)
    return response


async def _record_prompt(call: VoiceCall, state: dict[str, Any], response: VoiceResponse | None = None
                         ) -> VoiceResponse:
    """Ask for a recording. ``state`` says where it goes (a new case, or a message to an existing one); a city
    or case that does not exist raises NotFound, answered with the apology."""
    response = response or VoiceResponse()
    language = state["lang"]
    if state.get("tries", 0) >= MAX_TRIES:
        return _goodbye(language)
    choice = await run_in_threadpool(phone_lines.case_or_city_audio_choice, call.database,
                                     state.get("case", ""), state.get("city", ""))
    max_seconds = _max_recording_seconds(call.settings, choice.keep_audio)
    minutes = max(1, max_seconds // 60)
    prompt = ("record_prompt_transcript" if not choice.keep_audio else
              "record_prompt" if choice.disguise_voice else "record_prompt_plain")
    _say(response, language, text(language, prompt, minutes=minutes))
    token = _seal(call, state)
    response.append(Record(
        action=_url(call, "/voice/recorded", s=token), method="POST",
        max_length=max_seconds, timeout=SILENCE_SECONDS, finish_on_key="#",
        play_beep=True, trim="trim-silence", transcribe=False,
        recording_status_callback=_url(call, "/voice/recording-status", s=token),
        recording_status_callback_method="POST", recording_status_callback_event="completed absent",
    ))
    # Reached only when the recording was empty: Twilio skips the action URL and goes on (TwiML <Record>).
    _say(response, language, text(language, "nothing_heard"))
    response.redirect(_url(call, "/voice/record", s=_seal(call, {**state, "tries": state.get("tries", 0) + 1})),
                      method="POST")
    return response


def _max_recording_seconds(settings: Settings, keep_audio: bool) -> int:
    """The longest recording a caller may leave. Where only the transcript is kept, no longer than what is
    transcribed: a longer one would keep nothing (docs/design.md#transcripts)."""
    if keep_audio:
        return settings.phone_max_recording_seconds
    return min(settings.phone_max_recording_seconds, settings.transcribe_max_seconds)


def _read_key(response: VoiceResponse | Gather, language: str, report_key: str) -> None:
    _say(response, language, prompts.spoken_digits(report_key))


def _key_menu(call: VoiceCall, language: str, report_key: str, response: VoiceResponse) -> VoiceResponse:
    gather = _gather(call, _url(call, "/voice/key", s=_seal(call, {"key": report_key, "lang": language})))
    _say(gather, language, text(language, "key_menu"))
    response.append(gather)
    _say(response, language, text(language, "goodbye"))
    response.hangup()
    return response


def _pieces(words: str) -> list[str]:
    """Cut text for <Say> at sentence or word boundaries, each piece under SAY_PIECE_CHARS."""
    pieces, rest = [], " ".join(words.split())
    while len(rest) > SAY_PIECE_CHARS:
        cut = max(rest.rfind(". ", 0, SAY_PIECE_CHARS), rest.rfind(" ", 0, SAY_PIECE_CHARS))
        cut = cut + 1 if cut > 0 else SAY_PIECE_CHARS
        pieces.append(rest[:cut].strip())
        rest = rest[cut:].strip()
    return [*pieces, rest] if rest else pieces


async def _case_status(call: VoiceCall, access: ReporterAccess, language: str) -> VoiceResponse:
    """The case's status and the reviewers' replies, read aloud, then the follow-up menu."""
    view = await run_in_threadpool(partial(reports.reporter_view, call.database, access, channel=reports.CHANNEL_PHONE,
                                           release_at_once=call.config.release_at_once))
    lang = prompts.language_or_default(language)
    response = VoiceResponse()
    status = prompts.STATUS_NAMES[lang].get(view.status, view.status)
    _say(response, lang, text(lang, "status", date=view.received_on.isoformat(), status=status))
    replies = [item for item in view.items if item.kind == KIND_REVIEWER_REPLY]
    if not replies:
        _say(response, lang, text(lang, "no_replies"))
    else:
        _say(response, lang, text(lang, "one_reply") if len(replies) == 1 else
             text(lang, "reply_count", count=len(replies)))
    for reply in replies[-MAX_REPLIES_READ:]:
        _say(response, lang, text(lang, "reply", date=reply.created_on.isoformat()))
        for piece in _pieces(reply.text):
            _say(response, lang, piece)
    token = _seal(call, {"case": access.case_id, "lang": lang,
                         "rk": base64.urlsafe_b64encode(access.reporter_private_key).decode()})
    gather = _gather(call, _url(call, "/voice/follow-up/choice", s=token))
    _say(gather, lang, text(lang, "follow_up_menu"))
    response.append(gather)
    _say(response, lang, text(lang, "goodbye"))
    response.hangup()
    return response


# --- handlers --------------------------------------------------------------------------------------------------

async def incoming(call: VoiceCall) -> Response:
    """The number's voice URL: the city comes from the number called."""
    called = call.field("To")
    if call.settings.phone_shared_number and called == call.settings.phone_shared_number:
        return twiml(_language_menu(call, "", None, 0))
    line = await run_in_threadpool(phone_lines.line_for_number, call.database, called)
    if line is not None and line.purpose == PURPOSE_EXIT:
        return twiml(_exit.welcome(call, line.city_slug, line.city_name))
    city = await run_in_threadpool(phone_lines.city_for_number, call.database, called)
    if city is None:
        response = VoiceResponse()
        for lang in (ENGLISH, SPANISH):
            _say(response, lang, text(lang, "unknown_number"))
        response.hangup()
        return twiml(response)
    return twiml(_language_menu(call, city.slug, city.name, 0))


async def language(call: VoiceCall) -> Response:
    digits, tries, city_slug = call.field("Digits"), _tries(call), _city_slug(call)
    chosen = {"1": ENGLISH, "2": SPANISH}.get(digits)
    if chosen is None:
        if tries + 1 >= MAX_TRIES:
            response = VoiceResponse()
            for lang in (ENGLISH, SPANISH):
                _say(response, lang, text(lang, "goodbye"))
            response.hangup()
            return twiml(response)
        response = VoiceResponse()
        _retry_prefix(response, None, digits)
        menu = _language_menu(call, city_slug, None, tries + 1)
        for verb in menu.verbs:
            response.append(verb)
        return twiml(response)
    if city_slug:
        await run_in_threadpool(find_city, call.database, city_slug)  # NotFound: the apology
        return twiml(_main_menu(call, city_slug, chosen, 0))
    cities = await run_in_threadpool(list_cities, call.database)
    return twiml(_city_menu(call, chosen, cities, 0))


async def city(call: VoiceCall) -> Response:
    lang, digits, tries = prompts.language_or_default(call.arg("lang")), call.field("Digits"), _tries(call)
    cities = await run_in_threadpool(list_cities, call.database)
    chosen = _number(digits, 4)
    if chosen is not None and 1 <= chosen <= len(cities):
        return twiml(_main_menu(call, cities[chosen - 1].slug, lang, 0))
    if tries + 1 >= MAX_TRIES:
        return twiml(_goodbye(lang))
    response = VoiceResponse()
    _retry_prefix(response, lang, digits)
    for verb in _city_menu(call, lang, cities, tries + 1).verbs:
        response.append(verb)
    return twiml(response)


async def menu(call: VoiceCall) -> Response:
    lang, digits, tries, city_slug = prompts.language_or_default(call.arg("lang")), call.field("Digits"), \
        _tries(call), _city_slug(call)
    if digits == "1":
        return twiml(_category_menu(call, city_slug, lang, 0))
    if digits == "2":
        return twiml(_key_prompt(call, lang, 0))
    if tries + 1 >= MAX_TRIES:
        return twiml(_goodbye(lang))
    response = VoiceResponse()
    _retry_prefix(response, lang, digits)
    return twiml(_main_menu(call, city_slug, lang, tries + 1, response))


async def category(call: VoiceCall) -> Response:
    lang, digits, tries, city_slug = prompts.language_or_default(call.arg("lang")), call.field("Digits"), \
        _tries(call), _city_slug(call)
    number = _number(digits, 2)
    if number is not None and 1 <= number <= len(DEFAULT_CATEGORIES):
        chosen = DEFAULT_CATEGORIES[number - 1].slug
        # The case id is chosen now, so the webhook that ends the recording and the worker that stores it
        # agree on the case; it travels sealed (hotline.voice.call_state).
        state = {"kind": pipeline.KIND_REPORT, "case": new_id(), "city": city_slug, "category": chosen,
                 "lang": lang, "tries": 0}
        return twiml(await _record_prompt(call, state))
    if tries + 1 >= MAX_TRIES:
        return twiml(_goodbye(lang))
    response = VoiceResponse()
    _retry_prefix(response, lang, digits)
    return twiml(_category_menu(call, city_slug, lang, tries + 1, response))


async def record_again(call: VoiceCall) -> Response:
    state = _opened(call)
    if state is None:
        return twiml(_goodbye(call.arg("lang") or ENGLISH, "error"))
    return twiml(await _record_prompt(call, state))


def _recording_heard(call: VoiceCall) -> bool:
    duration = _number(call.field("RecordingDuration"), 6)
    return RECORDING_SID.match(call.field("RecordingSid")) is not None and duration is not None and duration > 0


async def recorded(call: VoiceCall) -> Response:
    """The recording ended (the caller pressed #, fell silent or reached the limit)."""
    state = _opened(call)
    if state is None:
        return twiml(_goodbye(ENGLISH, "error"))
    lang = prompts.language_or_default(state.get("lang", ""))
    if not _recording_heard(call):
        response = VoiceResponse()
        _say(response, lang, text(lang, "nothing_heard"))
        return twiml(await _record_prompt(call, {**state, "tries": state.get("tries", 0) + 1}, response))
    if state.get("kind") == pipeline.KIND_MESSAGE:
        return twiml(_goodbye(lang, "recording_added"))
    opened = await run_in_threadpool(
        pipeline.open_report, call.database, call.config, call.settings.pepper, case_id=state.get("case", ""),
        city_slug=state.get("city", ""), category=state.get("category", ""))
    if opened is None:
        return twiml(_goodbye(lang, "already_received"))
    response = VoiceResponse()
    _say(response, lang, text(lang, "received"))
    _say(response, lang, text(lang, "key_intro", digits=len(opened.report_key)))
    _read_key(response, lang, opened.report_key)
    _say(response, lang, text(lang, "key_again"))
    _read_key(response, lang, opened.report_key)
    return twiml(_key_menu(call, lang, opened.report_key, response))


async def key(call: VoiceCall) -> Response:
    state = _opened(call)
    if state is None:
        return twiml(_goodbye(ENGLISH, "error"))
    lang = prompts.language_or_default(state.get("lang", ""))
    if call.field("Digits") != "1":
        return twiml(_goodbye(lang))
    response = VoiceResponse()
    _read_key(response, lang, str(state.get("key", "")))
    return twiml(_key_menu(call, lang, str(state.get("key", "")), response))


async def follow_up(call: VoiceCall) -> Response:
    """A report key was entered on the keypad."""
    lang, digits, tries = prompts.language_or_default(call.arg("lang")), call.field("Digits"), _tries(call)
    if not digits:
        if tries + 1 >= MAX_TRIES:
            return twiml(_goodbye(lang))
        response = VoiceResponse()
        _say(response, lang, text(lang, "no_choice"))
        return twiml(_key_prompt(call, lang, tries + 1, response))
    # Throttled as on the web: by the hourly keyed hash of the caller's number, made and kept at the edge; a
    # withheld number by the call, and by the number called, shared by every withheld call to it.
    if call.state.report_key_throttle.attempt(call.caller_tag) is not None or (
            call.withheld_tag is not None and call.state.withheld_caller_throttle.attempt(call.withheld_tag)
            is not None):
        return twiml(_goodbye(lang, "too_many"))
    try:
        access = await run_in_threadpool(partial(reports.open_report, call.database, call.config, digits,
                                                 channel=reports.CHANNEL_PHONE))
    except WrongCredentials:
        if tries + 1 >= MAX_TRIES:
            return twiml(_goodbye(lang, "too_many"))
        response = VoiceResponse()
        _say(response, lang, text(lang, "wrong_key"))
        return twiml(_key_prompt(call, lang, tries + 1, response))
    return twiml(await _case_status(call, access, lang))


async def follow_up_choice(call: VoiceCall) -> Response:
    state = _opened(call)
    if state is None:
        return twiml(_goodbye(ENGLISH, "error"))
    lang = prompts.language_or_default(state.get("lang", ""))
    try:
        access = ReporterAccess(case_id=str(state["case"]), reporter_private_key=base64.urlsafe_b64decode(
            str(state["rk"])))
    except (KeyError, binascii.Error, ValueError):
        return twiml(_goodbye(lang, "error"))
    digits = call.field("Digits")
    if digits == "1":
        return twiml(await _record_prompt(call, {"kind": pipeline.KIND_MESSAGE, "case": access.case_id,
                                                 "lang": lang, "tries": 0}))
    if digits == "2":
        try:
            return twiml(await _case_status(call, access, lang))
        except NotFound:
            return twiml(_goodbye(lang, "error"))
    return twiml(_goodbye(lang))


def _recording_callback_problem(call: VoiceCall) -> str | None:
    """Why a recording callback is refused, or None. Never fetched from the URL given: only checked."""
    recording_sid = call.field("RecordingSid")
    if not RECORDING_SID.match(recording_sid) or not CALL_SID.match(call.call_sid):
        return "identifiers missing or malformed"
    if call.field("AccountSid") != call.settings.twilio_account_sid:
        return "another account's recording"
    url = call.field("RecordingUrl")
    if url and not is_recording_url(call.settings, url, recording_sid):
        return "the recording URL is not Twilio's"
    return None


async def recording_status(call: VoiceCall) -> Response:
    """Twilio's recording-status callback: queue the recording's fetch (or, if absent, its deletion)."""
    state = _opened(call)
    problem = "no call state" if state is None else _recording_callback_problem(call)
    if state is None or problem is not None:
        logger.warning("recording callback refused", extra={"fields": {"reason": problem}})
        return twiml(VoiceResponse())
    status = call.field("RecordingStatus")
    pepper = call.settings.pepper
    if status == "completed" and state.get("kind") == exit_calls.KIND_EXIT:
        # The answers travel to the job still sealed (the same token), bound to this call: the job table holds
        # no answer in clear (intake.models.job).
        await run_in_threadpool(pipeline.enqueue_store, call.database, pepper, recording_sid=call.field(
            "RecordingSid"), call_sid=call.call_sid, destination={"kind": pipeline.KIND_EXIT, "exit": call.arg("s"),
                                                                 "lang": state.get("lang", "en")})
    elif status == "completed":
        destination: dict[str, Any] = {name: state[name] for name in ("kind", "case", "city", "category", "lang")
                                       if name in state}
        await run_in_threadpool(pipeline.enqueue_store, call.database, pepper, recording_sid=call.field(
            "RecordingSid"), call_sid=call.call_sid, destination=destination)
    elif status in ("absent", "failed"):
        await run_in_threadpool(pipeline.enqueue_delete, call.database, pepper,
                                recording_sid=call.field("RecordingSid"), call_sid=call.call_sid)
    return twiml(VoiceResponse())


async def call_status(call: VoiceCall) -> Response:
    """The number's call-status callback: once the call has ended, its record at Twilio is deleted."""
    if call.field("CallStatus") in FINAL_CALL_STATUSES and CALL_SID.match(call.call_sid) \
            and call.field("AccountSid") == call.settings.twilio_account_sid:
        await run_in_threadpool(pipeline.enqueue_forget_call, call.database, call.settings.pepper,
                                call_sid=call.call_sid)
    return twiml(VoiceResponse())


async def fallback(call: VoiceCall) -> Response:
    """The number's fallback URL, which Twilio requests when the voice URL fails."""
    response = VoiceResponse()
    for lang in (ENGLISH, SPANISH):
        _say(response, lang, text(lang, "error"))
    response.hangup()
    return twiml(response)


# --- exit interviews by keypad (hotline.voice.exit_calls) ------------------------------------------------------

_exit = exit_calls.ExitCalls(_url, _say, _seal, _opened, _goodbye, _gather)


async def exit_language(call: VoiceCall) -> Response:
    chosen = {"1": ENGLISH, "2": SPANISH}.get(call.field("Digits"))
    if chosen is None:
        tries = _tries(call)
        if tries + 1 >= MAX_TRIES:
            return twiml(_goodbye(ENGLISH))
        line = await run_in_threadpool(phone_lines.line_for_number, call.database, call.field("To"))
        response = VoiceResponse()
        _retry_prefix(response, None, call.field("Digits"))
        for verb in _exit.welcome(call, _city_slug(call), line.city_name if line else "").verbs:
            response.append(verb)
        return twiml(response)
    return twiml(_exit.code_prompt(call, _city_slug(call), chosen, 0))


async def exit_code(call: VoiceCall) -> Response:
    lang, digits, tries = prompts.language_or_default(call.arg("lang")), call.field("Digits"), _tries(call)
    if not digits:
        if tries + 1 >= MAX_TRIES:
            return twiml(_goodbye(lang))
        response = VoiceResponse()
        _say(response, lang, text(lang, "no_choice"))
        return twiml(_exit.code_prompt(call, _city_slug(call), lang, tries + 1, response))
    # Counted like report keys, by the hourly keyed hash of the caller's number (hotline.voice.edge).
    if call.state.report_key_throttle.attempt(call.caller_tag) is not None:
        return twiml(_goodbye(lang, "too_many"))
    opened = await exit_calls.open_by_code(call, digits)
    if isinstance(opened, exit_survey.Survey) and opened.city_slug != _city_slug(call):
        opened = "wrong_code"  # another city's invitation: this number is not its line
    if isinstance(opened, str):
        if opened != "wrong_code":
            return twiml(_goodbye_with(lang, exit_calls.text(lang, opened)))
        if tries + 1 >= MAX_TRIES:
            return twiml(_goodbye(lang, "too_many"))
        response = VoiceResponse()
        _say(response, lang, exit_calls.text(lang, "wrong_code"))
        return twiml(_exit.code_prompt(call, _city_slug(call), lang, tries + 1, response))
    city = await run_in_threadpool(find_city, call.database, opened.city_slug)
    state = {"cred": opened.credential.encode(), "q": opened.questionnaire.id, "c": city.id, "i": 0, "a": {},
             "lang": lang}
    return twiml(_exit.question(call, state, opened.questionnaire))


def _goodbye_with(language: str, words: str) -> VoiceResponse:
    response = VoiceResponse()
    _say(response, language, words)
    response.hangup()
    return response


async def _exit_state(call: VoiceCall) -> tuple[dict[str, Any], Any] | None:
    state = _opened(call)
    if state is None or not isinstance(state.get("a"), dict):
        return None
    questionnaire = await exit_calls.load_questionnaire(call, int(state["c"]), int(state["q"]))
    return state, questionnaire


async def _exit_finished(call: VoiceCall, state: dict[str, Any], questionnaire: Any) -> Response:
    """After the last question: the comment menu, or (no comment question) the answers sent."""
    if exit_calls.has_comment(questionnaire):
        return twiml(_exit.comment_menu(call, state, questionnaire, VoiceResponse()))
    sent = await exit_calls.submit(call, state)
    return twiml(_goodbye_with(state["lang"], exit_calls.text(state["lang"], "thanks")) if sent
                 else _goodbye(state["lang"], "error"))


async def exit_answer(call: VoiceCall) -> Response:
    opened = await _exit_state(call)
    if opened is None:
        return twiml(_goodbye(ENGLISH, "error"))
    state, questionnaire = opened
    questions = exit_calls.phone_questions(questionnaire)
    index = int(state["i"])
    if index >= len(questions):
        return await _exit_finished(call, state, questionnaire)
    value = "" if call.arg("skip") else exit_calls.answer_for(questions[index], call.field("Digits"))
    if value is None:
        response = VoiceResponse()
        _say(response, state["lang"], exit_calls.text(state["lang"], "not_an_option"))
        return twiml(_exit.question(call, state, questionnaire, response))
    answers = dict(state["a"])
    if value:
        answers[questions[index].id] = value
    state = {**state, "i": index + 1, "a": answers}
    if index + 1 >= len(questions):
        return await _exit_finished(call, state, questionnaire)
    return twiml(_exit.question(call, state, questionnaire))


async def exit_comment(call: VoiceCall) -> Response:
    state = _opened(call)
    if state is None:
        return twiml(_goodbye(ENGLISH, "error"))
    lang = prompts.language_or_default(state.get("lang", ""))
    if call.field("Digits") == "1" and not call.arg("skip"):
        max_seconds = min(exit_calls.COMMENT_MAX_SECONDS, call.settings.transcribe_max_seconds)
        return twiml(_exit.record_comment(call, state, max_seconds))
    sent = await exit_calls.submit(call, state)
    return twiml(_goodbye_with(lang, exit_calls.text(lang, "thanks")) if sent else _goodbye(lang, "error"))


async def exit_recorded(call: VoiceCall) -> Response:
    """The comment ended. The recording job sends the answers with the comment's transcript."""
    state = _opened(call)
    lang = prompts.language_or_default((state or {}).get("lang", ""))
    if state is None or not _recording_heard(call):
        sent = state is not None and await exit_calls.submit(call, state)
        return twiml(_goodbye_with(lang, exit_calls.text(lang, "thanks")) if sent else _goodbye(lang, "error"))
    return twiml(_goodbye_with(lang, exit_calls.text(lang, "thanks_comment")))


def _post(path: str, handler: VoiceHandler) -> BaseRoute:
    return public_route(path, twilio_webhook(handler, on_error=_on_error), methods=["POST"])


def voice_routes() -> list[BaseRoute]:
    """Every route under /voice/. Each answers 403 unless Twilio signed the request (hotline.voice.edge)."""
    return [
        _post("/voice/incoming", incoming),
        _post("/voice/language", language),
        _post("/voice/city", city),
        _post("/voice/menu", menu),
        _post("/voice/category", category),
        _post("/voice/record", record_again),
        _post("/voice/recorded", recorded),
        _post("/voice/key", key),
        _post("/voice/follow-up", follow_up),
        _post("/voice/follow-up/choice", follow_up_choice),
        _post("/voice/recording-status", recording_status),
        _post("/voice/call-status", call_status),
        _post("/voice/fallback", fallback),
        _post("/voice/exit/language", exit_language),
        _post("/voice/exit/code", exit_code),
        _post("/voice/exit/answer", exit_answer),
        _post("/voice/exit/comment", exit_comment),
        _post("/voice/exit/recorded", exit_recorded),
    ]
