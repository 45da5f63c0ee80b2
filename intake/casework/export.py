"""Exporting a case: everything the reviewer may read, decrypted, for a PDF (hotline.exports.case_pdf), and
its files (attachments, recordings) as a ZIP, streamed chunk by chunk. Every export and every file opened is
audited. Redacted content is gone from the database, so it is gone from every export made after."""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO

from sqlmodel import col, func, select

from crypto.params import AES_GCM_TAG_BYTES
from crypto.sealing import Recipient, open_data_key
from crypto.streaming import open_chunks
from intake import audit
from intake.accounts.sessions import ReviewerContext
from intake.audit.actions import AuditAction
from intake.audit.timeline import TimelineEvent, case_timeline
from intake.casework.cases import CaseView, case_for_reviewer, read_case
from intake.clock import Clock, utc_now
from intake.db import Database
from intake.errors import NotFound
from intake.items import item_context
from intake.models import CaseItem, ItemChunk
from intake.phone.audio import WAV_CONTENT_TYPE
from intake.phone.recordings import KIND_RECORDING
from intake.reports.attachments import KIND_ATTACHMENT, attachment_info

# Media types a streamed item is served as, by kind; anything else downloads as bytes.
MEDIA_TYPES = {KIND_RECORDING: WAV_CONTENT_TYPE}


@dataclass(frozen=True)
class CaseExport:
    city_name: str
    view: CaseView
    timeline: tuple[TimelineEvent, ...]
    closed_record_basis: str | None
    outcome: str | None


def export_case(db: Database, context: ReviewerContext, case_id: str, *, export_format: str,
                clock: Clock = utc_now) -> CaseExport:
    view = read_case(db, context, case_id, clock=clock)
    case = case_for_reviewer(db, context, case_id, clock=clock)
    timeline = case_timeline(db, context, case_id, clock=clock)
    with db.write() as session:
        city = audit.lock_city(session, case.city_id)
        audit.append(session, city, actor=context.actor,
                     action=AuditAction.CASE_EXPORTED, when=clock(), subject=case.id,
                     detail={"format": export_format})
    return CaseExport(context.city_name, view, timeline, case.closed_record_basis, case.outcome)


@dataclass(frozen=True)
class StreamedItem:
    item_id: str
    position: int
    kind: str
    media_type: str
    # The true plaintext length: what ``chunks`` must add up to (a download announces it as Content-Length).
    size: int
    chunks: Iterator[bytes]


def _streamed_rows(db: Database, case_id: str) -> list[CaseItem]:
    with db.read() as session:
        return list(session.exec(select(CaseItem).where(CaseItem.case_id == case_id,
                                                        col(CaseItem.stream_header).is_not(None))
                                 .order_by(col(CaseItem.position))).all())


def plain_size(db: Database, item: CaseItem, data_key: bytes) -> int:
    """The true length of a streamed item's plaintext: an attachment's sealed description says it; for a
    recording, each sealed chunk is its plaintext and a 16-byte tag."""
    if item.kind == KIND_ATTACHMENT and item.ciphertext is not None:
        return attachment_info(item, data_key).size
    with db.read() as session:
        chunks, sealed_bytes = session.exec(
            select(func.count(), func.coalesce(func.sum(func.length(ItemChunk.ciphertext)), 0))
            .where(ItemChunk.item_id == item.id)).one()
    return int(sealed_bytes) - AES_GCM_TAG_BYTES * int(chunks)


def _plain_chunks(db: Database, item: CaseItem, city_private_key: bytes) -> Iterator[bytes]:
    """The item's plaintext, one authenticated chunk at a time, reading a batch of chunks per query."""
    data_key = open_data_key(item.key_for_city, city_private_key, item_context(item), Recipient.CITY)
    return _opened_chunks(db, item, data_key)


def _opened_chunks(db: Database, item: CaseItem, data_key: bytes) -> Iterator[bytes]:
    assert item.stream_header is not None

    def sealed() -> Iterator[bytes]:
        last = -1
        while True:
            with db.read() as session:
                rows = session.exec(select(ItemChunk.index, ItemChunk.ciphertext)
                                    .where(ItemChunk.item_id == item.id, col(ItemChunk.index) > last)
                                    .order_by(col(ItemChunk.index)).limit(16)).all()
            if not rows:
                return
            for index, ciphertext in rows:
                last = index
                yield ciphertext

    return open_chunks(data_key, item_context(item), item.stream_header, sealed())


def open_streamed_item(db: Database, context: ReviewerContext, case_id: str, item_id: str, *,
                       clock: Clock = utc_now) -> StreamedItem:
    """A file or recording of the case, decrypted as it is read. Audited ("case.item_opened")."""
    case = case_for_reviewer(db, context, case_id, clock=clock)
    assert context.city_private_key is not None
    item = next((row for row in _streamed_rows(db, case.id) if row.id == item_id), None)
    if item is None:
        raise NotFound("no such file in this case")
    with db.write() as session:
        city = audit.lock_city(session, case.city_id)
        audit.append(session, city, actor=context.actor,
                     action=AuditAction.CASE_ITEM_OPENED, when=clock(), subject=case.id,
                     detail={"item": item.position, "kind": item.kind})
    data_key = open_data_key(item.key_for_city, context.city_private_key, item_context(item), Recipient.CITY)
    return StreamedItem(item.id, item.position, item.kind, MEDIA_TYPES.get(item.kind, "application/octet-stream"),
                        plain_size(db, item, data_key), _opened_chunks(db, item, data_key))


def write_files_zip(db: Database, context: ReviewerContext, case_id: str, out: IO[bytes], *,
                    clock: Clock = utc_now) -> int:
    """Every file and recording of the case into a ZIP written to ``out``; returns how many. Audited."""
    case = case_for_reviewer(db, context, case_id, clock=clock)
    assert context.city_private_key is not None
    rows = _streamed_rows(db, case.id)
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for item in rows:
            name = f"case-{case.number}-item-{item.position}-{item.kind}"
            with archive.open(name, "w") as member:
                for chunk in _plain_chunks(db, item, context.city_private_key):
                    member.write(chunk)
    with db.write() as session:
        city = audit.lock_city(session, case.city_id)
        audit.append(session, city, actor=context.actor,
                     action=AuditAction.CASE_EXPORTED, when=clock(), subject=case.id,
                     detail={"format": "zip", "files": len(rows)})
    return len(rows)
