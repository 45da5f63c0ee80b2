import os

import pytest

from crypto.errors import DecryptionFailed
from crypto.params import STREAM_CHUNK_BYTES
from crypto.sealing import ItemContext, new_data_key
from crypto.streaming import open_chunks, seal_chunks

CONTEXT = ItemContext(city_id=1, case_id="c", item_id="file-1", kind="attachment")


def sealed_file(data: bytes, key: bytes) -> tuple[bytes, list[bytes]]:
    pieces = [data[i : i + 10_000] for i in range(0, len(data), 10_000)] or [b""]
    header, chunks = seal_chunks(key, CONTEXT, pieces)
    return header, list(chunks)


@pytest.mark.parametrize("size", [0, 1, STREAM_CHUNK_BYTES - 1, STREAM_CHUNK_BYTES, 3 * STREAM_CHUNK_BYTES + 7])
def test_round_trip_at_every_boundary(size):
    data, key = os.urandom(size), new_data_key()
    header, chunks = sealed_file(data, key)
    assert len(chunks) == max(1, -(-size // STREAM_CHUNK_BYTES))
    assert b"".join(open_chunks(key, CONTEXT, header, chunks)) == data


def test_swapped_chunks_fail():
    key = new_data_key()
    header, chunks = sealed_file(os.urandom(3 * STREAM_CHUNK_BYTES), key)
    chunks[0], chunks[1] = chunks[1], chunks[0]
    with pytest.raises(DecryptionFailed):
        b"".join(open_chunks(key, CONTEXT, header, chunks))


def test_dropped_last_chunk_fails():
    key = new_data_key()
    header, chunks = sealed_file(os.urandom(3 * STREAM_CHUNK_BYTES), key)
    with pytest.raises(DecryptionFailed):
        b"".join(open_chunks(key, CONTEXT, header, chunks[:-1]))


def test_dropped_middle_chunk_fails():
    key = new_data_key()
    header, chunks = sealed_file(os.urandom(3 * STREAM_CHUNK_BYTES), key)
    with pytest.raises(DecryptionFailed):
        b"".join(open_chunks(key, CONTEXT, header, [chunks[0], chunks[2]]))


def test_extra_chunk_after_final_fails():
    key = new_data_key()
    header, chunks = sealed_file(os.urandom(STREAM_CHUNK_BYTES + 5), key)
    with pytest.raises(DecryptionFailed):
        b"".join(open_chunks(key, CONTEXT, header, [*chunks, chunks[-1]]))


def test_tampered_chunk_and_header_fail():
    key = new_data_key()
    header, chunks = sealed_file(os.urandom(2 * STREAM_CHUNK_BYTES), key)
    bad = bytearray(chunks[1])
    bad[3] ^= 0xFF
    with pytest.raises(DecryptionFailed):
        b"".join(open_chunks(key, CONTEXT, header, [chunks[0], bytes(bad)]))
    bad_header = header[:-1] + bytes([header[-1] ^ 1])
    with pytest.raises(DecryptionFailed):
        b"".join(open_chunks(key, CONTEXT, bad_header, chunks))


def test_wrong_context_fails():
    key = new_data_key()
    header, chunks = sealed_file(b"abc", key)
    other = ItemContext(city_id=1, case_id="c", item_id="file-2", kind="attachment")
    with pytest.raises(DecryptionFailed):
        b"".join(open_chunks(key, other, header, chunks))
