"""Tokens carried in hidden form fields, so no reporter ever needs a cookie
(docs/design.md#threat-model-and-anonymity-rules, rule 1).

- A *public form token* guards forms shown before anyone is known (report, follow-up, sign-in): it is a time
  and an HMAC-SHA256 of it under the app's session key, so a form must have been served by us recently.
- A *reporter access token* is what a correct report key unlocks, sealed (AES-256-GCM) under a key derived
  from the session key and valid for an hour: it lets the follow-up page take a message without asking for
  the key again, keeps no state on the server, and doubles as that form's CSRF token.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
from enum import Enum

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from intake.reports.submission import ReporterAccess

PUBLIC_FORM_MAX_AGE = 24 * 3600  # a report may take a long time to write; an expired form keeps its text
REPORTER_ACCESS_MAX_AGE = 3600


class TokenCheck(Enum):
    VALID = "valid"
    EXPIRED = "expired"
    INVALID = "invalid"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _derive(session_key: bytes, purpose: bytes) -> bytes:
    return hmac.new(session_key, b"hotline/v1/form-token|" + purpose, hashlib.sha256).digest()


def issue_public_form_token(session_key: bytes, now: float) -> str:
    issued = str(int(now))
    mac = hmac.new(_derive(session_key, b"public"), issued.encode(), hashlib.sha256).digest()[:18]
    return f"{issued}.{_b64(mac)}"


def check_public_form_token(session_key: bytes, token: str, now: float) -> TokenCheck:
    issued, _, mac = token.partition(".")
    if not issued.isascii() or not issued.isdigit() or len(issued) > 12 or len(mac) > 40:
        return TokenCheck.INVALID
    expected = _b64(hmac.new(_derive(session_key, b"public"), issued.encode(), hashlib.sha256).digest()[:18])
    # Compared as bytes: compare_digest raises TypeError on a str with non-ASCII characters.
    if not hmac.compare_digest(expected.encode(), mac.encode(errors="replace")):
        return TokenCheck.INVALID
    age = now - int(issued)
    if age < -300:
        return TokenCheck.INVALID
    return TokenCheck.EXPIRED if age > PUBLIC_FORM_MAX_AGE else TokenCheck.VALID


def seal_reporter_access(session_key: bytes, access: ReporterAccess, now: float) -> str:
    payload = json.dumps({"case": access.case_id, "key": _b64(access.reporter_private_key),
                          "until": int(now) + REPORTER_ACCESS_MAX_AGE}).encode()
    nonce = os.urandom(12)
    return _b64(nonce + AESGCM(_derive(session_key, b"reporter-access")).encrypt(nonce, payload, b"reporter-access"))


def open_reporter_access(session_key: bytes, token: str, now: float) -> ReporterAccess | None:
    """The access the token was sealed with, or None when it is forged, altered or over an hour old."""
    if len(token) > 1000:
        return None
    try:
        raw = _unb64(token)
        payload = AESGCM(_derive(session_key, b"reporter-access")).decrypt(raw[:12], raw[12:], b"reporter-access")
        data = json.loads(payload)
        if now > data["until"]:
            return None
        return ReporterAccess(case_id=data["case"], reporter_private_key=_unb64(data["key"]))
    except (binascii.Error, ValueError, InvalidTag, KeyError, TypeError):
        return None
