"""Appending to and verifying each city's audit hash chain (docs/design.md#audit-log).

Every append happens inside the caller's write transaction, after the city row is locked
(:func:`lock_city`), so a case and the entry that records it commit together or not at all, and two
appends to one city never race for the same sequence number.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Generator, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime
from types import SimpleNamespace
from typing import Any, cast

from sqlalchemy import Connection, bindparam, update
from sqlmodel import Session, select

from crypto.audit_chain import AuditValue, ChainHead, EntryHasher, chain_hash, genesis_hash
from intake.audit.actions import checked
from intake.db import insert_into, run_on_driver
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


def lock_city_key(session: Session, city_id: int) -> bytes:
    """:func:`lock_city` reading only the city's public key (Core, a statement built once): a report's intake
    takes the lock for every report and needs nothing else of the row unless it releases at once."""
    key: bytes = run_on_driver(session, *city_key_lock(city_id)).one()[0]
    return key


def city_key_lock(city_id: int) -> tuple[Any, dict[str, Any]]:
    """The statement and values :func:`lock_city_key` runs, for intake.db.run_together: a report's intake sends it
    with the statements that must run under the lock. Its one row is the city's public key."""
    return _city_key_for_update(), {"city_id": city_id}


@functools.cache
def _city_key_for_update() -> Any:
    table = City.__table__  # type: ignore[attr-defined]
    return select(table.c.public_key).where(table.c.id == bindparam("city_id")).with_for_update()


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
        connection.execute(insert_into(AuditEntry.__table__), rows)  # type: ignore[attr-defined]
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


# The columns verification reads, in the order _verify_rows unpacks them.
_VERIFIED_COLUMNS = ("sequence", "recorded_at", "actor", "action", "subject", "detail", "previous_hash", "entry_hash")
_Row = tuple[int, str, str, str, str | None, str | None, bytes, bytes]


def verify_entries(city_slug: str, entries: Iterable[AuditEntry], head_sequence: int, head_hash: bytes) -> ChainVerdict:
    """Walk the chain in sequence order; report the first entry that was changed, removed or moved."""
    rows = ((entry.sequence, entry.recorded_at, entry.actor, entry.action, entry.subject, entry.detail,
             entry.previous_hash, entry.entry_hash) for entry in entries)
    return _verify_rows(city_slug, rows, head_sequence, head_hash)


def _verify_rows(city_slug: str, rows: Iterable[_Row], head_sequence: int, head_hash: bytes) -> ChainVerdict:
    # Every entry is rebuilt from its stored fields and hashed onto the hash before it, from the genesis on: nothing
    # is skipped and nothing from an earlier run is trusted (docs/design.md#audit-log). Written as one tight loop
    # over plain tuples because this is the whole cost of `hotline audit verify` (`hotline bench audit`).
    rebuilt = EntryHasher(city_slug).entry_hash
    previous = genesis_hash(city_slug)
    expected_sequence = 1
    count = 0
    for sequence, recorded_at, actor, action, subject, detail, previous_hash, entry_hash in rows:
        count += 1
        if sequence != expected_sequence:
            return ChainVerdict(city_slug, count, False, expected_sequence, "entry missing or out of order")
        if previous_hash != previous:
            return ChainVerdict(city_slug, count, False, sequence, "does not follow the entry before it")
        if rebuilt(previous, sequence, recorded_at, actor, action, subject, detail) != entry_hash:
            return ChainVerdict(city_slug, count, False, sequence, "contents changed")
        previous = entry_hash
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
    table = AuditEntry.__table__  # type: ignore[attr-defined]
    connection = session.connection()
    # One query in sequence order, read in batches through the driver's own cursor (a server-side one on
    # PostgreSQL), inside this session's transaction: plain tuples of the verified columns. Not ORM objects, whose
    # building costs ten times the hashing; not SQLAlchemy rows, which cost as much again as the hashing; and not
    # one query per batch, whose plan on a table not yet analysed can sort the rest of the chain for every batch.
    query = str(select(*(table.c[name] for name in _VERIFIED_COLUMNS)).where(table.c.city_id == int(city.id))
                .order_by(table.c.sequence).compile(dialect=connection.dialect,
                                                    compile_kwargs={"literal_binds": True}))
    driver = connection.connection.driver_connection
    assert driver is not None
    cursor = driver.cursor() if connection.dialect.name == "sqlite" else driver.cursor(name="audit_verify")
    cursor.execute(query)

    def stream() -> Generator[_Row, None, None]:
        # The next batch is read while this one is hashed (the database and the driver's wait release the GIL);
        # the cursor is used by one thread at a time, and the batches come strictly in sequence order.
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="audit-verify-reader") as reader:
            rows = cursor.fetchmany(batch_size)
            while rows:
                following = reader.submit(cursor.fetchmany, batch_size)
                yield from rows
                rows = following.result()

    # Walked in stored sequence order: two rows swapped, or their sequence numbers swapped, break a link.
    rows = stream()
    try:
        return _verify_rows(city.slug, rows, city.audit_head_sequence, city.audit_head_hash)
    finally:
        rows.close()  # a verdict before the end waits for the read under way, so the cursor is free again
        cursor.close()
