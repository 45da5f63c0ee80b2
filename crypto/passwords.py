"""A reviewer's password, turned once per login into a master key (Argon2id, RFC 9106).

From the master key come (HKDF-SHA256, RFC 5869) a login verifier, which is what the database keeps in place of
a password hash, and one wrapping key per city the reviewer belongs to. One Argon2id derivation per login both
checks the password and unwraps every city key the reviewer holds.
"""

from __future__ import annotations

import hmac
import os
import struct
import unicodedata
from dataclasses import dataclass

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from crypto.errors import MalformedInput, WrongSecret
from crypto.params import KDF_SALT_BYTES, Argon2Cost
from crypto.wrapping import derive_key_argon2id

_RECORD_MAGIC = b"HP1"
_COST = struct.Struct(">IIB")
_VERIFIER_INFO = b"hotline/v1/password-verifier"


@dataclass(frozen=True)
class PasswordRecord:
    """What the database keeps of a password: salt, cost and verifier, never the password or master key."""

    salt: bytes
    cost: Argon2Cost
    verifier: bytes

    def encode(self) -> bytes:
        cost = _COST.pack(self.cost.memory_kib, self.cost.iterations, self.cost.lanes)
        return _RECORD_MAGIC + cost + self.salt + self.verifier

    @classmethod
    def decode(cls, data: bytes) -> PasswordRecord:
        expected = len(_RECORD_MAGIC) + _COST.size + KDF_SALT_BYTES + 32
        if len(data) != expected or not data.startswith(_RECORD_MAGIC):
            raise MalformedInput("not a password record")
        memory_kib, iterations, lanes = _COST.unpack_from(data, len(_RECORD_MAGIC))
        salt_start = len(_RECORD_MAGIC) + _COST.size
        return cls(
            salt=data[salt_start : salt_start + KDF_SALT_BYTES],
            cost=Argon2Cost(memory_kib=memory_kib, iterations=iterations, lanes=lanes),
            verifier=data[salt_start + KDF_SALT_BYTES :],
        )


def _password_bytes(password: str) -> bytes:
    # NFKC so the same password typed on different keyboards (composed or decomposed accents) matches
    # (NIST SP 800-63B section 5.1.1.2).
    return unicodedata.normalize("NFKC", password).encode("utf-8")


def _hkdf(master_key: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(master_key)


def enroll_password(password: str, cost: Argon2Cost) -> tuple[PasswordRecord, bytes]:
    """A new record for ``password`` and the master key it unlocks (to wrap city keys right away)."""
    salt = os.urandom(KDF_SALT_BYTES)
    master_key = derive_key_argon2id(_password_bytes(password), salt, cost)
    return PasswordRecord(salt=salt, cost=cost, verifier=_hkdf(master_key, _VERIFIER_INFO)), master_key


def unlock_with_password(password: str, record: PasswordRecord) -> bytes:
    """The reviewer's master key, or :class:`WrongSecret`."""
    master_key = derive_key_argon2id(_password_bytes(password), record.salt, record.cost)
    if not hmac.compare_digest(_hkdf(master_key, _VERIFIER_INFO), record.verifier):
        raise WrongSecret("wrong password")
    return master_key


def city_key_wrapping_key(master_key: bytes, city_id: int) -> bytes:
    """The key under which this reviewer's copy of one city's private key is wrapped."""
    return _hkdf(master_key, b"hotline/v1/city-key-wrap|city=%d" % city_id)


def totp_wrapping_key(master_key: bytes) -> bytes:
    """The key under which the reviewer's TOTP secret (RFC 6238) is wrapped: a code can only be checked after
    the password was, and a database dump holds no usable TOTP secret."""
    return _hkdf(master_key, b"hotline/v1/totp-wrap")
