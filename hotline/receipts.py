"""The receipt of a report: the key shown again in another language, or as a plain-text download.

The confirmation page must not put the key in a URL (it would land in history and logs), so its language link
and its download are small forms that post a *receipt token*: the key and city name sealed (AES-256-GCM) under a
key derived from the session key, valid for an hour, like the reporter access token (hotline.form_tokens).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
from dataclasses import dataclass
from datetime import date

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

RECEIPT_MAX_AGE = 3600
_AD = b"hotline/v1/receipt"


@dataclass(frozen=True)
class Receipt:
    report_key: str
    city_name: str
    # (file name, whether its metadata was removed) for each file sent.
    files: tuple[tuple[str, bool], ...] = ()
    # What happens next: the days by which the reporter is acknowledged and given feedback
    # (docs/design.md#case-handling), and whether they said someone is in danger now.
    acknowledge_by: date | None = None
    feedback_by: date | None = None
    urgent: bool = False


def _key(session_key: bytes) -> bytes:
    return hmac.new(session_key, b"hotline/v1/form-token|receipt", hashlib.sha256).digest()


def seal_receipt(session_key: bytes, receipt: Receipt, now: float) -> str:
    payload = json.dumps({"key": receipt.report_key, "city": receipt.city_name, "files": receipt.files,
                          "ack": receipt.acknowledge_by.isoformat() if receipt.acknowledge_by else None,
                          "feedback": receipt.feedback_by.isoformat() if receipt.feedback_by else None,
                          "urgent": receipt.urgent, "until": int(now) + RECEIPT_MAX_AGE}, ensure_ascii=False).encode()
    nonce = os.urandom(12)
    return base64.urlsafe_b64encode(nonce + AESGCM(_key(session_key)).encrypt(nonce, payload, _AD)).decode()


def open_receipt(session_key: bytes, token: str, now: float) -> Receipt | None:
    if len(token) > 20_000:
        return None
    try:
        raw = base64.urlsafe_b64decode(token)
        data = json.loads(AESGCM(_key(session_key)).decrypt(raw[:12], raw[12:], _AD))
        if now > data["until"]:
            return None
        return Receipt(str(data["key"]), str(data["city"]), tuple((str(n), bool(c)) for n, c in data["files"]),
                       _day(data.get("ack")), _day(data.get("feedback")), bool(data.get("urgent")))
    except (binascii.Error, ValueError, InvalidTag, KeyError, TypeError):
        return None


def _day(text: object) -> date | None:
    return date.fromisoformat(text) if isinstance(text, str) else None
