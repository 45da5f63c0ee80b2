"""Fuzzing the phone line's webhooks: every route under /voice/, signed as Twilio signs them
(the twilio library's RequestValidator over the public URL and the form as the app will read it), with hostile
digits, call and recording identifiers, recording URLs, caller fields, query parameters and sealed call states
carrying hostile values. Each example sends one request to every webhook (the routes come from the table), and
checks: no 500, TwiML that parses with nothing unescaped, no handler failing into the spoken apology on input
it should answer plainly, and nothing stored except by the three callbacks that store, and by them only when
the request is genuine."""

from __future__ import annotations

import asyncio
import base64
import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from urllib.parse import quote_from_bytes

import pytest
from hypothesis import given
from hypothesis import strategies as st
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.testclient import TestClient
from twilio.request_validator import RequestValidator

from hotline.app import create_app
from hotline.voice.call_state import seal_call_state
from hotline.voice.twilio_rest import recording_url
from intake.categories import DEFAULT_CATEGORIES
from intake.phone.lines import add_number
from tests.hotline.conftest import submit_report
from tests.hotline.fuzz_support import (
    ENCODING,
    HOSTILE_TEXT,
    SMALL_HOSTILE_BYTES,
    Body,
    Part,
    Sent,
    Snapshot,
    body,
    check_answer,
    draw_parts,
    example,
    family_routes,
    fuzz_settings,
    nul_forms,
    nul_urls,
    send,
    valid_parts,
)
from tests.hotline.voice.twilio_calls import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    CALLER_FIELDS,
    GRANDVIEW_NUMBER,
    PUBLIC_URL,
    RAYTOWN_NUMBER,
    SHARED_NUMBER,
)

# Every field a webhook reads (hotline.voice.edge.KEPT_FIELDS) and every query parameter it reads; the caller's
# fields are sent too, hostile, though the edge drops them.
FIELDS = ("AccountSid", "CallSid", "CallStatus", "Digits", "RecordingDuration", "RecordingSid", "RecordingStatus",
          "RecordingUrl", "To", "From", "Caller", "CallerName")
QUERY = ("lang", "tries", "city", "s", "skip")
# The callbacks that store something (a phone report, the jobs that fetch or delete a recording or forget a
# call): when they refuse, nothing may be stored; every other webhook stores nothing at all.
STORING = {"/voice/recorded", "/voice/recording-status", "/voice/call-status"}
# Handlers that may fail into the apology on purpose: a city the caller's keys chose that does not exist.
APOLOGY_EXPECTED = {"NotFound"}
RECORDING_SID = "RE" + "7" * 32


def twilio_form(sent_body: Body) -> FormData | None:
    """The form as Starlette will read it from this body (what Twilio signed), or None if it cannot be read."""

    async def receive() -> dict[str, object]:
        return {"type": "http.request", "body": sent_body.content, "more_body": False}

    headers = [(b"content-type", sent_body.content_type.encode("latin-1"))] if sent_body.content_type else []
    scope = {"type": "http", "method": "POST", "headers": headers, "path": "/", "query_string": b""}

    async def read() -> FormData:
        return await Request(scope, receive).form()  # type: ignore[arg-type]

    try:
        return asyncio.run(read())
    except Exception:
        return None


class VoiceWorld:
    def __init__(self, seeded, client: TestClient, settings) -> None:
        self.settings, self.database, self.client = settings, seeded.database, client
        self.report_key = submit_report(client, "raytown", "A report to follow up by phone.")


# The call states the app seals, by the webhook it seals them for (hotline.voice.routes): a state only ever
# reaches the URL it was made for, since Twilio signs that URL.
RECORDING_STATE = ("/voice/record", "/voice/recorded", "/voice/recording-status")
STATE_OF = {**dict.fromkeys(RECORDING_STATE, "recording"), "/voice/key": "key", "/voice/follow-up/choice": "case"}


@st.composite
def sealed_state(draw: st.DrawFn, world: VoiceWorld, call_sid: str, path: str) -> str:
    """A call state as the app seals one for ``path``. Its values are the app's own (a new case id, the key read
    out, the reporter's key, a checked language), except the city slug: that is a query parameter of the URL
    the app gave Twilio, so it is hostile here."""
    lang = draw(st.sampled_from(("en", "es")))
    case = draw(st.one_of(st.just("0" * 32), st.uuids().map(lambda value: value.hex)))
    shape = STATE_OF.get(path) or draw(st.sampled_from(("recording", "key", "case")))
    if shape == "key":
        digits = st.text("0123456789", min_size=20, max_size=20)
        state: dict[str, object] = {"key": draw(st.one_of(st.just(world.report_key), digits)), "lang": lang}
    elif shape == "case":
        state = {"case": case, "lang": lang, "rk": base64.urlsafe_b64encode(draw(st.binary(min_size=32,
                                                                                         max_size=32))).decode()}
    elif draw(st.booleans()):
        state = {"kind": "message", "case": case, "lang": lang, "tries": draw(st.integers(0, 3))}
    else:
        city = HOSTILE_TEXT.map(lambda value: value.encode("utf-8", "replace").decode()[:64])
        state = {"kind": "report", "case": case, "lang": lang, "tries": draw(st.integers(0, 3)),
                 "city": draw(st.one_of(st.sampled_from(("raytown", "grandview")), city)),
                 "category": draw(st.sampled_from([c.slug for c in DEFAULT_CATEGORIES]))}
    return seal_call_state(world.settings.session_key, call_sid, state, time.time())


def valid_fields(world: VoiceWorld, call_sid: str, *, status: str = "in-progress", digits: str = "1",
                 recording: str = "completed", to: str = RAYTOWN_NUMBER) -> dict[str, str | bytes]:
    return {"AccountSid": ACCOUNT_SID, "CallSid": call_sid, "CallStatus": status, "Digits": digits,
            "RecordingDuration": "3", "RecordingSid": RECORDING_SID, "RecordingStatus": recording,
            "RecordingUrl": recording_url(world.settings, RECORDING_SID), "To": to, **CALLER_FIELDS}


def caller_parts() -> list[Part]:
    """The caller's fields not fuzzed one by one: sent as Twilio sends them (the edge drops them all)."""
    return [Part(name.encode(), value.encode()) for name, value in CALLER_FIELDS.items() if name not in FIELDS]


def draw_webhook(draw: st.DrawFn, world: VoiceWorld, path: str) -> Sent:
    call_sid = "CA" + draw(st.sampled_from(("1" * 32, "abcdef0123456789" * 2)))
    valid = valid_fields(world, call_sid, status=draw(st.sampled_from(("in-progress", "completed"))),
                         digits=draw(st.sampled_from(("1", "2", "3", "", "#", world.report_key))),
                         recording=draw(st.sampled_from(("completed", "absent", "failed"))),
                         to=draw(st.sampled_from((RAYTOWN_NUMBER, GRANDVIEW_NUMBER, SHARED_NUMBER))))
    parts = draw_parts(draw, FIELDS, valid) + caller_parts()
    encoding = draw(st.sampled_from(("urlencoded",) * 6 + ("multipart",) * 2)) if draw(st.integers(0, 5)) < 5 \
        else draw(ENCODING)
    sent_body = body(parts, encoding)
    query, sealed = [], False
    for name in QUERY:
        choice = draw(st.integers(0, 3))
        if choice == 0:
            continue
        if name == "s" and choice > 1:
            value, sealed = draw(sealed_state(world, call_sid, path)).encode(), True
        elif name == "lang" and choice > 1:
            value = draw(st.sampled_from((b"en", b"es")))
        else:
            value = draw(SMALL_HOSTILE_BYTES)
        query.append(f"{name}={quote_from_bytes(value)}")
    url = path + ("?" + "&".join(query) if query else "")
    forged = None if draw(st.integers(0, 9)) < 9 else draw(st.sampled_from(("", "bm90IGEgc2lnbmF0dXJl", "=!")))
    return signed(world, Sent(path, "POST", url, sent_body), sealed=sealed, forged=forged)


def signed(world: VoiceWorld, sent: Sent, *, sealed: bool, forged: str | None = None) -> Sent:
    """``sent`` with Twilio's signature (or the ``forged`` one, "" for none), and whether it is genuine."""
    assert sent.body is not None
    # Bodies over the app's limit are refused before anything reads them: not worth parsing here to sign.
    form = twilio_form(sent.body) if len(sent.body.content) <= world.settings.max_form_bytes else None
    readable = form is not None and all(isinstance(value, str) for _name, value in form.multi_items())
    if forged is None and readable:
        signature = RequestValidator(AUTH_TOKEN).compute_signature(PUBLIC_URL + sent.url, form)
    else:
        signature = forged or ""
    headers = (("X-Twilio-Signature", signature),) if signature else ()
    genuine = bool(signature) and forged is None and (sealed or sent.route == "/voice/call-status")
    return replace(sent, headers=headers, genuine=genuine)


class Failures(logging.Handler):
    """The voice edge turns a handler's exception into the spoken apology and logs its type: collected here."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[dict[str, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        fields = getattr(record, "fields", None)
        if record.getMessage() == "voice webhook failed" and isinstance(fields, dict):
            self.seen.append(fields)


@pytest.fixture
def world(seeded) -> Iterator[VoiceWorld]:
    settings = replace(seeded.settings, public_url=PUBLIC_URL, twilio_account_sid=ACCOUNT_SID,
                       twilio_auth_token=AUTH_TOKEN.encode(), twilio_api_base_url="https://api.twilio.example",
                       phone_shared_number=SHARED_NUMBER, report_key_attempts_per_10_minutes=10**6)
    add_number(seeded.database, "raytown", RAYTOWN_NUMBER)
    add_number(seeded.database, "grandview", GRANDVIEW_NUMBER)
    with TestClient(create_app(settings, seeded.database), base_url="https://testserver",
                    raise_server_exceptions=False) as client:
        yield VoiceWorld(seeded, client, settings)


def test_voice_webhooks_survive_hostile_input(world, database):
    routes = family_routes("voice")
    assert routes and all(method == "POST" for method, _path in routes)
    makers: list[Callable[[st.DrawFn], Sent]] = [
        lambda draw, path=path: draw_webhook(draw, world, path) for _method, path in routes]
    failures = Failures()
    logger = logging.getLogger("hotline.voice")
    logger.addHandler(failures)

    def check(one: Sent) -> list[str]:
        with Snapshot(world.database) as snapshot:
            failures.seen.clear()
            response = send(world.client, one)
            problems = check_answer(response, one.describe())
            problems += [f"{one.describe()}: the handler failed ({seen['error']}) into the apology"
                         for seen in failures.seen if seen.get("error") not in APOLOGY_EXPECTED]
            if not (one.route in STORING and one.genuine and response.status_code == 200):
                problems += [f"{one.describe()}: stored {change}" for change in snapshot.stored_on_refusal()]
        return problems

    @fuzz_settings(15 if database.is_sqlite else 5)
    @given(example(makers))
    def run(sent: list[Sent]) -> None:
        problems = [problem for one in sent for problem in check(one)]
        assert problems == [], "\n".join(problems)

    try:
        run()
        # Then a NUL in every field and in the query, one at a time, signed (tests/hotline/fuzz_support.py).
        problems = []
        for _method, path in routes:
            call_sid = "CA" + "2" * 32
            state = "?s=" + seal_call_state(world.settings.session_key, call_sid, {
                "kind": "report", "case": "1" * 32, "city": "raytown", "category": "safety", "lang": "en",
                "tries": 0, "key": world.report_key, "rk": "AAAA"}, time.time())
            valid = valid_fields(world, call_sid, digits="1")
            for _name, parts in nul_forms(FIELDS, valid):
                problems += check(signed(world, Sent(path, "POST", path + state, body(parts + caller_parts(),
                                                                                      "urlencoded")), sealed=True))
            for url in nul_urls(path, {}):
                problems += check(signed(world, Sent(path, "POST", url, body(valid_parts(FIELDS, valid),
                                                                             "urlencoded")), sealed=False))
        assert problems == [], "\n".join(problems)
    finally:
        logger.removeHandler(failures)


def test_unsigned_and_forged_webhooks_store_nothing(world):
    """Beside the fuzzing: a request Twilio did not sign is refused whatever it carries."""
    for _method, path in family_routes("voice"):
        sent = Sent(path, "POST", path, body([Part(b"CallSid", b"CA" + b"1" * 32), Part(b"Digits", b"1")],
                                             "urlencoded"))
        with Snapshot(world.database) as snapshot:
            response = send(world.client, sent)
            assert response.status_code == 403
            assert snapshot.changes() == {}
