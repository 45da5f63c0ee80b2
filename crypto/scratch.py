"""Scratch files that are never in clear on disk (docs/design.md#streaming: uploads are never in clear on disk).

An upload has to be held somewhere between arriving and being sealed to its city: it is too large for memory,
and its metadata must be stripped (which needs to seek in it) before it is sealed. A :class:`ScratchFile` is an
anonymous temporary file (``tempfile.TemporaryFile``: unlinked at once, so nothing is left behind even if the
process dies) whose blocks are AES-256-GCM under a throwaway key that lives only in this object. Losing the
object loses the key, which makes whatever reached the disk unreadable.

Each block is encrypted once, with its index as the nonce: the key is used for this one file only, so a counter
nonce never repeats (NIST SP 800-38D section 8.2.1, deterministic construction). Blocks have a fixed size, so a
reader can seek to any offset and decrypt only the block it needs.
"""

from __future__ import annotations

import io
import os
import struct
import tempfile
from collections.abc import Iterator
from typing import IO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from crypto.errors import DecryptionFailed
from crypto.params import AES_GCM_TAG_BYTES, DATA_KEY_BYTES

SCRATCH_BLOCK_BYTES = 64 * 1024
_SEALED_BLOCK_BYTES = SCRATCH_BLOCK_BYTES + AES_GCM_TAG_BYTES
_AD = b"hotline/v1/scratch"


def _nonce(index: int) -> bytes:
    return struct.pack(">QI", index, 0)


class ScratchFile(io.RawIOBase):
    """Write once, front to back; then read (and seek) as often as needed through :meth:`reader`.

    It is a binary file object for writing, so Pillow and pypdf can write their output straight into it.
    """

    def __init__(self, directory: str | None = None) -> None:
        super().__init__()
        self._aead = AESGCM(os.urandom(DATA_KEY_BYTES))
        self._file: IO[bytes] = tempfile.TemporaryFile(dir=directory)  # noqa: SIM115 (closed in close())
        self._buffer = bytearray()
        self._blocks = 0
        self._size = 0
        self._finished = False

    # -- writing
    def writable(self) -> bool:
        return not self._finished

    def write(self, data: bytes | bytearray | memoryview) -> int:  # type: ignore[override]
        if self._finished or self.closed:
            raise ValueError("the scratch file is finished")
        view = memoryview(data).cast("B")
        self._buffer += view
        self._size += len(view)
        while len(self._buffer) >= SCRATCH_BLOCK_BYTES:
            self._seal_block(bytes(self._buffer[:SCRATCH_BLOCK_BYTES]))
            del self._buffer[:SCRATCH_BLOCK_BYTES]
        return len(view)

    def tell(self) -> int:
        return self._size

    def _seal_block(self, block: bytes) -> None:
        self._file.seek(self._blocks * _SEALED_BLOCK_BYTES)
        self._file.write(self._aead.encrypt(_nonce(self._blocks), block, _AD))
        self._blocks += 1

    def finish(self) -> ScratchFile:
        """No more writes: the last partial block is sealed. Returns ``self``."""
        if not self._finished:
            if self._buffer:
                self._seal_block(bytes(self._buffer))
                self._buffer.clear()
            self._file.flush()
            self._finished = True
        return self

    @property
    def size(self) -> int:
        return self._size

    # -- reading
    def _block(self, index: int) -> bytes:
        self._file.seek(index * _SEALED_BLOCK_BYTES)
        sealed = self._file.read(_SEALED_BLOCK_BYTES)
        try:
            return self._aead.decrypt(_nonce(index), sealed, _AD)
        except InvalidTag:
            raise DecryptionFailed("a scratch block was changed on disk") from None

    def reader(self) -> ScratchReader:
        self.finish()
        return ScratchReader(self)

    def chunks(self, size: int = SCRATCH_BLOCK_BYTES) -> Iterator[bytes]:
        """The whole content, front to back, in pieces of at most ``size`` bytes."""
        reader = self.reader()
        while piece := reader.read(size):
            yield piece

    def close(self) -> None:
        if not self.closed:
            self._file.close()
            self._buffer.clear()
        super().close()


class ScratchReader(io.RawIOBase):
    """A seekable, read-only view of a finished :class:`ScratchFile` that decrypts one block at a time."""

    def __init__(self, scratch: ScratchFile) -> None:
        super().__init__()
        self._scratch = scratch
        self._position = 0
        self._cached_index = -1
        self._cached = b""

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._position, io.SEEK_END: self._scratch.size}[whence]
        self._position = max(0, base + offset)
        return self._position

    def readinto(self, buffer: memoryview | bytearray) -> int:  # type: ignore[override]
        target = memoryview(buffer).cast("B")
        if self._position >= self._scratch.size or not len(target):
            return 0
        index, within = divmod(self._position, SCRATCH_BLOCK_BYTES)
        if index != self._cached_index:
            self._cached = self._scratch._block(index)
            self._cached_index = index
        piece = self._cached[within : within + len(target)]
        target[: len(piece)] = piece
        self._position += len(piece)
        return len(piece)
