"""Reading a posted form with files, as it streams.

Starlette's own form parser spools large files to a temporary file in clear, which rule 2 of
docs/design.md#threat-model-and-anonymity-rules forbids.
This reads ``multipart/form-data`` with python-multipart's push parser instead: each file part goes straight
into a :class:`crypto.scratch.ScratchFile` (encrypted under a throwaway key), and the size limits are enforced as
the bytes arrive. A file over the limit is dropped at once and the rest of the body is read and discarded (so
the browser sees the answer instead of a broken connection); the form comes back with the problem named.
Text fields are decoded as strict UTF-8. Plain ``application/x-www-form-urlencoded`` posts still work.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, cast

from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import Request

from crypto.scratch import ScratchFile
from intake.messages import N_, Message
from intake.reports.attachments import Upload, safe_filename


@dataclass(frozen=True)
class UploadLimits:
    max_file_bytes: int
    max_total_file_bytes: int
    max_files: int
    max_text_bytes: int


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):g} MB"


@dataclass
class PostedForm:
    """Text fields (every value of each name) and the files that arrived within the limits."""

    fields: dict[str, list[str]] = field(default_factory=dict)
    files: list[Upload] = field(default_factory=list)
    # A plain sentence when a limit was hit or the body could not be read; the files are then all dropped.
    problem: str | None = None
    # The form field the problem belongs to: "attachments" for a file limit, "form" for the form as a whole.
    problem_field: str = "attachments"
    unreadable: bool = False
    # The name of every file the sender attached, kept or dropped: a form shown again names them, since a
    # browser never fills a file input back in (the reporter must attach them again).
    attached: list[str] = field(default_factory=list)

    @property
    def filenames(self) -> tuple[str, ...]:
        return tuple(self.attached)

    def get(self, name: str) -> str:
        values = self.fields.get(name)
        return values[0] if values else ""

    def getlist(self, name: str) -> list[str]:
        return list(self.fields.get(name, ()))

    def drop_files(self) -> None:
        for upload in self.files:
            upload.content.close()
        self.files.clear()

    def close(self) -> None:
        self.drop_files()


async def read_form(request: Request, limits: UploadLimits) -> PostedForm:
    """The posted form. Never raises for bad input: ``unreadable`` or ``problem`` says what went wrong."""
    content_type, options = parse_options_header(request.headers.get("content-type", ""))
    if content_type != b"multipart/form-data":
        try:
            form = await request.form()
        except Exception:  # starlette raises several types for junk bodies
            return PostedForm(problem=N_("What you sent could not be read."), unreadable=True)
        posted = PostedForm()
        for name, value in form.multi_items():
            if isinstance(value, str):
                posted.fields.setdefault(name, []).append(value)
        return posted
    boundary = options.get(b"boundary")
    if not boundary or len(boundary) > 200:
        return PostedForm(problem=N_("What you sent could not be read."), unreadable=True)
    reader = _MultipartReader(limits)
    parser = MultipartParser(boundary, cast(Any, reader.callbacks()))
    try:
        async for chunk in request.stream():
            parser.write(chunk)
        parser.finalize()
    except (MultipartParseError, UnicodeDecodeError):
        reader.form.drop_files()
        reader.abandon()
        return PostedForm(problem=N_("What you sent could not be read."), unreadable=True)
    except BaseException:
        reader.form.drop_files()
        reader.abandon()
        raise
    return reader.form


class _MultipartReader:
    def __init__(self, limits: UploadLimits) -> None:
        self.limits = limits
        self.form = PostedForm()
        self._header_name = bytearray()
        self._header_value = bytearray()
        self._headers: dict[bytes, bytes] = {}
        self._name = ""
        self._filename: str | None = None
        self._text = bytearray()
        self._text_total = 0
        self._file: ScratchFile | None = None
        self._files_total = 0
        self._skipping = False

    def callbacks(self) -> dict[str, object]:
        return {
            "on_part_begin": self._part_begin, "on_header_field": self._header_field,
            "on_header_value": self._header_value_data, "on_header_end": self._header_end,
            "on_headers_finished": self._headers_finished, "on_part_data": self._part_data,
            "on_part_end": self._part_end,
        }

    def abandon(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def _limit_hit(self, problem: str, field: str = "attachments") -> None:
        if self.form.problem is None:
            self.form.problem = problem
            self.form.problem_field = field
        self.abandon()
        self.form.drop_files()
        self._skipping = True

    def _part_begin(self) -> None:
        self._headers = {}
        self._name, self._filename, self._skipping = "", None, False
        self._text = bytearray()

    def _header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_name += data[start:end]

    def _header_value_data(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def _header_end(self) -> None:
        self._headers[bytes(self._header_name).lower()] = bytes(self._header_value)
        self._header_name, self._header_value = bytearray(), bytearray()

    def _headers_finished(self) -> None:
        _, options = parse_options_header(self._headers.get(b"content-disposition", b""))
        self._name = options.get(b"name", b"").decode("utf-8", "replace")[:200]
        filename = options.get(b"filename")
        if filename is None:
            return
        self._filename = safe_filename(filename.decode("utf-8", "replace"))
        if not filename:  # a file input left empty: browsers still send an empty part
            self._skipping = True
            return
        if len(self.form.attached) < 100:
            self.form.attached.append(self._filename)
        if self.form.problem is not None:
            self._skipping = True
            return
        if len(self.form.files) >= self.limits.max_files:
            self._limit_hit(Message("Send at most %(count)s files at a time. Nothing was sent yet.",
                                    count=self.limits.max_files))
            return
        self._file = ScratchFile()

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        if self._skipping:
            return
        size = end - start
        if self._filename is None:
            self._text_total += size
            if self._text_total > self.limits.max_text_bytes:
                self._limit_hit(N_("The text you sent is too long. Nothing was sent yet."), "form")
                return
            self._text += data[start:end]
            return
        assert self._file is not None
        self._files_total += size
        if self._file.size + size > self.limits.max_file_bytes:
            self._limit_hit(Message("The file %(name)s is larger than %(limit)s. Nothing was sent yet: attach a "
                                    "smaller file, or send it in parts.", name=self._filename,
                                    limit=_megabytes(self.limits.max_file_bytes)))
            return
        if self._files_total > self.limits.max_total_file_bytes:
            self._limit_hit(Message("Together the files are larger than %(limit)s. Nothing was sent yet: send "
                                    "some of them later, with a follow-up message.",
                                    limit=_megabytes(self.limits.max_total_file_bytes)))
            return
        self._file.write(data[start:end])

    def _part_end(self) -> None:
        if self._skipping:
            return
        if self._filename is None:
            value = bytes(self._text).decode("utf-8")  # strict: invalid UTF-8 makes the form unreadable
            self.form.fields.setdefault(self._name, []).append(value)
            return
        assert self._file is not None
        self.form.files.append(Upload(self._filename, self._file.finish()))
        self._file = None
