import os

import pytest

from crypto.errors import DecryptionFailed
from crypto.padding import padded_length
from crypto.params import AES_GCM_TAG_BYTES, STREAM_CHUNK_BYTES
from crypto.sealing import ItemContext, new_data_key
from crypto.streaming import ChunkSealer, content_length, open_chunks, seal_chunks

CONTEXT = ItemContext(city_id=1, case_id="c", item_id="file-1", kind="attachment")


def sealed_file(data: bytes, key: bytes) -> tuple[bytes, list[bytes]]:
    pieces = [data[i : i + 10_000] for i in range(0, len(data), 10_000)] or [b""]
    header, chunks = seal_chunks(key, CONTEXT, pieces, len(data))
    return header, list(chunks)


@pytest.mark.parametrize("size", [0, 1, STREAM_CHUNK_BYTES - 9, STREAM_CHUNK_BYTES - 8, STREAM_CHUNK_BYTES,
                                  3 * STREAM_CHUNK_BYTES + 7])
def test_round_trip_at_every_boundary(size):
    data, key = os.urandom(size), new_data_key()
    header, chunks = sealed_file(data, key)
    padded = padded_length(8 + size)  # the length, the content, zeros
    assert header[0] == 2 and len(chunks) == -(-padded // STREAM_CHUNK_BYTES)
    assert sum(len(chunk) - AES_GCM_TAG_BYTES for chunk in chunks) == padded
    assert b"".join(open_chunks(key, CONTEXT, header, chunks)) == data
    assert content_length(key, CONTEXT, header, chunks[0]) == size


def test_files_of_nearby_sizes_seal_to_the_same_chunks():
    """14,000 and 14,300 bytes (and anything from 13,825 to 14,328) store exactly the same number of bytes."""
    key = new_data_key()
    shapes = {tuple(len(chunk) for chunk in sealed_file(os.urandom(size), key)[1]) for size in (14_000, 14_300)}
    assert shapes == {(14_336 + AES_GCM_TAG_BYTES,)}


def test_a_declared_length_that_does_not_match_is_refused():
    key = new_data_key()
    for declared in (9, 11):
        with pytest.raises(ValueError):
            list(seal_chunks(key, CONTEXT, [b"0123456789"], declared)[1])


def test_an_unpadded_stream_made_before_padding_still_opens():
    key = new_data_key()
    data = os.urandom(STREAM_CHUNK_BYTES + 100)
    sealer = ChunkSealer(key, CONTEXT)
    chunks = [sealer.seal(data[:STREAM_CHUNK_BYTES], final=False), sealer.seal(data[STREAM_CHUNK_BYTES:], final=True)]
    header = bytes([1]) + sealer.header[1:]
    assert b"".join(open_chunks(key, CONTEXT, header, chunks)) == data
    assert content_length(key, CONTEXT, header, chunks[0]) is None


def test_non_zero_padding_is_refused():
    """Padding is authenticated with the rest, and checked: a stream made with anything but zeros is refused."""
    key = new_data_key()
    sealer = ChunkSealer(key, CONTEXT)
    plain = (3).to_bytes(8, "big") + b"abc" + b"\x01" + bytes(1012)
    with pytest.raises(DecryptionFailed):
        b"".join(open_chunks(key, CONTEXT, sealer.header, [sealer.seal(plain, final=True)]))


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
