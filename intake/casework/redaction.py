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

from dataclasses import dataclass

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


@dataclass(frozen=True)
class RedactionPreview:
    """What a redaction would remove, shown for confirmation before anything changes.

    ``parts`` is the item's text split at each occurrence of the passage (so ``len(parts) - 1`` occurrences);
    empty for a whole item, whose content all goes. Nothing is written or audited: the reviewer has the case open
    (its reading is audited) and the redaction itself is audited when confirmed."""

    item_id: str
    position: int
    kind: str
    passage: str
    parts: tuple[str, ...] = ()
    whole_item: bool = False
    streamed: bool = False
    case_number: int = 0

    @property
    def occurrences(self) -> int:
        return max(0, len(self.parts) - 1)

    @property
    def result(self) -> str:
        return REDACTED.join(self.parts)


def _item_text(context: ReviewerContext, item: CaseItem, field: str) -> str:
    assert context.city_private_key is not None
    try:
        return text_for_city(item, context.city_private_key)
    except CryptoError:
        # The city key was rotated since this session opened it; the session has ended with it.
        raise InvalidInput({field: "The city key was just replaced: sign in again, then redact."}) from None


def _passage_problem(text: str, passage: str) -> str | None:
    if not passage.strip():
        return "Copy the exact passage to remove from the text."
    if passage not in text:
        return "That passage is not in this item: copy it exactly, with its spacing."
    return None


def preview_passage(db: Database, context: ReviewerContext, case_id: str, item_id: str, passage: str, *,
                    clock: Clock = utc_now) -> RedactionPreview:
    """What :func:`redact_passage` would remove, or the same :class:`InvalidInput` it would raise."""
    case = case_for_reviewer(db, context, case_id, clock=clock)
    item = _item(db, case.id, item_id)
    if item.ciphertext is None or item.stream_header is not None:
        raise InvalidInput({"passage": "This item is a file: redact the whole item instead."})
    if not passage.strip():
        raise InvalidInput({"passage": "Copy the exact passage to remove from the text."})
    text = _item_text(context, item, "passage")
    if (problem := _passage_problem(text, passage)) is not None:
        raise InvalidInput({"passage": problem})
    return RedactionPreview(item.id, item.position, item.kind, passage, tuple(text.split(passage)),
                            case_number=case.number)


def preview_item(db: Database, context: ReviewerContext, case_id: str, item_id: str, *,
                 clock: Clock = utc_now) -> RedactionPreview:
    """What :func:`redact_item` would remove (the whole item), or the same :class:`InvalidInput` it would raise."""
    case = case_for_reviewer(db, context, case_id, clock=clock)
    item = _item(db, case.id, item_id)
    if item.position == 1 and item.ciphertext is not None:
        raise InvalidInput({"item": "The report itself can only have passages redacted."})
    if item.ciphertext is None or item.stream_header is not None:  # a file or recording: its chunks all go
        return RedactionPreview(item.id, item.position, item.kind, "", whole_item=True, streamed=True,
                                case_number=case.number)
    return RedactionPreview(item.id, item.position, item.kind, "", (_item_text(context, item, "item"),),
                            whole_item=True, case_number=case.number)


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
    if item.ciphertext is None or item.stream_header is not None:
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
