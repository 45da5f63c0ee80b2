"""What a call carries from one webhook to the next, sealed into the URLs we give Twilio.

Any app instance may answer the next webhook of a call (docs/design.md#operations-and-scale-out), so the state rides
in the action URLs. Twilio logs those URLs next to the caller's number, so anything that could tie a call to a case
(a case id, a report key, the reporter's key) is sealed with AES-256-GCM under a key derived from the session key,
bound to the call's SID and to a time limit. Twilio sees an opaque string; another call cannot reuse it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

# A recording-status callback can come some time after the call ends; a day covers Twilio's delays.
CALL_STATE_MAX_AGE = 24 * 3600
MAX_TOKEN_CHARS = 2000


def _key(session_key: bytes) -> bytes:
    return hmac.new(session_key, b"hotline/v1/voice-call-state", hashlib.sha256).digest()


def _ad(call_sid: str) -> bytes:
    return b"hotline/v1/voice-call-state|call=" + call_sid.encode()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def seal_call_state(session_key: bytes, call_sid: str, state: dict[str, Any], now: float) -> str:
    payload = json.dumps({**state, "until": int(now) + CALL_STATE_MAX_AGE}, separators=(",", ":")).encode()
    nonce = os.urandom(12)
    return _b64(nonce + AESGCM(_key(session_key)).encrypt(nonce, payload, _ad(call_sid)))


def open_call_state(session_key: bytes, call_sid: str, token: str, now: float) -> dict[str, Any] | None:
    """The state sealed for this call, or None when the token is forged, altered, from another call or old."""
    if not token or len(token) > MAX_TOKEN_CHARS:
        return None
    try:
        raw = _unb64(token)
        data = json.loads(AESGCM(_key(session_key)).decrypt(raw[:12], raw[12:], _ad(call_sid)))
    except (binascii.Error, ValueError, InvalidTag):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("until"), int) or now > data["until"]:
        return None
    return data
