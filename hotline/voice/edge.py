"""The edge of the phone side: the only code that sees a Twilio request as Twilio sent it.

Every ``/voice/`` request passes through :func:`twilio_webhook`, which

1. checks the ``X-Twilio-Signature`` with the twilio library's ``RequestValidator`` against the URL Twilio
   requested: the configured public URL plus the path and query, never the Host header or scheme this process
   saw, which a reverse proxy rewrites (Twilio, "Webhooks security"). Bad or missing: 403, nothing runs;
2. keeps only the fields in :data:`KEPT_FIELDS`. ``From``, ``Caller``, ``FromCity``, ``FromState``, ``FromZip``,
   ``FromCountry``, ``CallerCity``, ``CallerState``, ``CallerZip``, ``CallerCountry``, ``CallerName``, and any
   field Twilio adds later, are dropped here (an allow-list), so no handler, log line, job or row can hold them
   (docs/design.md#threat-model-and-anonymity-rules, rule 1). The caller's number becomes, at once, the throttle's
   hourly keyed hash held in memory, as a web client's address does in hotline.client_address;
3. turns any failure of a handler into a spoken apology: Twilio reads "an application error has occurred" to a
   caller on a 500, and a caller reporting fraud should not hear that.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from twilio.request_validator import RequestValidator
from twilio.twiml.voice_response import VoiceResponse

from hotline.settings import Settings
from hotline.state import AppState, app_state
from hotline.throttle import Throttle
from intake.config import IntakeConfig
from intake.db import Database

logger = logging.getLogger("hotline.voice")

# What a handler may know of a request. Everything else Twilio sends is dropped here.
KEPT_FIELDS = frozenset({
    "AccountSid", "CallSid", "CallStatus", "Digits", "RecordingDuration", "RecordingSid", "RecordingStatus",
    "RecordingUrl", "To",
})
MAX_FIELD_CHARS = 512
E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")
# Numbers carriers send when the caller withheld theirs ("anonymous", "+266696687" = ANONYMOUS, ...).
WITHHELD_NUMBERS = frozenset({"+266696687", "+7378742833", "+2562533", "+8656696", "+86282452253"})


@dataclass(frozen=True)
class VoiceCall:
    """One verified webhook request, without anything about the caller."""

    fields: Mapping[str, str]
    query: Mapping[str, str]
    # The throttle's keyed hash of the caller's number (or of the call, when the number was withheld).
    caller_tag: bytes
    state: AppState
    # When the number was withheld: the keyed hash of the number called, which every such call to it shares.
    withheld_tag: bytes | None = None

    def field(self, name: str) -> str:
        return self.fields.get(name, "")

    def arg(self, name: str) -> str:
        return self.query.get(name, "")

    @property
    def call_sid(self) -> str:
        return self.fields.get("CallSid", "")

    @property
    def settings(self) -> Settings:
        return self.state.settings

    @property
    def database(self) -> Database:
        return self.state.database

    @property
    def config(self) -> IntakeConfig:
        return self.state.config


def requested_url(public_url: str, request: Request) -> str:
    """The URL Twilio requested and signed: the public base, then the path and query exactly as received."""
    raw_path = request.scope.get("raw_path")
    path = raw_path.decode("latin-1") if isinstance(raw_path, bytes) else request.url.path
    query = request.scope.get("query_string", b"").decode("latin-1")
    return public_url.rstrip("/") + path + ("?" + query if query else "")


def _withheld(form: FormData) -> bool:
    number = form.get("From") or form.get("Caller") or ""
    return not (isinstance(number, str) and E164.match(number) and number not in WITHHELD_NUMBERS)


def _caller_tag(throttle: Throttle, form: FormData) -> bytes:
    number = form.get("From") or form.get("Caller") or ""
    if not _withheld(form) and isinstance(number, str):
        return throttle.tag("tel:" + number)
    # A withheld number cannot be told apart from other withheld numbers: count the call alone, and (below) all
    # withheld calls to the number called together.
    call = form.get("CallSid") or ""
    return throttle.tag("call:" + (call if isinstance(call, str) else ""))


def _withheld_tag(throttle: Throttle, form: FormData) -> bytes | None:
    called = form.get("To") or ""
    return throttle.tag("to:" + (called if isinstance(called, str) else "")) if _withheld(form) else None


async def verified_call(request: Request) -> VoiceCall | None:
    """The request's kept fields if Twilio signed it for our URL; None otherwise."""
    state = app_state(request)
    settings = state.settings
    signature = request.headers.get("x-twilio-signature", "")
    if not settings.phone_enabled or not signature or request.method != "POST":
        return None
    try:
        form = await request.form()
    except Exception:  # a body that is not a form cannot be a Twilio webhook
        return None
    if any(not isinstance(value, str) for _, value in form.multi_items()):
        return None
    validator = RequestValidator(settings.twilio_auth_token.decode("utf-8"))
    if not validator.validate(requested_url(settings.public_url, request), form, signature):
        return None
    fields = {name: value[:MAX_FIELD_CHARS] for name, value in form.items()
              if name in KEPT_FIELDS and isinstance(value, str)}
    return VoiceCall(fields=fields, query=dict(request.query_params), caller_tag=_caller_tag(
        state.report_key_throttle, form), state=state, withheld_tag=_withheld_tag(state.withheld_caller_throttle,
                                                                                     form))


def twiml(response: VoiceResponse) -> Response:
    return Response(str(response), media_type="application/xml")


VoiceHandler = Callable[[VoiceCall], Awaitable[Response]]


def twilio_webhook(handler: VoiceHandler, *, on_error: Callable[[VoiceCall], VoiceResponse]) -> Callable[
        [Request], Awaitable[Response]]:
    """A Starlette endpoint that verifies and strips the request, then runs ``handler`` with what is left."""

    @functools.wraps(handler)
    async def endpoint(request: Request) -> Response:
        call = await verified_call(request)
        if call is None:
            return Response("Forbidden", status_code=403, media_type="text/plain")
        try:
            return await handler(call)
        except Exception as error:
            # The type only: messages can quote what a caller keyed or the reply being read.
            logger.error("voice webhook failed", extra={"fields": {"route": handler.__name__,
                                                                   "error": type(error).__name__}})
            return twiml(on_error(call))

    return endpoint
