"""A reviewer's account key: the one key that unlocks their keys, itself unlocked by their password or a passkey
(docs/design.md#account-keys-and-passkeys).

The account key is 32 random bytes. Everything a reviewer holds is wrapped under keys derived from it
(crypto.passwords.city_key_wrapping_key and totp_wrapping_key, crypto.personal_keys.personal_key_wrapping_key
take it as their input key). The account key itself is stored only wrapped:

- under HKDF-SHA256 of the password's Argon2id master key (info ``hotline/v1/account-key-wrap|password``);
- under HKDF-SHA256 of each PRF-capable passkey's PRF output (WebAuthn PRF extension, the CTAP2 hmac-secret),
  with the reviewer and the credential in the info, so one reviewer's passkey output cannot open another's
  wrapping, nor another credential's.

Neither the PRF output nor the account key is ever stored in clear.
"""

from __future__ import annotations

import base64
import os

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from crypto.errors import MalformedInput
from crypto.wrapping import unwrap_with_key, wrap_under_key

ACCOUNT_KEY_BYTES = 32
PRF_OUTPUT_BYTES = 32  # WebAuthn PRF results are 32 bytes (hmac-secret, CTAP 2.1 section 12.5)


def _hkdf(secret: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(secret)


def new_account_key() -> bytes:
    return os.urandom(ACCOUNT_KEY_BYTES)


def _credential_text(credential_id: bytes) -> str:
    return base64.urlsafe_b64encode(credential_id).decode().rstrip("=")


def _password_binding(reviewer_id: int) -> bytes:
    return b"hotline/v1/account-key|reviewer=%d|password" % reviewer_id


def _passkey_binding(reviewer_id: int, credential_id: bytes) -> bytes:
    return f"hotline/v1/account-key|reviewer={reviewer_id}|passkey={_credential_text(credential_id)}".encode()


def wrap_under_password(account_key: bytes, master_key: bytes, reviewer_id: int) -> bytes:
    return wrap_under_key(account_key, _hkdf(master_key, b"hotline/v1/account-key-wrap|password"),
                          _password_binding(reviewer_id))


def open_with_password(wrapped: bytes, master_key: bytes, reviewer_id: int) -> bytes:
    """The account key; :class:`crypto.errors.WrongSecret` for another password or reviewer."""
    return unwrap_with_key(wrapped, _hkdf(master_key, b"hotline/v1/account-key-wrap|password"),
                           _password_binding(reviewer_id))


def passkey_wrapping_key(prf_output: bytes, reviewer_id: int, credential_id: bytes) -> bytes:
    """HKDF-SHA256 (RFC 5869) of a passkey's PRF output, bound to the reviewer and the credential."""
    if len(prf_output) != PRF_OUTPUT_BYTES:
        raise MalformedInput("a PRF output is 32 bytes")
    info = f"hotline/v1/passkey-prf-wrap|reviewer={reviewer_id}|credential={_credential_text(credential_id)}"
    return _hkdf(prf_output, info.encode())


def wrap_under_passkey(account_key: bytes, prf_output: bytes, reviewer_id: int, credential_id: bytes) -> bytes:
    return wrap_under_key(account_key, passkey_wrapping_key(prf_output, reviewer_id, credential_id),
                          _passkey_binding(reviewer_id, credential_id))


def open_with_passkey(wrapped: bytes, prf_output: bytes, reviewer_id: int, credential_id: bytes) -> bytes:
    """The account key; :class:`crypto.errors.WrongSecret` for another passkey, credential or reviewer."""
    return unwrap_with_key(wrapped, passkey_wrapping_key(prf_output, reviewer_id, credential_id),
                           _passkey_binding(reviewer_id, credential_id))
