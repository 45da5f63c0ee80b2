"""Scratch files: what reaches the disk is ciphertext under a key only the object holds; reads seek anywhere."""

import io
import os

import pytest

from crypto.errors import DecryptionFailed
from crypto.scratch import SCRATCH_BLOCK_BYTES, ScratchFile


@pytest.mark.parametrize("size", [0, 1, SCRATCH_BLOCK_BYTES - 1, SCRATCH_BLOCK_BYTES, 3 * SCRATCH_BLOCK_BYTES + 5])
def test_round_trip_and_random_access(size):
    data = os.urandom(size)
    scratch = ScratchFile()
    for start in range(0, size, 10_000):
        scratch.write(data[start:start + 10_000])
    assert scratch.size == size
    assert b"".join(scratch.chunks()) == data
    reader = scratch.reader()
    for offset in (0, size // 2, max(0, size - 3)):
        reader.seek(offset)
        assert reader.read(7) == data[offset:offset + 7]
    reader.seek(-2, io.SEEK_END)
    assert reader.read() == data[-2:] if size >= 2 else True
    scratch.close()


def test_nothing_in_clear_on_disk_and_tampering_is_detected():
    marker = b"Marker plaintext that must never touch the disk " * 3000
    scratch = ScratchFile()
    scratch.write(marker)
    scratch.finish()
    raw = scratch._file
    raw.seek(0)
    on_disk = raw.read()
    assert b"Marker plaintext" not in on_disk and len(on_disk) > len(marker)
    raw.seek(5)
    flipped = bytes([raw.read(1)[0] ^ 0xFF])  # a real change whatever the byte was (writing 0 missed 1 in 256)
    raw.seek(5)
    raw.write(flipped)
    with pytest.raises(DecryptionFailed):
        scratch.reader().read(10)
    scratch.close()


def test_a_finished_file_takes_no_more_writes():
    scratch = ScratchFile()
    scratch.write(b"abc")
    scratch.finish()
    with pytest.raises(ValueError):
        scratch.write(b"more")
    scratch.close()
