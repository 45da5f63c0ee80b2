"""Twilio's REST API, for the three things the recording pipeline does there: fetch a recording's
audio, delete the recording, delete the call record (which holds the caller's number).

The official ``twilio`` client makes the deletions, pointed at ``HOTLINE_TWILIO_API_BASE_URL`` so the tests can
run it against a local stand-in. The audio is fetched through the same client's HTTP session and credentials
(Twilio's media URLs need HTTP basic auth when "Enforce HTTP Auth on Media URLs" is on, as docs/phone.md asks),
because the client's own request method decodes every body as text. The client's request log, and urllib3's
debug log under it, are silenced: they would print call SIDs.
"""

from __future__ import annotations

import logging
import re
from urllib.parse import urlsplit

import requests
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from hotline.settings import Settings

RECORDING_SID = re.compile(r"^RE[0-9a-f]{32}$")
CALL_SID = re.compile(r"^CA[0-9a-f]{32}$")
# Four hours of 8 kHz 16-bit mono (Twilio's longest recording) is 230 MB; anything larger is not ours.
MAX_RECORDING_BYTES = 256 * 1024 * 1024
_QUIET = logging.Logger("hotline.voice.twilio-http", level=logging.CRITICAL)  # not attached to any handler


class TwilioUnavailable(Exception):
    """Twilio did not do what was asked (a 5xx, an unexpected status, a short body); worth retrying later."""


def recording_url(settings: Settings, recording_sid: str) -> str:
    base = settings.twilio_api_base_url.rstrip("/")
    return f"{base}/2010-04-01/Accounts/{settings.twilio_account_sid}/Recordings/{recording_sid}"


def is_recording_url(settings: Settings, url: str, recording_sid: str) -> bool:
    """Whether ``url`` is this account's URL for that recording at the configured API (with or without a media
    extension). Anything else is refused, and in any case never fetched: the pipeline builds the URL itself."""
    expected = recording_url(settings, recording_sid)
    return url in (expected, expected + ".wav", expected + ".mp3")


class TwilioRest:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.timeout = settings.twilio_api_timeout_ms / 1000
        self.base_url = settings.twilio_api_base_url.rstrip("/")
        http = TwilioHttpClient(timeout=self.timeout, logger=_QUIET)
        self.client = Client(settings.twilio_account_sid, settings.twilio_auth_token.decode("utf-8"),
                             http_client=http)
        self.client.api.base_url = self.base_url
        self._session = http.session or requests.Session()
        # urllib3 logs each request line, call SIDs included, at DEBUG: never, whatever HOTLINE_LOG_LEVEL says.
        urllib3_log = logging.getLogger("urllib3.connectionpool")
        if urllib3_log.level < logging.INFO:
            urllib3_log.setLevel(logging.INFO)

    def fetch_wav(self, recording_sid: str) -> bytes:
        if not RECORDING_SID.match(recording_sid):
            raise ValueError("not a recording SID")
        # Redirects are followed (Twilio may hand the file out from storage elsewhere); requests drops the
        # credentials when a redirect leaves the host, and a redirect to plain HTTP is refused.
        with self._session.get(recording_url(self.settings, recording_sid) + ".wav", auth=self.client.auth,
                               timeout=self.timeout, stream=True, allow_redirects=True) as response:
            if response.history and urlsplit(response.url).scheme != "https":
                raise TwilioUnavailable("the recording was redirected away from HTTPS")
            if response.status_code != 200:
                raise TwilioUnavailable(f"fetching a recording answered {response.status_code}")
            body = bytearray()
            for piece in response.iter_content(64 * 1024):
                body += piece
                if len(body) > MAX_RECORDING_BYTES:
                    raise TwilioUnavailable("the recording is larger than any call could make")
            expected = response.headers.get("content-length")
            if expected is not None and expected.isdigit() and int(expected) != len(body):
                raise TwilioUnavailable("the recording arrived short")
        return bytes(body)

    def delete_recording(self, recording_sid: str) -> None:
        """Delete it; already gone (404) counts as done."""
        if not RECORDING_SID.match(recording_sid):
            raise ValueError("not a recording SID")
        try:
            self.client.recordings(recording_sid).delete()
        except TwilioRestException as error:
            if error.status != 404:
                raise TwilioUnavailable(f"deleting a recording answered {error.status}") from None

    def delete_call(self, call_sid: str) -> None:
        """Delete the call record; already gone (404) counts as done. A call still in progress cannot be
        deleted, and is retried later."""
        if not CALL_SID.match(call_sid):
            raise ValueError("not a call SID")
        try:
            self.client.calls(call_sid).delete()
        except TwilioRestException as error:
            if error.status != 404:
                raise TwilioUnavailable(f"deleting a call answered {error.status}") from None
