"""Invitation codes: how a city key reaches a person an admin invited, before that person has an account
(docs/design.md#joining-a-city-by-invitation).

The code is 100 random bits, written as 20 Crockford base32 characters in groups of four, handed over in person.
The database finds an invitation by HMAC-SHA256 of the code under the pepper; the inviting admin's copy of the
city private key is wrapped under HKDF-SHA256 of the code, bound to the invitation and city, so neither a dump nor
the server's secrets alone open it.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from crypto.wrapping import unwrap_with_key, wrap_under_key

CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32: no I, L, O or U
CODE_CHARS = 20  # 100 bits
CODE_GROUP = 4
# Crockford's reading rules: letters easily confused with digits read as those digits.
_READ_AS = str.maketrans({"I": "1", "L": "1", "O": "0"})


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_CHARS))


def format_code(code: str) -> str:
    return "-".join(code[i:i + CODE_GROUP] for i in range(0, len(code), CODE_GROUP))


def parse_code(text: str) -> str | None:
    """The code as typed, ignoring case, spaces and hyphens; None when it cannot be one."""
    compact = "".join(ch for ch in text.upper() if ch not in " -\t").translate(_READ_AS)
    if len(compact) != CODE_CHARS or any(ch not in CODE_ALPHABET for ch in compact):
        return None
    return compact


def code_lookup(pepper: bytes, code: str) -> bytes:
    return hmac.new(pepper, b"hotline/v1/invitation-code|" + code.encode("ascii"), hashlib.sha256).digest()


def _binding(invitation_id: str, city_id: int) -> bytes:
    return f"hotline/v1/invitation-city-key|invitation={invitation_id}|city={city_id}".encode()


def _wrapping_key(code: str) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                info=b"hotline/v1/invitation-wrap").derive(code.encode("ascii"))


def wrap_for_invitation(city_private_key: bytes, code: str, *, invitation_id: str, city_id: int) -> bytes:
    return wrap_under_key(city_private_key, _wrapping_key(code), _binding(invitation_id, city_id))


def open_with_invitation(wrapped: bytes, code: str, *, invitation_id: str, city_id: int) -> bytes:
    """The city private key; :class:`crypto.errors.WrongSecret` for another code, invitation or city."""
    return unwrap_with_key(wrapped, _wrapping_key(code), _binding(invitation_id, city_id))
