"""Permanent redaction of a passage of a case item, or of a whole item (an attachment, a recording).

A passage: the item is opened, every occurrence of the passage replaced with "[redacted]", and the result
sealed again under a fresh data key (to the city, and to the reporter where they could read it) in the same
row, so the old ciphertext and the old data key are overwritten in the same transaction. A whole item: its
ciphertext and every chunk are deleted. SQLite overwrites freed space (PRAGMA secure_delete, intake.db), and
after a redaction the write-ahead log, which still holds the old page images, is checkpointed and truncated;
on PostgreSQL the old row versions are unreachable at once and their space is reclaimed by VACUUM. Exports are
made from the database, so no later export holds the original. The audit entry records which item and how
many characters went, never the passage.
"""

from __future__ import annotations

from sqlmodel import col, delete, select

from crypto.errors import CryptoError
from crypto.sealing import ItemContext, seal_to_city
from intake import audit
from intake.accounts.sessions import ReviewerContext
from intake.audit.actions import AuditAction
from intake.casework.cases import case_for_reviewer
from intake.clock import Clock, utc_now
from intake.db import Database
from intake.errors import InvalidInput, NotFound
from intake.items import text_for_city
from intake.messages import N_
from intake.models import CaseItem, ItemChunk

REDACTED = "[redacted]"


def _forget_old_pages(db: Database) -> None:
    """SQLite keeps the page images a transaction replaced in its write-ahead log until a checkpoint: copy the
    new pages into the database file and truncate the log, so the original is not left on disk there either.
    Best effort while other connections read (they finish, and the next checkpoint completes it)."""
    if db.is_sqlite:
        with db.engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").all()


def _item(db: Database, case_id: str, item_id: str) -> CaseItem:
    with db.read() as session:
        item = session.get(CaseItem, item_id) if len(item_id) <= 64 else None
    if item is None or item.case_id != case_id or not item.released:
        raise NotFound("no such item in this case")
    return item


def redact_passage(db: Database, context: ReviewerContext, case_id: str, item_id: str, passage: str, *,
                   clock: Clock = utc_now) -> int:
    """Replace every occurrence of ``passage`` in the item with "[redacted]"; returns how many there were.

    The item is read, changed and sealed again inside one transaction under the city lock, so two redactions of
    the same item cannot undo each other, and a key rotation lands wholly before it (and re-seals what it
    wrote) or wholly after it (and it seals to the new key): docs/design.md#key-rotation.
    """
    case = case_for_reviewer(db, context, case_id, clock=clock)
    item = _item(db, case.id, item_id)
    assert context.city_private_key is not None
    if item.ciphertext is None:
        raise InvalidInput({"passage": N_("This item is a file: redact the whole item instead.")})
    if not passage.strip():
        raise InvalidInput({"passage": N_("Copy the exact passage to remove from the text.")})
    item_context = ItemContext(city_id=item.city_id, case_id=item.case_id, item_id=item.id, kind=item.kind)
    with db.write() as session:
        city = audit.lock_city(session, case.city_id)
        row = session.exec(select(CaseItem).where(CaseItem.id == item.id).with_for_update()).one()
        try:
            text = text_for_city(row, context.city_private_key)
        except CryptoError:
            # The city key was rotated since this session opened it; the session has ended with it.
            raise InvalidInput({"passage": N_("The city key was just replaced: sign in again, then redact.")}) from None
        occurrences = text.count(passage)
        if not occurrences:
            raise InvalidInput({"passage": N_("That passage is not in this item: copy it exactly, with its spacing.")})
        redacted = text.replace(passage, REDACTED)
        sealed = seal_to_city(redacted.encode("utf-8"), item_context, city.public_key,
                              case.reporter_public_key if row.key_for_reporter is not None else None)
        row.ciphertext, row.key_for_city, row.key_for_reporter = (sealed.ciphertext, sealed.key_for_city,
                                                                  sealed.key_for_reporter)
        row.redacted_on = clock().date()
        session.add(row)
        audit.append(session, city, actor=context.actor,
                     action=AuditAction.CASE_REDACTED, when=clock(), subject=case.id,
                     detail={"item": row.position, "kind": row.kind, "scope": "passage",
                             "occurrences": occurrences, "characters": len(passage) * occurrences})
    _forget_old_pages(db)
    return occurrences


def redact_item(db: Database, context: ReviewerContext, case_id: str, item_id: str, *,
                clock: Clock = utc_now) -> None:
    """Delete an item's content (an attachment or recording, or a whole message); the row stays in the
    timeline as "redacted"."""
    case = case_for_reviewer(db, context, case_id, clock=clock)
    item = _item(db, case.id, item_id)
    if item.position == 1 and item.ciphertext is not None:
        raise InvalidInput({"item": N_("The report itself can only have passages redacted.")})
    with db.write() as session:
        city = audit.lock_city(session, case.city_id)
        row = session.exec(select(CaseItem).where(CaseItem.id == item.id).with_for_update()).one()
        chunks = session.exec(delete(ItemChunk).where(col(ItemChunk.item_id) == row.id)).rowcount
        item_context = ItemContext(city_id=row.city_id, case_id=row.case_id, item_id=row.id, kind=row.kind)
        # What remains is the word "[redacted]", sealed like any item, so every reader handles it as text.
        sealed = seal_to_city(REDACTED.encode(), item_context, city.public_key,
                              case.reporter_public_key if row.key_for_reporter is not None else None)
        row.ciphertext, row.key_for_city, row.key_for_reporter = (sealed.ciphertext, sealed.key_for_city,
                                                                  sealed.key_for_reporter)
        row.stream_header = None
        row.redacted_on = clock().date()
        session.add(row)
        audit.append(session, city, actor=context.actor,
                     action=AuditAction.CASE_REDACTED, when=clock(), subject=case.id,
                     detail={"item": row.position, "kind": row.kind, "scope": "item", "chunks": chunks})
    _forget_old_pages(db)
