"""Attachments: metadata stripped, then sealed in chunks (docs/design.md#threat-model-and-anonymity-rules, rule 4;
docs/design.md#streaming).

An upload arrives in a :class:`crypto.scratch.ScratchFile` (never in clear on disk). Before it is sealed:

- images (JPEG, PNG, GIF, WebP, BMP, TIFF) are re-encoded by Pillow from their pixels alone, turned upright
  first, so no EXIF (GPS position, camera serial), XMP, ICC profile text or comment survives; BMP and TIFF
  come out as PNG;
- PDFs are rewritten by pypdf page by page, without the document information dictionary (author, creator,
  producer, dates) or any XMP metadata stream;
- anything else is kept as it is and flagged, so the reporter is told plainly that its metadata could not be
  cleaned (the report form says which types are cleaned before anything is sent).

The file is then sealed with :mod:`crypto.streaming` under a fresh data key, one item_chunk row per chunk, and
its name, type and size are sealed as the item's small ciphertext under the same key. A reviewer's download
streams it back chunk by chunk, audited.
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import PurePosixPath, PureWindowsPath
from typing import IO, cast

from PIL import Image, ImageOps, UnidentifiedImageError
from pypdf import PdfReader, PdfWriter
from pypdf.errors import PyPdfError
from pypdf.generic import NameObject
from sqlmodel import Session, col, select

from crypto.errors import CryptoError
from crypto.scratch import ScratchFile
from crypto.sealing import (
    ItemContext,
    Recipient,
    decrypt_with_data_key,
    encrypt_with_data_key,
    new_data_key,
    open_data_key,
    seal_data_key,
)
from crypto.streaming import open_chunks, seal_chunks
from intake import audit
from intake.accounts.case_access import readable_case
from intake.accounts.sessions import ReviewerContext
from intake.audit.actions import AuditAction
from intake.clock import Clock, utc_now
from intake.db import Database
from intake.errors import NotFound
from intake.items import item_context, new_id
from intake.models import Case, CaseItem, ItemChunk

KIND_ATTACHMENT = "attachment"


# Pillow formats we re-encode, and the format each comes out as.
_IMAGE_OUTPUT = {"JPEG": "JPEG", "PNG": "PNG", "GIF": "GIF", "WEBP": "WEBP", "BMP": "PNG", "TIFF": "PNG"}
_CONTENT_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "GIF": "image/gif", "WEBP": "image/webp"}
_EXTENSIONS = {"JPEG": ".jpg", "PNG": ".png", "GIF": ".gif", "WEBP": ".webp"}
# Decompression-bomb guard (Pillow raises past twice this): about a 100-megapixel photo.
MAX_IMAGE_PIXELS = 100_000_000
_CHUNK_FLUSH_EVERY = 16
MAX_FILENAME_CHARS = 200

CLEANABLE_TYPES = "JPEG, PNG, GIF, WebP, BMP, TIFF, PDF"


@dataclass
class Upload:
    """A file as it arrived: its name (as the browser gave it) and its content in an encrypted scratch file."""

    filename: str
    content: ScratchFile


@dataclass
class CleanedUpload:
    filename: str
    content_type: str
    # True when metadata was removed; False when the type is not one we can clean (the reporter is told).
    cleaned: bool
    content: ScratchFile

    @property
    def size(self) -> int:
        return self.content.size


@dataclass(frozen=True)
class AttachmentNote:
    """What the reporter is told about each file they sent."""

    filename: str
    size: int
    cleaned: bool


def safe_filename(name: str) -> str:
    """The last path component of a browser-given name, without control characters, at most 200 characters."""
    base = PureWindowsPath(PurePosixPath(name).name).name
    base = "".join(ch for ch in unicodedata.normalize("NFC", base) if unicodedata.category(ch)[0] != "C")
    base = base.strip(" .") or "file"
    if len(base) > MAX_FILENAME_CHARS:
        stem, dot, extension = base.rpartition(".")
        base = (stem[: MAX_FILENAME_CHARS - len(extension) - 1] + dot + extension) if dot and len(extension) < 10 \
            else base[:MAX_FILENAME_CHARS]
    return base


def _with_extension(filename: str, extension: str) -> str:
    stem = filename.rsplit(".", 1)[0] if "." in filename else filename
    return stem + extension


def clean_upload(upload: Upload) -> CleanedUpload:
    """Strip what metadata we can. The upload's scratch file is closed; the result holds a new one."""
    filename = safe_filename(upload.filename)
    try:
        head = upload.content.reader().read(5)
        clean = _clean_pdf if head == b"%PDF-" else _clean_image
        cleaned = clean(upload.content, filename)
        if cleaned is not None:
            upload.content.close()
            return cleaned
    except CryptoError:
        raise
    except Exception:  # noqa: S110
        # A malformed file must not stop the report: it is kept, flagged as not cleaned, and the reporter told.
        # Nothing is logged: a line at this moment would date the report (docs/design.md#release-slots).
        pass
    return CleanedUpload(filename, "application/octet-stream", False, upload.content)


def _clean_image(content: ScratchFile, filename: str) -> CleanedUpload | None:
    Image.MAX_IMAGE_PIXELS = MAX_IMAGE_PIXELS
    try:
        image = Image.open(cast(IO[bytes], content.reader()), formats=list(_IMAGE_OUTPUT))
    except (UnidentifiedImageError, Image.DecompressionBombError):
        return None
    with image:
        if getattr(image, "n_frames", 1) > 1:
            return None  # an animation or multi-page TIFF: re-encoding one frame would lose content
        output_format = _IMAGE_OUTPUT[image.format or ""]
        upright = ImageOps.exif_transpose(image)
        # A new image from the pixels (and palette) alone: no info dict, so no EXIF, XMP, ICC or comment.
        pixels = Image.new(upright.mode, upright.size)
        pixels.paste(upright)
        if upright.mode == "P" and (palette := upright.getpalette()) is not None:
            pixels.putpalette(palette)
        if output_format == "JPEG" and pixels.mode not in ("RGB", "L", "CMYK"):
            pixels = pixels.convert("RGB")
        if output_format == "GIF" and "transparency" in image.info and isinstance(image.info["transparency"], int):
            pixels.info["transparency"] = image.info["transparency"]
        out = ScratchFile()
        options = {"quality": 92} if output_format in ("JPEG", "WEBP") else {}
        pixels.save(cast(IO[bytes], out), format=output_format, **options)
        out.finish()
    return CleanedUpload(_with_extension(filename, _EXTENSIONS[output_format]) if image.format in ("BMP", "TIFF")
                         else filename, _CONTENT_TYPES[output_format], True, out)


def _clean_pdf(content: ScratchFile, filename: str) -> CleanedUpload | None:
    try:
        reader = PdfReader(cast(IO[bytes], content.reader()))
        if reader.is_encrypted and not reader.decrypt(""):
            return None
        writer = PdfWriter()
        for page in reader.pages:
            added = writer.add_page(page)
            if "/Metadata" in added:  # a page-level XMP stream
                del added[NameObject("/Metadata")]
        writer.metadata = None  # no document information dictionary at all, not even pypdf's /Producer
        out = ScratchFile()
        writer.write(cast(IO[bytes], out))
        out.finish()
    except (PyPdfError, ValueError, KeyError, TypeError, OSError):
        return None
    return CleanedUpload(filename, "application/pdf", True, out)


# --------------------------------------------------------------------------------------------------- sealing


@dataclass(frozen=True)
class AddedAttachment:
    item_id: str
    note: AttachmentNote


def add_attachment(
    session: Session, case: Case, upload: CleanedUpload, *, city_public_key: bytes, position: int,
    created_on: date, author: str, parent_item_id: str, released: bool = True,
) -> AddedAttachment:
    """Seal ``upload`` as a new item of ``case`` (to the city and to the reporter), one row per chunk.
    ``released`` False for a file sent with a message that waits for its release slot."""
    item_id = new_id()
    context = ItemContext(city_id=case.city_id, case_id=case.id, item_id=item_id, kind=KIND_ATTACHMENT)
    data_key = new_data_key()
    meta = json.dumps({"filename": upload.filename, "content_type": upload.content_type, "size": upload.size,
                       "cleaned": upload.cleaned, "parent": parent_item_id}, ensure_ascii=False)
    header, sealed_chunks = seal_chunks(data_key, context, upload.content.chunks(), upload.size)
    session.add(CaseItem(
        id=item_id, case_id=case.id, city_id=case.city_id, position=position, kind=KIND_ATTACHMENT, author=author,
        created_on=created_on, visible_to_reporter=True,
        ciphertext=encrypt_with_data_key(data_key, meta.encode("utf-8"), context), stream_header=header,
        key_for_city=seal_data_key(data_key, city_public_key, context, Recipient.CITY),
        key_for_reporter=seal_data_key(data_key, case.reporter_public_key, context, Recipient.REPORTER),
        released=released,
    ))
    session.flush()
    for index, chunk in enumerate(sealed_chunks):
        session.add(ItemChunk(item_id=item_id, index=index, ciphertext=chunk))
        if index % _CHUNK_FLUSH_EVERY == _CHUNK_FLUSH_EVERY - 1:
            session.flush()  # flushed rows are only weakly held by the session: memory stays at a few chunks
    return AddedAttachment(item_id, AttachmentNote(upload.filename, upload.size, upload.cleaned))


@dataclass(frozen=True)
class AttachmentInfo:
    item_id: str
    filename: str
    content_type: str
    size: int
    cleaned: bool
    parent_item_id: str
    author: str
    created_on: date


def is_file(row: CaseItem) -> bool:
    """An attachment that still holds its file. A redacted one holds only the word "[redacted]" and is
    read like any text item."""
    return row.kind == KIND_ATTACHMENT and row.stream_header is not None


def attachment_info(row: CaseItem, data_key: bytes) -> AttachmentInfo:
    """An attachment's sealed description, opened with its data key."""
    return _info(row, data_key)


def _info(row: CaseItem, data_key: bytes) -> AttachmentInfo:
    assert row.ciphertext is not None
    meta = json.loads(decrypt_with_data_key(data_key, row.ciphertext, item_context(row)))
    return AttachmentInfo(row.id, meta["filename"], meta["content_type"], int(meta["size"]), bool(meta["cleaned"]),
                          meta["parent"], row.author, row.created_on)


def info_for_city(row: CaseItem, city_private_key: bytes) -> AttachmentInfo:
    return _info(row, open_data_key(row.key_for_city, city_private_key, item_context(row), Recipient.CITY))


def info_for_reporter(row: CaseItem, reporter_private_key: bytes) -> AttachmentInfo:
    assert row.key_for_reporter is not None
    return _info(row, open_data_key(row.key_for_reporter, reporter_private_key, item_context(row),
                                    Recipient.REPORTER))


def _stored_chunks(db: Database, item_id: str, batch: int = 16) -> Iterator[bytes]:
    """The item's sealed chunks in order, a few rows at a time, so a large file is never whole in memory."""
    next_index = 0
    while True:
        with db.read() as session:
            rows = session.exec(select(ItemChunk.ciphertext).where(
                ItemChunk.item_id == item_id, col(ItemChunk.index) >= next_index)
                .order_by(col(ItemChunk.index)).limit(batch)).all()
        if not rows:
            return
        yield from rows
        next_index += len(rows)


def download_for_reviewer(
    db: Database, context: ReviewerContext, case_id: str, item_id: str, *, clock: Clock = utc_now
) -> tuple[AttachmentInfo, Iterator[bytes]]:
    """An attachment's description and its plaintext, chunk by chunk, for a reviewer who may read the case.
    The download is audited (docs/design.md#audit-log)."""
    case = readable_case(db, context, case_id, clock=clock)
    assert context.city_private_key is not None
    with db.write() as session:
        row = session.get(CaseItem, item_id) if len(item_id) <= 32 else None
        if (row is None or row.case_id != case.id or row.kind != KIND_ATTACHMENT or row.stream_header is None
                or not row.released):
            raise NotFound("no such attachment")
        city = audit.lock_city(session, case.city_id)
        audit.append(session, city, actor=context.actor, action=AuditAction.CASE_ATTACHMENT_DOWNLOADED, when=clock(),
                     subject=case.id, detail={"item": row.id})
    data_key = open_data_key(row.key_for_city, context.city_private_key, item_context(row), Recipient.CITY)
    info = _info(row, data_key)
    return info, open_chunks(data_key, item_context(row), row.stream_header, _stored_chunks(db, row.id))
