"""The per-city audit hash chain and Ed25519 (RFC 8032) signatures of a chain head (docs/design.md#audit-chain-hashing).

Each entry's hash is SHA-256 over a domain tag, the previous entry's hash and the entry's fields in canonical
JSON (sorted keys, no spaces, UTF-8). Changing, removing or reordering any entry changes every hash after it.
A chain head (city, sequence number, hash) signed with Ed25519 lets an outside party prove later that the log
was not rewritten, without trusting the database.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import cast

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

_ENTRY_DOMAIN = b"hotline/v1/audit-entry|"
_GENESIS_DOMAIN = b"hotline/v1/audit-genesis|"
_HEAD_DOMAIN = b"hotline/v1/audit-head|"

AuditValue = str | int | None


def genesis_hash(city_slug: str) -> bytes:
    """The 'previous hash' of a city's first entry."""
    return hashlib.sha256(_GENESIS_DOMAIN + city_slug.encode()).digest()


# One encoder for every entry (it holds no state between calls): json.dumps would build a new one each time,
# which was a fifth of verifying a chain (`hotline bench audit`).
_CANONICAL_JSON = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def canonical_entry_bytes(fields: Mapping[str, AuditValue]) -> bytes:
    return _CANONICAL_JSON.encode(dict(fields)).encode("utf-8")


def chain_hash(previous_hash: bytes, fields: Mapping[str, AuditValue]) -> bytes:
    return hashlib.sha256(_ENTRY_DOMAIN + previous_hash + canonical_entry_bytes(fields)).digest()


# What the encoder above writes for a string (ensure_ascii=False): the same C function, called directly. It raises
# TypeError for anything but a str (or a subclass of it, which the encoder writes alike).
_json_string = cast(Callable[[AuditValue], str], json.encoder.encode_basestring)


def _json_value(value: AuditValue) -> str:
    if value is None:
        return "null"
    if type(value) is str:
        return _json_string(value)
    if type(value) is int:
        return int.__repr__(value)  # as the encoder writes an int
    return _CANONICAL_JSON.encode(value)  # anything else (a bool, a str subclass): exactly as the encoder does


class EntryHasher:
    """:func:`chain_hash` for the seven fields of one city's entries, without building a dictionary per entry.

    The canonical JSON of an entry always has the same keys, so it is written directly in their sorted order
    ("action", "actor", "city", "detail", "recorded_at", "sequence", "subject") with the encoder's own string
    escaping; the bytes are identical to :func:`canonical_entry_bytes` of the same fields
    (tests/crypto/test_audit_chain.py). Verifying a chain rebuilds every entry, so this is its inner loop
    (`hotline bench audit`): the usual types (an int sequence, strings, a subject and detail that may be None) take
    one f-string, anything else the general path.
    """

    def __init__(self, city_slug: str) -> None:
        self._city = _json_value(city_slug)

    def payload(self, sequence: AuditValue, recorded_at: AuditValue, actor: AuditValue, action: AuditValue,
                subject: AuditValue, detail: AuditValue) -> bytes:
        value = _json_value
        return (f'{{"action":{value(action)},"actor":{value(actor)},"city":{self._city},"detail":{value(detail)},'
                f'"recorded_at":{value(recorded_at)},"sequence":{value(sequence)},"subject":{value(subject)}}}'
                ).encode()

    def entry_hash(self, previous_hash: bytes, sequence: AuditValue, recorded_at: AuditValue, actor: AuditValue,
                   action: AuditValue, subject: AuditValue, detail: AuditValue) -> bytes:
        string = _json_string
        try:
            if type(sequence) is not int:  # a bool or an int subclass would be written otherwise by format()
                raise TypeError
            payload = (f'{{"action":{string(action)},"actor":{string(actor)},"city":{self._city},'
                       f'"detail":{"null" if detail is None else string(detail)},"recorded_at":{string(recorded_at)},'
                       f'"sequence":{sequence},"subject":{"null" if subject is None else string(subject)}}}').encode()
        except TypeError:
            payload = self.payload(sequence, recorded_at, actor, action, subject, detail)
        return hashlib.sha256(_ENTRY_DOMAIN + previous_hash + payload).digest()


@dataclass(frozen=True)
class ChainHead:
    city_slug: str
    sequence: int
    entry_hash: bytes

    def message(self) -> bytes:
        return _HEAD_DOMAIN + canonical_entry_bytes(
            {"city": self.city_slug, "sequence": self.sequence, "hash": self.entry_hash.hex()}
        )


def signing_public_key(signing_seed: bytes) -> bytes:
    return Ed25519PrivateKey.from_private_bytes(signing_seed).public_key().public_bytes_raw()


def sign_chain_head(head: ChainHead, signing_seed: bytes) -> bytes:
    return Ed25519PrivateKey.from_private_bytes(signing_seed).sign(head.message())


def chain_head_signature_valid(head: ChainHead, signature: bytes, public_key: bytes) -> bool:
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(signature, head.message())
    except (InvalidSignature, ValueError):
        return False
    return True
