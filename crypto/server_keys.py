"""Keys the server derives from its pepper (configuration, never the database), and small records sealed under
them, so a dump without the configuration's secrets cannot read them (docs/design.md#routing-and-conflict-of-interest).

A record is padded like any sealed item (crypto.padding) and wrapped with AES-256-GCM under the derived key, with
associated data naming what it is and whose, so a record moved to another row fails to open.
"""

from __future__ import annotations

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from crypto.sealing import pad, unpad
from crypto.wrapping import unwrap_with_key, wrap_under_key


def routing_key(pepper: bytes) -> bytes:
    """The key of each city's sealed routing exceptions (HKDF-SHA256 of the pepper, RFC 5869)."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"hotline/v1/routing-seal").derive(pepper)


def seal_record(key: bytes, plaintext: bytes, binding: bytes) -> bytes:
    return wrap_under_key(pad(plaintext), key, binding)


def open_record(key: bytes, sealed: bytes, binding: bytes) -> bytes:
    """The record's plaintext; crypto.errors.WrongSecret under another key or binding."""
    return unpad(unwrap_with_key(sealed, key, binding))
