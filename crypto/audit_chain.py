"""The per-city audit hash chain and Ed25519 (RFC 8032) signatures of a chain head (docs/design.md#audit-chain-hashing).

Each entry's hash is SHA-256 over a domain tag, the previous entry's hash and the entry's fields in canonical
JSON (sorted keys, no spaces, UTF-8). Changing, removing or reordering any entry changes every hash after it.
A chain head (city, sequence number, hash) signed with Ed25519 lets an outside party prove later that the log
was not rewritten, without trusting the database.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass

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
