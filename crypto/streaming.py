"""Chunked AES-256-GCM for files and audio, so neither is ever whole in memory.

This is the STREAM construction (Hoang, Reyhanitabar, Rogaway, Vizar, CRYPTO 2015) as used by age and Tink:
each chunk's 96-bit nonce is a random 7-byte prefix, the chunk's 32-bit index and a one-byte final flag. A
reordered, dropped, duplicated or truncated chunk fails to open, and so does anything after the final chunk.
The prefix is stored once as the stream header. The data key is fresh per item, as in :mod:`crypto.sealing`,
and the item's context is the associated data of every chunk.

Version 2 streams are padded (crypto.padding): their plaintext is the content's length (u64), the content, and
zeros up to a Padmé length of at least 1 KiB, so neither the number of chunks nor the last chunk's size gives the
content's size away. Version 1 streams (made before padding) are the content alone, and still open.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Iterable, Iterator

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from crypto.errors import DecryptionFailed, MalformedInput
from crypto.padding import padded_length
from crypto.params import AES_GCM_TAG_BYTES, STREAM_CHUNK_BYTES
from crypto.sealing import ItemContext

STREAM_VERSION = 2
UNPADDED_STREAM_VERSION = 1
_LENGTH = struct.Struct(">Q")
_PREFIX_BYTES = 7
HEADER_BYTES = 1 + _PREFIX_BYTES
_MAX_CHUNKS = 2**32 - 1


def _nonce(prefix: bytes, index: int, final: bool) -> bytes:
    return prefix + struct.pack(">IB", index, 1 if final else 0)


class ChunkSealer:
    """Encrypts one stream, chunk by chunk. Call :meth:`seal` for each chunk, with ``final`` on the last."""

    def __init__(self, data_key: bytes, context: ItemContext) -> None:
        self._aead = AESGCM(data_key)
        self._ad = context.associated_data()
        self._prefix = os.urandom(_PREFIX_BYTES)
        self._index = 0
        self._finished = False
        self.header = bytes([STREAM_VERSION]) + self._prefix

    def seal(self, chunk: bytes, *, final: bool) -> bytes:
        if self._finished:
            raise ValueError("the stream is already finished")
        if len(chunk) > STREAM_CHUNK_BYTES:
            raise ValueError("chunk is larger than STREAM_CHUNK_BYTES")
        if self._index >= _MAX_CHUNKS:
            raise ValueError("stream is too long")
        sealed = self._aead.encrypt(_nonce(self._prefix, self._index, final), chunk, self._ad)
        self._index += 1
        self._finished = final
        return sealed


def seal_chunks(data_key: bytes, context: ItemContext, chunks: Iterable[bytes],
                length: int) -> tuple[bytes, Iterator[bytes]]:
    """The stream header and an iterator of sealed chunks of the padded content, re-chunked to
    STREAM_CHUNK_BYTES. ``chunks`` must add up to ``length`` bytes (ValueError otherwise).

    Reads one chunk ahead so the last one can be flagged final.
    """
    sealer = ChunkSealer(data_key, context)
    total = padded_length(_LENGTH.size + length)

    def padded() -> Iterator[bytes]:
        yield _LENGTH.pack(length)
        given = 0
        for piece in chunks:
            given += len(piece)
            if given > length:
                raise ValueError("the content is longer than its declared length")
            yield piece
        if given != length:
            raise ValueError("the content is shorter than its declared length")
        remaining = total - _LENGTH.size - length
        while remaining:
            zeros = min(remaining, STREAM_CHUNK_BYTES)
            yield bytes(zeros)
            remaining -= zeros

    def rechunk() -> Iterator[bytes]:
        buffer = bytearray()
        for piece in padded():
            buffer += piece
            while len(buffer) >= STREAM_CHUNK_BYTES:
                yield bytes(buffer[:STREAM_CHUNK_BYTES])
                del buffer[:STREAM_CHUNK_BYTES]
        yield bytes(buffer)

    def sealed() -> Iterator[bytes]:
        pending: bytes | None = None
        for chunk in rechunk():
            if pending is not None:
                if not chunk:  # the input ended on a chunk boundary: the pending chunk is the last one
                    break
                yield sealer.seal(pending, final=False)
            pending = chunk
        assert pending is not None
        yield sealer.seal(pending, final=True)

    return sealer.header, sealed()


def _open_raw(data_key: bytes, context: ItemContext, header: bytes,
              sealed_chunks: Iterable[bytes]) -> Iterator[bytes]:
    aead = AESGCM(data_key)
    ad = context.associated_data()
    prefix = header[1:]
    finished = False
    for index, sealed in enumerate(sealed_chunks):
        if finished:
            raise DecryptionFailed("data after the final chunk")
        if len(sealed) < AES_GCM_TAG_BYTES:
            raise DecryptionFailed("chunk is truncated")
        try:
            yield aead.decrypt(_nonce(prefix, index, False), sealed, ad)
            continue
        except InvalidTag:
            pass
        try:
            plain = aead.decrypt(_nonce(prefix, index, True), sealed, ad)
        except InvalidTag:
            raise DecryptionFailed(f"chunk {index} does not open in this position") from None
        finished = True
        yield plain
    if not finished:
        raise DecryptionFailed("the stream ends before its final chunk")


def _unpadded(raw: Iterator[bytes]) -> Iterator[bytes]:
    """The content of a padded stream: after its length, before the zeros."""
    head = b""
    remaining: int | None = None
    for chunk in raw:
        if remaining is None:
            head += chunk
            if len(head) < _LENGTH.size:
                continue
            (remaining,) = _LENGTH.unpack_from(head)
            chunk = head[_LENGTH.size:]
        content, padding = chunk[:remaining], chunk[remaining:]
        if any(padding):
            raise DecryptionFailed("the stream's padding is not zero")
        remaining -= len(content)
        if content:
            yield content
    if remaining is None or remaining:
        raise DecryptionFailed("the stream is shorter than its declared length")


def open_chunks(
    data_key: bytes, context: ItemContext, header: bytes, sealed_chunks: Iterable[bytes]
) -> Iterator[bytes]:
    """Plaintext content, each piece yielded only after its chunk authenticates; fails closed on any reordering or
    truncation."""
    if len(header) != HEADER_BYTES or header[0] not in (STREAM_VERSION, UNPADDED_STREAM_VERSION):
        raise MalformedInput("not a stream header")
    raw = _open_raw(data_key, context, header, sealed_chunks)
    return _unpadded(raw) if header[0] == STREAM_VERSION else raw


def content_length(data_key: bytes, context: ItemContext, header: bytes, first_sealed_chunk: bytes) -> int | None:
    """The content's length as a padded stream states it (its first chunk must authenticate); None for an unpadded
    stream, whose content is its chunks less their tags."""
    if len(header) != HEADER_BYTES or header[0] not in (STREAM_VERSION, UNPADDED_STREAM_VERSION):
        raise MalformedInput("not a stream header")
    if header[0] == UNPADDED_STREAM_VERSION:
        return None
    aead = AESGCM(data_key)
    for final in (False, True):
        try:
            first = aead.decrypt(_nonce(header[1:], 0, final), first_sealed_chunk, context.associated_data())
        except InvalidTag:
            continue
        if len(first) < _LENGTH.size:
            raise DecryptionFailed("the stream's first chunk is too short")
        return int(_LENGTH.unpack_from(first)[0])
    raise DecryptionFailed("chunk 0 does not open in this position")
