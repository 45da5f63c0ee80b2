"""Time-based one-time passwords (RFC 6238) for reviewers, with pyotp.

The secret is wrapped under a key derived from the reviewer's password (crypto.passwords.totp_wrapping_key),
so a code is only checked after the password was, and neither a database dump nor the server's secrets give
the secret away. A code is accepted for the current 30-second step or one step either side (RFC 6238 section
5.2, clock drift), and never for a step at or before the last one accepted, so a code seen over a shoulder or
in a proxy log cannot be used again (RFC 6238 section 5.2: "the verifier MUST NOT accept the second attempt").
"""

from __future__ import annotations

import base64
from datetime import datetime

import pyotp
import segno

from crypto.passwords import totp_wrapping_key
from crypto.wrapping import unwrap_with_key, wrap_under_key

ISSUER = "City Employee Hotline"
TOTP_STEP_SECONDS = 30
ACCEPTED_DRIFT_STEPS = 1
SECRET_BYTES = 20  # 160 bits, the HMAC-SHA1 key length RFC 4226 section 4 recommends


def new_secret() -> bytes:
    return base64.b32decode(pyotp.random_base32(32))[:SECRET_BYTES]


def secret_text(secret: bytes) -> str:
    """The secret as an authenticator app takes it when typed in (RFC 4648 base32, no padding)."""
    return base64.b32encode(secret).decode("ascii").rstrip("=")


def _binding(reviewer_id: int) -> bytes:
    return b"hotline/v1/totp-secret|reviewer=%d" % reviewer_id


def wrap_secret(secret: bytes, account_key: bytes, reviewer_id: int) -> bytes:
    return wrap_under_key(secret, totp_wrapping_key(account_key), _binding(reviewer_id))


def unwrap_secret(wrapped: bytes, account_key: bytes, reviewer_id: int) -> bytes:
    return unwrap_with_key(wrapped, totp_wrapping_key(account_key), _binding(reviewer_id))


def _totp(secret: bytes) -> pyotp.TOTP:
    return pyotp.TOTP(secret_text(secret), interval=TOTP_STEP_SECONDS)


def step_at(when: datetime) -> int:
    return int(when.timestamp()) // TOTP_STEP_SECONDS


def code_for_step(secret: bytes, step: int) -> str:
    return _totp(secret).generate_otp(step)


def matching_step(secret: bytes, code: str, when: datetime, last_step: int) -> int | None:
    """The time step ``code`` belongs to, if it is within the accepted drift and later than ``last_step``."""
    code = "".join(code.split())
    if len(code) != 6 or not code.isascii() or not code.isdigit():
        return None
    now_step = step_at(when)
    for step in range(now_step - ACCEPTED_DRIFT_STEPS, now_step + ACCEPTED_DRIFT_STEPS + 1):
        if step > last_step and pyotp.utils.strings_equal(code_for_step(secret, step), code):
            return step
    return None


def provisioning_uri(secret: bytes, account: str) -> str:
    """The otpauth:// URI an authenticator app reads from the QR code (Google Authenticator key URI format)."""
    return _totp(secret).provisioning_uri(name=account, issuer_name=ISSUER)


def qr_svg(secret: bytes, account: str, title: str) -> str:
    """The provisioning URI as an inline SVG QR code (segno), with a title for screen readers."""
    qr = segno.make(provisioning_uri(secret, account), error="m")
    svg: str = qr.svg_inline(scale=5, title=title, dark="#1b1f23", light="#ffffff")
    return svg
