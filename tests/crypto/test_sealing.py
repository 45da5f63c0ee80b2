import dataclasses

import pytest

from crypto import hpke_keys
from crypto.errors import DecryptionFailed
from crypto.sealing import (
    ItemContext,
    Recipient,
    open_data_key,
    open_for_city,
    open_for_reporter,
    reseal_for_new_city_key,
    seal_to_city,
)

CONTEXT = ItemContext(city_id=3, case_id="case-a", item_id="item-1", kind="report")


@pytest.fixture(scope="module")
def city():
    return hpke_keys.generate_key_pair()


@pytest.fixture(scope="module")
def reporter():
    return hpke_keys.generate_key_pair()


def flip(data: bytes, index: int) -> bytes:
    return data[:index] + bytes([data[index] ^ 1]) + data[index + 1 :]


def test_round_trip_for_city_and_reporter(city, reporter):
    sealed = seal_to_city(b"the narrative", CONTEXT, city.public_bytes, reporter.public_bytes)
    assert b"the narrative" not in sealed.ciphertext
    assert open_for_city(sealed.ciphertext, sealed.key_for_city, CONTEXT, city.private_bytes) == b"the narrative"
    assert sealed.key_for_reporter is not None
    assert (
        open_for_reporter(sealed.ciphertext, sealed.key_for_reporter, CONTEXT, reporter.private_bytes)
        == b"the narrative"
    )


def test_each_item_has_a_fresh_data_key(city):
    one = seal_to_city(b"same", CONTEXT, city.public_bytes)
    two = seal_to_city(b"same", CONTEXT, city.public_bytes)
    key_one = open_data_key(one.key_for_city, city.private_bytes, CONTEXT, Recipient.CITY)
    key_two = open_data_key(two.key_for_city, city.private_bytes, CONTEXT, Recipient.CITY)
    assert key_one != key_two
    assert one.ciphertext != two.ciphertext


@pytest.mark.parametrize("index", [0, 5, 12, 20, -1])
def test_tampered_content_fails_closed(city, index):
    sealed = seal_to_city(b"the narrative, long enough", CONTEXT, city.public_bytes)
    tampered = flip(sealed.ciphertext, index % len(sealed.ciphertext))
    with pytest.raises(DecryptionFailed):
        open_for_city(tampered, sealed.key_for_city, CONTEXT, city.private_bytes)


@pytest.mark.parametrize("index", [0, 100, 1100, -1])
def test_tampered_sealed_key_fails_closed(city, index):
    sealed = seal_to_city(b"x", CONTEXT, city.public_bytes)
    tampered = flip(sealed.key_for_city, index % len(sealed.key_for_city))
    with pytest.raises(DecryptionFailed):
        open_for_city(sealed.ciphertext, tampered, CONTEXT, city.private_bytes)


@pytest.mark.parametrize(
    "change", [{"city_id": 4}, {"case_id": "case-b"}, {"item_id": "item-2"}, {"kind": "note"}]
)
def test_moved_ciphertext_fails_to_open(city, change):
    sealed = seal_to_city(b"x", CONTEXT, city.public_bytes)
    elsewhere = dataclasses.replace(CONTEXT, **change)
    with pytest.raises(DecryptionFailed):
        open_for_city(sealed.ciphertext, sealed.key_for_city, elsewhere, city.private_bytes)


def test_content_under_the_right_key_but_wrong_context_fails(city):
    # Even with the data key in hand, the associated data must match.
    from crypto.sealing import decrypt_with_data_key

    sealed = seal_to_city(b"x", CONTEXT, city.public_bytes)
    data_key = open_data_key(sealed.key_for_city, city.private_bytes, CONTEXT, Recipient.CITY)
    with pytest.raises(DecryptionFailed):
        decrypt_with_data_key(data_key, sealed.ciphertext, dataclasses.replace(CONTEXT, item_id="other"))


def test_another_citys_key_cannot_open(city):
    other = hpke_keys.generate_key_pair()
    sealed = seal_to_city(b"x", CONTEXT, city.public_bytes)
    with pytest.raises(DecryptionFailed):
        open_for_city(sealed.ciphertext, sealed.key_for_city, CONTEXT, other.private_bytes)


def test_a_city_sealed_key_is_not_a_reporter_sealed_key(city):
    # The recipient is bound into the HPKE info.
    sealed = seal_to_city(b"x", CONTEXT, city.public_bytes)
    with pytest.raises(DecryptionFailed):
        open_for_reporter(sealed.ciphertext, sealed.key_for_city, CONTEXT, city.private_bytes)


def test_rotation_reseals_the_data_key_and_keeps_the_content(city):
    sealed = seal_to_city(b"kept", CONTEXT, city.public_bytes)
    new_city = hpke_keys.generate_key_pair()
    resealed = reseal_for_new_city_key(sealed.key_for_city, CONTEXT, city.private_bytes, new_city.public_bytes)
    assert open_for_city(sealed.ciphertext, resealed, CONTEXT, new_city.private_bytes) == b"kept"
    with pytest.raises(DecryptionFailed):
        open_for_city(sealed.ciphertext, resealed, CONTEXT, city.private_bytes)


def test_key_serialisation_round_trips(city):
    assert hpke_keys.public_bytes_of(city.private_bytes) == city.public_bytes
    hpke_keys.load_private_key(city.private_bytes)
    hpke_keys.load_public_key(city.public_bytes)
