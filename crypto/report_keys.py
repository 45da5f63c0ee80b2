"""Report keys: what a reporter writes down to come back, by web or by phone keypad.

- A report key is REPORT_KEY_DIGITS random decimal digits, made on the server with ``secrets``.
- The database finds a case by HMAC-SHA256 (RFC 2104) of the key under the server's pepper, which lives in
  configuration and never in the database: a dump alone cannot test guesses.
- The reporter's own HPKE key pair is wrapped under Argon2id of the key (docs/design.md#report-keys), so only the
  reporter can read back what was sealed to them.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from crypto import hpke_keys
from crypto.params import REPORT_KEY_DIGITS, REPORT_KEY_GROUP, Argon2Cost
from crypto.wrapping import passphrase_blob_cost, unwrap_with_passphrase, wrap_under_passphrase

_LOOKUP_DOMAIN = b"hotline/v1/report-key-lookup|"


def generate_report_key() -> str:
    # One uniform draw below 10**digits, written with its leading zeros: the same distribution as a draw per digit
    # (every string of digits equally likely), from one call to the system's generator instead of twenty.
    return str(secrets.randbelow(10**REPORT_KEY_DIGITS)).zfill(REPORT_KEY_DIGITS)


def format_report_key(report_key: str) -> str:
    """Digit groups for reading, writing down and saying aloud: ``1234 5678 9012 3456 7890``."""
    return " ".join(report_key[i : i + REPORT_KEY_GROUP] for i in range(0, len(report_key), REPORT_KEY_GROUP))


def parse_report_key(text: str) -> str | None:
    """The key as typed, with spaces and dashes removed; ``None`` when it cannot be a report key.

    Callers answer ``None`` exactly as they answer a wrong key, so a malformed key teaches a guesser nothing.
    """
    compact = "".join(ch for ch in text if ch not in " -\t")
    if len(compact) != REPORT_KEY_DIGITS or not compact.isascii() or not compact.isdigit():
        return None
    return compact


def report_key_lookup(pepper: bytes, report_key: str) -> bytes:
    return hmac.new(pepper, _LOOKUP_DOMAIN + report_key.encode("ascii"), hashlib.sha256).digest()


def _binding(case_id: str) -> bytes:
    return b"hotline/v1/reporter-key|case=" + case_id.encode()


def new_reporter_key_pair(report_key: str, case_id: str, cost: Argon2Cost) -> tuple[bytes, bytes]:
    """A fresh reporter key pair: (public key, private key wrapped under Argon2id of the report key)."""
    pair = hpke_keys.generate_key_pair()
    return pair.public_bytes, wrap_reporter_private_key(pair.private_bytes, report_key, case_id, cost)


def wrap_reporter_private_key(private_key: bytes, report_key: str, case_id: str, cost: Argon2Cost) -> bytes:
    """The reporter's private key wrapped under Argon2id of the report key at ``cost`` (a fresh salt each time)."""
    return wrap_under_passphrase(private_key, report_key.encode("ascii"), cost, _binding(case_id))


def reporter_key_cost(wrapped: bytes) -> Argon2Cost:
    """The Argon2id cost a wrapped reporter key was made with (it is in the blob's header)."""
    return passphrase_blob_cost(wrapped)


def unwrap_reporter_private_key(wrapped: bytes, report_key: str, case_id: str) -> bytes:
    """The reporter's private key; :class:`crypto.errors.WrongSecret` for any other key."""
    return unwrap_with_passphrase(wrapped, report_key.encode("ascii"), _binding(case_id))
