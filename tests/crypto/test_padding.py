"""Padding before sealing (docs/design.md#sealing-content): at least 1 KiB, then Padmé (Nikitin et al., PETS 2019)."""

import os

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from crypto.errors import DecryptionFailed
from crypto.padding import MIN_PADDED_BYTES, padded_length, padme
from crypto.sealing import ItemContext, decrypt_with_data_key, encrypt_with_data_key, new_data_key, seal_to_city

CONTEXT = ItemContext(city_id=1, case_id="c", item_id="i", kind="report")


def test_padme_matches_the_papers_algorithm():
    # A few lengths worked by hand from algorithm 1: keep the top floor(log2 E) + 1 bits of E = floor(log2 L).
    assert [padme(n) for n in (1, 2, 9, 100, 1000, 1024, 1025, 14_008, 14_308, 1_000_000)] == \
        [1, 2, 10, 104, 1024, 1024, 1088, 14_336, 14_336, 1_015_808]


def test_padme_overhead_stays_under_twelve_percent_and_never_shrinks():
    for length in [*range(2, 5000), *(int(1.37 ** k) for k in range(25, 60))]:
        padded = padme(length)
        assert length <= padded <= length * 1.12


def test_short_texts_all_seal_to_one_size():
    key = new_data_key()
    sizes = {len(encrypt_with_data_key(key, os.urandom(n), CONTEXT)) for n in (0, 1, 75, 300, 900, 1018)}
    assert sizes == {12 + MIN_PADDED_BYTES + 16}


def test_narratives_of_300_and_900_characters_seal_to_the_same_size():
    public = __import__("crypto.hpke_keys", fromlist=["generate_key_pair"]).generate_key_pair().public_bytes
    sealed = [seal_to_city(("x" * n).encode(), CONTEXT, public, public) for n in (300, 900)]
    assert len({(len(s.ciphertext), len(s.key_for_city), len(s.key_for_reporter or b"")) for s in sealed}) == 1


@pytest.mark.parametrize("size", [0, 5, 1018, 1019, 5000, 70_000])
def test_content_comes_back_exactly(size):
    key, data = new_data_key(), os.urandom(size)
    ciphertext = encrypt_with_data_key(key, data, CONTEXT)
    assert decrypt_with_data_key(key, ciphertext, CONTEXT) == data
    assert len(ciphertext) == 12 + padded_length(6 + size) + 16


def test_content_sealed_before_padding_still_opens_and_bad_padding_is_refused():
    key = new_data_key()
    nonce = os.urandom(12)
    legacy = nonce + AESGCM(key).encrypt(nonce, b'{"answers": {}}', CONTEXT.associated_data())
    assert decrypt_with_data_key(key, legacy, CONTEXT) == b'{"answers": {}}'
    forged = nonce + AESGCM(key).encrypt(nonce, b"\x00\x01\x00\x00\x00\x02ab\x07", CONTEXT.associated_data())
    with pytest.raises(DecryptionFailed):
        decrypt_with_data_key(key, forged, CONTEXT)
