"""Appending to and verifying each city's audit hash chain (docs/design.md#audit-log).

Every append happens inside the caller's write transaction, after the city row is locked
(:func:`lock_city`), so a case and the entry that records it commit together or not at all, and two
appends to one city never race for the same sequence number.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from types import SimpleNamespace
from typing import cast

from sqlalchemy import Connection, insert, update
from sqlmodel import Session, select

from crypto.audit_chain import AuditValue, ChainHead, chain_hash, genesis_hash
from intake.audit.actions import checked
from intake.models import AuditEntry, City

REPORTER = "reporter"
PHONE_CALLER = "phone caller"
SYSTEM = "system"


def reviewer_actor(reviewer_id: int) -> str:
    return f"reviewer:{reviewer_id}"


def lock_city(session: Session, city_id: int) -> City:
    """The city row, locked for the rest of the transaction (FOR UPDATE on PostgreSQL; SQLite's
    BEGIN IMMEDIATE already holds the only write lock). Read afresh even if the session holds the row already, so
    a key rotation that switched while the caller waited for the lock is seen (docs/design.md#key-rotation)."""
    city = session.exec(select(City).where(City.id == city_id).with_for_update()
                        .execution_options(populate_existing=True)).one()
    return city


def _recorded_at(when: datetime | date, actor: str) -> str:
    # Reporter and caller actions are kept to the day (docs/design.md#threat-model-and-anonymity-rules, rule 6),
    # and so is anything given as a date: what the system did in the same request (routing a report).
    if not isinstance(when, datetime):
        return when.isoformat()
    if actor in (REPORTER, PHONE_CALLER):
        return when.date().isoformat()
    return when.replace(microsecond=0).isoformat()


def entry_fields(entry: AuditEntry, city_slug: str) -> dict[str, AuditValue]:
    """Exactly what the chain hash covers."""
    return {
        "city": city_slug,
        "sequence": entry.sequence,
        "recorded_at": entry.recorded_at,
        "actor": entry.actor,
        "action": entry.action,
        "subject": entry.subject,
        "detail": entry.detail,
    }


def append(
    session: Session,
    city: City,
    *,
    actor: str,
    action: str,
    when: datetime | date,
    subject: str | None = None,
    detail: Mapping[str, AuditValue] | None = None,
) -> AuditEntry:
    """Add one entry to ``city``'s chain. ``city`` must come from :func:`lock_city` in this transaction. A
    ``when`` given as a date is recorded as the day only."""
    assert city.id is not None
    entry = AuditEntry(
        city_id=city.id,
        sequence=city.audit_head_sequence + 1,
        recorded_at=_recorded_at(when, actor),
        actor=actor,
        action=checked(action),
        subject=subject,
        detail=json.dumps(dict(detail), sort_keys=True, separators=(",", ":")) if detail else None,
        previous_hash=city.audit_head_hash,
        entry_hash=b"",
    )
    entry.entry_hash = chain_hash(city.audit_head_hash, entry_fields(entry, city.slug))
    city.audit_head_sequence = entry.sequence
    city.audit_head_hash = entry.entry_hash
    session.add(entry)
    session.add(city)
    return entry


@dataclass(frozen=True)
class PendingEntry:
    actor: str
    action: str
    when: datetime
    subject: str | None = None
    detail: Mapping[str, AuditValue] | None = None


def append_rows(connection: Connection, city_id: int, city_slug: str, head_sequence: int, head_hash: bytes,
                entries: Iterable[PendingEntry], *, city_values: Mapping[str, object] | None = None) -> None:
    """:func:`append` for a hot path, in SQLAlchemy Core: the entries are inserted in one statement and the city's
    chain head (with any other ``city_values``) updated in another, without the ORM's unit of work.

    The caller must hold the city row lock (``SELECT ... FOR UPDATE``) and pass the head it read under it. The
    hashes are exactly those :func:`append` makes, so :func:`verify_city` cannot tell the two apart.
    """
    rows: list[dict[str, object]] = []
    for pending in entries:
        head_sequence += 1
        row: dict[str, object] = {
            "city_id": city_id, "sequence": head_sequence, "recorded_at": _recorded_at(pending.when, pending.actor),
            "actor": pending.actor, "action": checked(pending.action), "subject": pending.subject,
            "detail": json.dumps(dict(pending.detail), sort_keys=True, separators=(",", ":"))
            if pending.detail else None,
            "previous_hash": head_hash,
        }
        # The same fields entry_fields() gives the chain hash for an ORM entry.
        head_hash = chain_hash(head_hash, entry_fields(cast(AuditEntry, SimpleNamespace(**row)), city_slug))
        row["entry_hash"] = head_hash
        rows.append(row)
    if rows:
        connection.execute(insert(AuditEntry.__table__), rows)  # type: ignore[attr-defined]
    city_table = City.__table__  # type: ignore[attr-defined]
    connection.execute(update(city_table).where(city_table.c.id == city_id).values(
        audit_head_sequence=head_sequence, audit_head_hash=head_hash, **(city_values or {})))


@dataclass(frozen=True)
class ChainVerdict:
    city_slug: str
    entries: int
    ok: bool
    # The sequence number of the first entry that does not verify, and why.
    first_bad_sequence: int | None = None
    problem: str | None = None

    def head(self, head_hash: bytes) -> ChainHead:
        return ChainHead(city_slug=self.city_slug, sequence=self.entries, entry_hash=head_hash)


def verify_entries(city_slug: str, entries: Iterable[AuditEntry], head_sequence: int, head_hash: bytes) -> ChainVerdict:
    """Walk the chain in sequence order; report the first entry that was changed, removed or moved."""
    previous = genesis_hash(city_slug)
    expected_sequence = 1
    count = 0
    for entry in entries:
        count += 1
        if entry.sequence != expected_sequence:
            return ChainVerdict(city_slug, count, False, expected_sequence, "entry missing or out of order")
        if entry.previous_hash != previous:
            return ChainVerdict(city_slug, count, False, entry.sequence, "does not follow the entry before it")
        if chain_hash(previous, entry_fields(entry, city_slug)) != entry.entry_hash:
            return ChainVerdict(city_slug, count, False, entry.sequence, "contents changed")
        previous = entry.entry_hash
        expected_sequence += 1
    if count < head_sequence:
        return ChainVerdict(city_slug, count, False, count + 1, "entry missing at the end of the chain")
    if count > head_sequence:
        return ChainVerdict(city_slug, count, False, head_sequence + 1, "entries beyond the recorded chain head")
    if count and previous != head_hash:
        return ChainVerdict(city_slug, count, False, count, "the chain was rewritten: it ends at another hash")
    return ChainVerdict(city_slug, count, True)


def verify_city(session: Session, city: City, batch_size: int = 5000) -> ChainVerdict:
    assert city.id is not None
    city_id = city.id
    table = AuditEntry.__table__  # type: ignore[attr-defined]
    connection = session.connection()

    def stream() -> Iterable[AuditEntry]:
        # Plain rows in keyset-paged batches, not ORM objects: the verifier only reads attributes, and building
        # tens of thousands of mapped objects costs ten times the hashing (`hotline bench audit`).
        last = 0
        while True:
            rows = connection.execute(
                select(table).where(table.c.city_id == city_id, table.c.sequence > last)
                .order_by(table.c.sequence).limit(batch_size)
            ).all()
            if not rows:
                return
            yield from cast(list[AuditEntry], rows)
            last = rows[-1].sequence

    # Walked in stored sequence order: two rows swapped, or their sequence numbers swapped, break a link.
    return verify_entries(city.slug, stream(), city.audit_head_sequence, city.audit_head_hash)
