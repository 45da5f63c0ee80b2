"""The call simulator of ``hotline demo`` (docs/phone.md#trying-it-without-twilio): a page that places a call
through the real ``/voice/`` routes, each request signed with the twilio library's RequestValidator exactly as
Twilio signs it, shows every prompt as text, takes key presses, and takes a WAV file (or, with JavaScript, the
microphone) as the recording, which the demo's local stand-in for Twilio (hotline.bench.fake_twilio) serves to the
recording job. When the call ends the worker runs, so the reviewer sees the case, its disguised audio and its
transcript at once.

Served only by ``hotline demo``, which hands ``create_app`` that stand-in: a production start has none, and every
``/demo/`` address is not-found there (tests/hotline/web/test_demo_phone.py). Works without JavaScript.
"""

from __future__ import annotations

import io
import wave
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urlsplit

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute
from twilio.request_validator import RequestValidator

from hotline.access import public_route
from hotline.bench.fake_twilio import FakeTwilio
from hotline.rendering import render
from hotline.state import app_state
from hotline.worker import job_handlers
from intake.errors import NotFound
from intake.operations.jobs import run_one
from intake.phone.lines import list_numbers

# A number no real caller has (NANP fictional range), sent as Twilio sends a caller's: the app drops it at once.
DEMO_CALLER = "+18165550199"
MAX_WAV_BYTES = 20 * 1024 * 1024
MAX_FOLLOWED_REDIRECTS = 5
# The page may use a script (the microphone) and the microphone: the only page that does.
PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
                               "media-src 'self' blob:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "Permissions-Policy": "camera=(), microphone=(self), geolocation=(), payment=(), usb=(), interest-cohort=()",
}


@dataclass
class Step:
    """What the phone said and what it waits for next."""

    said: list[str] = field(default_factory=list)
    gather: str = ""  # the action URL of a <Gather>
    record: str = ""  # the action URL of a <Record>
    record_status: str = ""
    redirect: str = ""
    hung_up: bool = False


def _fake(request: Request) -> FakeTwilio:
    fake = app_state(request).demo_twilio
    if fake is None or not app_state(request).settings.demo:
        raise NotFound("no simulator here")
    return fake


def _path(request: Request, url: str) -> str:
    """An action URL from our own TwiML as a path under /voice/; anything else is refused."""
    base = app_state(request).settings.public_url.rstrip("/")
    if not url.startswith(base + "/voice/"):
        raise NotFound("not a voice address of this app")
    return url[len(base):]


async def _voice(request: Request, path: str, params: dict[str, str]) -> Step:
    """POST ``params`` to ``path`` (a /voice/ address) through the whole app, signed as Twilio signs."""
    settings = app_state(request).settings
    url = settings.public_url.rstrip("/") + path
    signature = RequestValidator(settings.twilio_auth_token.decode()).compute_signature(url, params)
    parts = urlsplit(path)
    body = urlencode(params).encode()
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
        "path": parts.path, "raw_path": parts.path.encode(), "query_string": parts.query.encode(), "root_path": "",
        "headers": [(b"host", b"demo"), (b"content-type", b"application/x-www-form-urlencoded"),
                    (b"content-length", str(len(body)).encode()), (b"x-twilio-signature", signature.encode())],
        "client": None, "server": None, "app": request.app,
    }
    sent = {"body": False}
    answer = bytearray()

    async def receive() -> dict[str, Any]:
        if sent["body"]:
            return {"type": "http.disconnect"}
        sent["body"] = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.body":
            answer.extend(message.get("body", b""))

    await request.app(scope, receive, send)
    return _step(bytes(answer))


def _step(twiml: bytes) -> Step:
    step = Step()
    try:
        root = ET.fromstring(twiml)  # noqa: S314 (see the import)
    except ET.ParseError:
        step.said.append("(the hotline did not answer)")
        step.hung_up = True
        return step
    for node in root.iter():
        if node.tag == "Say" and node.text:
            step.said.append(node.text)
        elif node.tag == "Gather" and not step.gather:
            step.gather = node.attrib.get("action", "")
        elif node.tag == "Record" and not step.record:
            step.record = node.attrib.get("action", "")
            step.record_status = node.attrib.get("recordingStatusCallback", "")
        elif node.tag == "Redirect" and node.text:
            step.redirect = node.text
        elif node.tag == "Hangup":
            step.hung_up = True
    return step


def _call_params(call_sid: str, to: str, **extra: str) -> dict[str, str]:
    return {"AccountSid": "", "CallSid": call_sid, "To": to, "From": DEMO_CALLER, "Direction": "inbound",
            "CallStatus": "in-progress", **extra}


async def _answer(request: Request, call_sid: str, to: str, step: Step, said: list[str]) -> Response:
    """Render the call as it stands; at its end, end it at the stand-in and run the worker."""
    said = [*said, *step.said]
    hops = 0
    # A <Gather> waits for keys even when a <Hangup> follows it (reached only without keys, which this page
    # never sends): the call ends when nothing is waited for.
    while not (step.gather or step.record or step.hung_up) and step.redirect and hops < MAX_FOLLOWED_REDIRECTS:
        step = await _voice(request, _path(request, step.redirect), _params(request, call_sid, to))
        said += step.said
        hops += 1
    ended = not (step.gather or step.record)
    jobs_run = 0
    if ended:
        fake = _fake(request)
        fake.end_call(call_sid)
        await _voice(request, "/voice/call-status", _params(request, call_sid, to, CallStatus="completed"))
        jobs_run = await run_in_threadpool(_run_worker, request)
    return render(request, "demo/phone.html", {
        "numbers": await run_in_threadpool(list_numbers, app_state(request).database), "call_sid": call_sid,
        "to": to, "said": said, "step": step, "ended": ended, "jobs_run": jobs_run,
    }, headers=PAGE_HEADERS)


def _params(request: Request, call_sid: str, to: str, **extra: str) -> dict[str, str]:
    return {**_call_params(call_sid, to, **extra), "AccountSid": app_state(request).settings.twilio_account_sid}


def _run_worker(request: Request) -> int:
    state = app_state(request)
    handlers = job_handlers(state.settings, state.database)
    ran = 0
    while ran < 100 and run_one(state.database, handlers):
        ran += 1
    return ran


async def page(request: Request) -> Response:
    _fake(request)
    numbers = await run_in_threadpool(list_numbers, app_state(request).database)
    return render(request, "demo/phone.html", {"numbers": numbers, "said": [], "step": None, "ended": False},
                  headers=PAGE_HEADERS)


async def call(request: Request) -> Response:
    fake = _fake(request)
    form = await request.form()
    to = str(form.get("to", ""))
    if to not in {line.number for line in await run_in_threadpool(list_numbers, app_state(request).database)}:
        raise NotFound("not a demo number")
    call_sid = fake.new_call()
    step = await _voice(request, "/voice/incoming", _params(request, call_sid, to))
    return await _answer(request, call_sid, to, step, [])


def _call_fields(form: Any) -> tuple[str, str, str]:
    call_sid, to, action = (str(form.get(name, ""))[:2000] for name in ("call_sid", "to", "action"))
    if not (call_sid.startswith("CA") and len(call_sid) == 34):
        raise NotFound("not a call of this simulator")
    return call_sid, to, action


async def press(request: Request) -> Response:
    _fake(request)
    form = await request.form()
    call_sid, to, action = _call_fields(form)
    digits = "".join(ch for ch in str(form.get("digits", ""))[:40] if ch in "0123456789*#")
    # Twilio stops at the finish key and does not send it.
    digits = digits.split("#", 1)[0] if digits != "#" else digits
    step = await _voice(request, _path(request, action), _params(request, call_sid, to, Digits=digits))
    return await _answer(request, call_sid, to, step, [f"(you pressed {digits or 'nothing'})"])


def wav_seconds(data: bytes) -> int | None:
    try:
        with wave.open(io.BytesIO(data)) as reader:
            return max(1, round(reader.getnframes() / max(reader.getframerate(), 1)))
    except (wave.Error, EOFError):
        return None


async def record(request: Request) -> Response:
    fake = _fake(request)
    form = await request.form(max_part_size=MAX_WAV_BYTES)
    call_sid, to, action = _call_fields(form)
    status_url = str(form.get("status_action", ""))
    upload = form.get("recording")
    data = await upload.read(MAX_WAV_BYTES + 1) if isinstance(upload, UploadFile) else b""
    seconds = wav_seconds(data) if len(data) <= MAX_WAV_BYTES else None
    if seconds is None:
        step = Step(gather="", record=action, record_status=status_url,
                    said=["(that file is not a WAV recording: choose a .wav file of 20 MB at most)"])
        return await _answer(request, call_sid, to, step, [])
    recording_sid = fake.add_recording(call_sid, data)
    url = fake.recording_url(recording_sid)
    recording = {"RecordingSid": recording_sid, "RecordingUrl": url, "RecordingDuration": str(seconds)}
    step = await _voice(request, _path(request, action), _params(request, call_sid, to, Digits="#", **recording))
    await _voice(request, _path(request, status_url),
                 _params(request, call_sid, to, RecordingStatus="completed", **recording))
    return await _answer(request, call_sid, to, step, [f"(you recorded {seconds} s)"])


def demo_routes() -> list[BaseRoute]:
    return [
        public_route("/demo/phone", page),
        public_route("/demo/phone/call", call, methods=["POST"]),
        public_route("/demo/phone/press", press, methods=["POST"]),
        public_route("/demo/phone/record", record, methods=["POST"]),
    ]
