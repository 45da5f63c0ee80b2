"""Exporting a city's audit chain with an Ed25519-signed head (docs/design.md#audit-log), and checking an export.

The export is JSON: every entry's hashed fields and hashes, the head (city, sequence, hash), the signature
of the head (crypto.audit_chain.sign_chain_head) and the public key. Anyone can check it with
``hotline audit verify --file``: the chain is recomputed from its entries, must end at the signed head, and
the signature must verify under the public key they were given by the city (``--public-key``) - a key taken
from the file itself proves only that the file was not changed after signing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlmodel import col, select

from crypto.audit_chain import (
    ChainHead,
    chain_hash,
    chain_head_signature_valid,
    genesis_hash,
    sign_chain_head,
    signing_public_key,
)
from intake.audit import chain as audit
from intake.clock import Clock, utc_now
from intake.db import Database
from intake.errors import InvalidInput
from intake.models import AuditEntry, City

FORMAT = "hotline-audit-export/1"


def export_chain(db: Database, city: City, signing_seed: bytes, *, clock: Clock = utc_now) -> dict[str, Any]:
    """The whole chain of ``city``, verified first, and its head signed with ``signing_seed``."""
    if len(signing_seed) != 32:
        raise InvalidInput({"signing_key": "The audit signing key must be 32 bytes (64 hexadecimal digits)."})
    assert city.id is not None
    with db.read() as session:
        verdict = audit.verify_city(session, city)
        if not verdict.ok:
            raise InvalidInput({"chain": f"The chain is broken at entry {verdict.first_bad_sequence}: "
                                         f"{verdict.problem}. Nothing was exported."})
        entries = session.exec(select(AuditEntry).where(AuditEntry.city_id == city.id)
                               .order_by(col(AuditEntry.sequence))).all()
        fresh = session.get(City, city.id)
    assert fresh is not None
    head = ChainHead(city.slug, fresh.audit_head_sequence, fresh.audit_head_hash)
    return {
        "format": FORMAT,
        "exported_at": clock().replace(microsecond=0).isoformat(),
        "city": city.slug,
        "entries": [{**audit.entry_fields(entry, city.slug), "previous_hash": entry.previous_hash.hex(),
                     "entry_hash": entry.entry_hash.hex()} for entry in entries],
        "head": {"city": head.city_slug, "sequence": head.sequence, "hash": head.entry_hash.hex()},
        "signature": sign_chain_head(head, signing_seed).hex(),
        "public_key": signing_public_key(signing_seed).hex(),
    }


@dataclass(frozen=True)
class ExportVerdict:
    ok: bool
    city: str
    entries: int
    problem: str | None = None
    first_bad_sequence: int | None = None


def verify_export(data: dict[str, Any], expected_public_key: bytes | None = None) -> ExportVerdict:
    try:
        city = str(data["city"])
        entries = data["entries"]
        head = ChainHead(str(data["head"]["city"]), int(data["head"]["sequence"]), bytes.fromhex(data["head"]["hash"]))
        signature = bytes.fromhex(data["signature"])
        public_key = bytes.fromhex(data["public_key"])
    except (KeyError, TypeError, ValueError):
        return ExportVerdict(False, str(data.get("city", "?")) if isinstance(data, dict) else "?", 0,
                             "not a hotline audit export")
    if data.get("format") != FORMAT or head.city_slug != city:
        return ExportVerdict(False, city, 0, "not a hotline audit export")
    if expected_public_key is not None and public_key != expected_public_key:
        return ExportVerdict(False, city, len(entries), "signed with another key than the one given")
    previous = genesis_hash(city)
    for expected_sequence, entry in enumerate(entries, start=1):
        fields = {name: entry.get(name) for name in ("city", "sequence", "recorded_at", "actor", "action", "subject",
                                                     "detail")}
        if fields["sequence"] != expected_sequence or fields["city"] != city:
            return ExportVerdict(False, city, len(entries), "entry missing or out of order", expected_sequence)
        if entry.get("previous_hash") != previous.hex():
            return ExportVerdict(False, city, len(entries), "does not follow the entry before it", expected_sequence)
        digest = chain_hash(previous, fields)
        if digest.hex() != entry.get("entry_hash"):
            return ExportVerdict(False, city, len(entries), "contents changed", expected_sequence)
        previous = digest
    if head.sequence != len(entries) or (entries and previous != head.entry_hash):
        return ExportVerdict(False, city, len(entries), "the entries do not end at the signed head")
    if not chain_head_signature_valid(head, signature, public_key):
        return ExportVerdict(False, city, len(entries), "the head's signature does not verify")
    return ExportVerdict(True, city, len(entries))


def dumps(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=1, sort_keys=True, ensure_ascii=False) + "\n"
