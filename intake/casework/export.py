"""Exporting a case: everything the reviewer may read, decrypted, for a PDF (hotline.exports.case_pdf), and a ZIP
of that PDF with the case's files (attachments under their names, recordings), streamed chunk by chunk. Every
export and every file opened is audited. Redacted content is gone from the database, so it is gone from every
export made after; a reviewer excluded from the case is never named in it (intake.audit.timeline)."""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import IO

from sqlmodel import col, func, select

from crypto.params import AES_GCM_TAG_BYTES
from crypto.sealing import Recipient, open_data_key
from crypto.streaming import content_length, open_chunks
from intake import audit
from intake.accounts.sessions import ReviewerContext
from intake.audit.actions import AuditAction
from intake.audit.timeline import TimelineEvent, case_timeline
from intake.casework.cases import CaseView, case_for_reviewer, read_case
from intake.casework.page import CaseFacts, case_facts, case_readers
from intake.clock import Clock, utc_now
from intake.db import Database
from intake.errors import NotFound
from intake.items import item_context
from intake.models import CaseItem, City, ItemChunk, Reviewer
from intake.phone.audio import WAV_CONTENT_TYPE
from intake.phone.recordings import KIND_RECORDING
from intake.reports.attachments import KIND_ATTACHMENT, attachment_info, info_for_city

# Media types a streamed item is served as, by kind; anything else downloads as bytes.
MEDIA_TYPES = {KIND_RECORDING: WAV_CONTENT_TYPE}


@dataclass(frozen=True)
class ExportedFile:
    """A file or recording of the case, as the PDF lists it and the ZIP holds it."""

    position: int
    kind: str  # KIND_ATTACHMENT or KIND_RECORDING
    zip_name: str  # its name inside the ZIP, under files/
    filename: str | None  # an attachment's own name, as the reporter's browser gave it
    content_type: str | None
    size: int | None
    cleaned: bool | None  # metadata removed (attachments)
    author: str
    created_on: date
    sent_with: int | None  # the position of the report or message it came with


@dataclass(frozen=True)
class CaseExport:
    city_name: str
    view: CaseView
    timeline: tuple[TimelineEvent, ...]
    closed_record_basis: str | None
    outcome: str | None
    city_slug: str = ""
    facts: CaseFacts | None = None
    assignee_name: str | None = None
    readers: tuple[tuple[int, str], ...] = ()  # (id, name) of who may read it (never an excluded reviewer)
    files: tuple[ExportedFile, ...] = ()
    exported_by: str = ""
    exported_at: datetime | None = None


def _safe_name(name: str) -> str:
    """A file name for inside the ZIP: no folders, no control characters, not empty, not too long."""
    cleaned = re.sub(r"[\x00-\x1f\x7f/\\:*?\"<>|]", "_", name).strip(" .") or "file"
    stem, dot, suffix = cleaned.rpartition(".")
    if dot and len(suffix) <= 10 and stem:
        return stem[:80] + "." + suffix
    return cleaned[:90]


def _files(rows: Sequence[CaseItem], city_private_key: bytes) -> tuple[ExportedFile, ...]:
    positions = {row.id: row.position for row in rows}
    found = []
    for row in rows:
        if row.stream_header is None:
            continue
        if row.kind == KIND_ATTACHMENT:
            info = info_for_city(row, city_private_key)
            found.append(ExportedFile(
                row.position, row.kind, f"files/{row.position:02d}-{_safe_name(info.filename)}", info.filename,
                info.content_type, info.size, info.cleaned, row.author, row.created_on,
                positions.get(info.parent_item_id)))
        else:
            suffix = ".wav" if row.kind == KIND_RECORDING else ""
            found.append(ExportedFile(row.position, row.kind, f"files/{row.position:02d}-{row.kind}{suffix}", None,
                                      MEDIA_TYPES.get(row.kind), None, None, row.author, row.created_on, None))
    return tuple(found)


def export_case(db: Database, context: ReviewerContext, case_id: str, *, export_format: str,
                clock: Clock = utc_now, language: str = "en") -> CaseExport:
    """The whole case as the reviewer may read it, for the PDF (questionnaire answers in ``language``). Audited
    ("case.exported") with ``export_format``."""
    view = read_case(db, context, case_id, clock=clock, language=language)
    case = case_for_reviewer(db, context, case_id, clock=clock)
    timeline = case_timeline(db, context, case_id, clock=clock)
    assert context.city_private_key is not None
    now = clock()
    with db.read() as session:
        facts = case_facts(session, context.routing_key, case, now.date())
        readers = case_readers(session, context.routing_key, case)
        rows = list(session.exec(select(CaseItem).where(CaseItem.case_id == case.id)
                                 .order_by(col(CaseItem.position))).all())
        city_row = session.get(City, case.city_id)
        me = session.get(Reviewer, context.reviewer_id)
    files = _files(rows, context.city_private_key)
    assignee = dict(readers).get(case.assignee_id or 0)
    with db.write() as session:
        city = audit.lock_city(session, case.city_id)
        audit.append(session, city, actor=context.actor,
                     action=AuditAction.CASE_EXPORTED, when=now, subject=case.id,
                     detail={"format": export_format, "files": len(files)} if export_format == "zip"
                     else {"format": export_format})
    return CaseExport(context.city_name, view, timeline, case.closed_record_basis, case.outcome,
                      city_slug=city_row.slug if city_row else context.city_slug, facts=facts,
                      assignee_name=assignee, readers=readers, files=files,
                      exported_by=me.display_name if me else "", exported_at=now)


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
        return list(session.exec(select(CaseItem).where(CaseItem.case_id == case_id, col(CaseItem.released),
                                                        col(CaseItem.stream_header).is_not(None))
                                 .order_by(col(CaseItem.position))).all())


def plain_size(db: Database, item: CaseItem, data_key: bytes) -> int:
    """The true length of a streamed item's content: an attachment's sealed description says it; a padded stream's
    first chunk states it; in an unpadded (older) stream each sealed chunk is its plaintext and a 16-byte tag."""
    assert item.stream_header is not None
    if item.kind == KIND_ATTACHMENT and item.ciphertext is not None:
        return attachment_info(item, data_key).size
    with db.read() as session:
        first = session.exec(select(ItemChunk.ciphertext).where(ItemChunk.item_id == item.id,
                                                                ItemChunk.index == 0)).first()
    stated = content_length(data_key, item_context(item), item.stream_header, first) if first is not None else None
    if stated is not None:
        return stated
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


def write_case_zip(db: Database, context: ReviewerContext, exported: CaseExport, pdf: bytes, out: IO[bytes]) -> int:
    """The case's PDF and every file and recording it lists into a ZIP written to ``out``, each file under the
    name the PDF gives it; returns how many files. ``exported`` comes from :func:`export_case` with
    ``export_format="zip"``, which audited the export."""
    case = case_for_reviewer(db, context, exported.view.summary.case_id)
    assert context.city_private_key is not None
    rows = {row.position: row for row in _streamed_rows(db, case.id)}
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        # Every entry is dated to a day, never with a time: a recording's minute would date the call
        # (docs/design.md#release-slots); zipfile would otherwise stamp the moment of export.
        today = utc_now().date()
        document = zipfile.ZipInfo(f"case-{case.number}.pdf", date_time=(today.year, today.month, today.day, 0, 0, 0))
        document.compress_type = zipfile.ZIP_DEFLATED
        archive.writestr(document, pdf)
        for file in exported.files:
            item = rows.get(file.position)
            if item is None:  # redacted between the two reads: the PDF lists it, the ZIP cannot hold it
                continue
            info = zipfile.ZipInfo(file.zip_name, date_time=(item.created_on.year, item.created_on.month,
                                                             item.created_on.day, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            with archive.open(info, "w") as member:
                for chunk in _plain_chunks(db, item, context.city_private_key):
                    member.write(chunk)
    return len(exported.files)
