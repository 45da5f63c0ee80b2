"""A city's recovery key: 256 random bits shown once at city creation (and at each key rotation that replaces
it), kept offline by the city.

It is written in RFC 4648 base32 (letters and digits a person can read aloud or type from paper), in groups
of four. The key itself is never stored; the city private key is wrapped under HKDF-SHA256 of it. A key with 256
random bits needs no Argon2id: there is nothing to guess, so no cost to raise.
"""

from __future__ import annotations

import base64
import binascii
import os

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from crypto.errors import WrongSecret
from crypto.params import RECOVERY_KEY_BYTES

_GROUP = 4


def generate_recovery_key() -> str:
    text = base64.b32encode(os.urandom(RECOVERY_KEY_BYTES)).decode("ascii").rstrip("=")
    return "-".join(text[i : i + _GROUP] for i in range(0, len(text), _GROUP))


def _raw(recovery_key: str) -> bytes:
    compact = "".join(ch for ch in recovery_key.upper() if ch.isalnum())
    try:
        raw = base64.b32decode(compact + "=" * (-len(compact) % 8))
    except (binascii.Error, ValueError):
        raise WrongSecret("that is not a recovery key") from None
    if len(raw) != RECOVERY_KEY_BYTES:
        raise WrongSecret("that is not a recovery key")
    return raw


def recovery_wrapping_key(recovery_key: str) -> bytes:
    """The 256-bit wrapping key for a recovery key as typed; :class:`WrongSecret` if it cannot be one."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                info=b"hotline/v1/recovery-wrap").derive(_raw(recovery_key))


def recovery_key_check(recovery_key: str) -> bytes:
    """A value that recognises a recovery key a rotation replaced, so it can be refused by name (HKDF-SHA256 under
    its own info, independent of the wrapping key; with 256 random bits behind it, it cannot be guessed back).
    :class:`WrongSecret` if the text cannot be a recovery key."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                info=b"hotline/v1/recovery-check").derive(_raw(recovery_key))
