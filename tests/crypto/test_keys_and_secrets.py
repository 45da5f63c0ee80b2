import pytest

from crypto import hpke_keys
from crypto.errors import MalformedInput, WeakParameters, WrongSecret
from crypto.params import REPORT_KEY_KDF, REVIEWER_PASSWORD_KDF, Argon2Cost, check_parameters
from crypto.passwords import PasswordRecord, city_key_wrapping_key, enroll_password, unlock_with_password
from crypto.recovery import generate_recovery_key, recovery_wrapping_key
from crypto.report_keys import (
    format_report_key,
    generate_report_key,
    new_reporter_key_pair,
    parse_report_key,
    report_key_lookup,
    unwrap_reporter_private_key,
)
from crypto.wrapping import unwrap_with_key, unwrap_with_passphrase, wrap_under_key, wrap_under_passphrase

CHEAP = Argon2Cost(memory_kib=64, iterations=1, lanes=1)


def test_production_parameters_pass_and_weak_ones_are_refused():
    check_parameters()
    assert REVIEWER_PASSWORD_KDF.memory_kib >= 64 * 1024 and REVIEWER_PASSWORD_KDF.iterations >= 3
    assert REPORT_KEY_KDF.memory_kib >= 19 * 1024 and REPORT_KEY_KDF.iterations >= 2
    with pytest.raises(WeakParameters):
        check_parameters(CHEAP, REPORT_KEY_KDF)
    with pytest.raises(WeakParameters):
        check_parameters(REVIEWER_PASSWORD_KDF, CHEAP)
    check_parameters(CHEAP, CHEAP, allow_weak_kdf=True)


def test_a_report_key_is_one_uniform_draw_of_twenty_digits_leading_zeros_kept(monkeypatch):
    import crypto.report_keys as report_keys

    bounds = []

    def draw(bound: int) -> int:
        bounds.append(bound)
        return 42

    monkeypatch.setattr(report_keys.secrets, "randbelow", draw)
    assert generate_report_key() == "0" * 18 + "42"
    assert bounds == [10**20]  # every twenty-digit string, and only those, can be drawn


def test_report_keys_are_twenty_digits_and_lookup_is_peppered():
    keys = {generate_report_key() for _ in range(200)}
    assert len(keys) == 200
    for key in keys:
        assert len(key) == 20 and key.isdigit()
    key = keys.pop()
    assert format_report_key(key).replace(" ", "") == key
    assert len(format_report_key(key).split()) == 5
    assert parse_report_key(format_report_key(key)) == key
    assert parse_report_key(key[:-1]) is None
    assert parse_report_key(key + "1") is None
    assert parse_report_key("abcd" * 5) is None
    assert parse_report_key("١٢٣٤" * 5) is None  # Arabic-Indic digits are not keypad digits
    assert report_key_lookup(b"p" * 32, key) != report_key_lookup(b"q" * 32, key)
    assert report_key_lookup(b"p" * 32, key) == report_key_lookup(b"p" * 32, key)


def test_reporter_key_pair_opens_only_with_its_report_key_and_case():
    key = generate_report_key()
    public, wrapped = new_reporter_key_pair(key, "case-1", CHEAP)
    private = unwrap_reporter_private_key(wrapped, key, "case-1")
    assert hpke_keys.public_bytes_of(private) == public
    with pytest.raises(WrongSecret):
        unwrap_reporter_private_key(wrapped, generate_report_key(), "case-1")
    with pytest.raises(WrongSecret):
        unwrap_reporter_private_key(wrapped, key, "case-2")


def test_passphrase_wrapping_records_its_cost_and_fails_closed():
    blob = wrap_under_passphrase(b"secret", b"pass", CHEAP, b"ad")
    assert unwrap_with_passphrase(blob, b"pass", b"ad") == b"secret"
    with pytest.raises(WrongSecret):
        unwrap_with_passphrase(blob, b"wrong", b"ad")
    with pytest.raises(WrongSecret):
        unwrap_with_passphrase(blob, b"pass", b"other ad")
    # Claiming a different (cheaper) cost in the header changes the derived key and the AD: refused.
    forged = blob[:4] + (32).to_bytes(4, "big") + blob[8:]
    with pytest.raises(WrongSecret):
        unwrap_with_passphrase(forged, b"pass", b"ad")
    # A cost outside the accepted bounds is refused before any derivation.
    absurd = blob[:4] + (2**31).to_bytes(4, "big") + blob[8:]
    with pytest.raises(MalformedInput):
        unwrap_with_passphrase(absurd, b"pass", b"ad")


def test_key_wrapping_fails_closed():
    key = b"k" * 32
    blob = wrap_under_key(b"secret", key, b"ad")
    assert unwrap_with_key(blob, key, b"ad") == b"secret"
    with pytest.raises(WrongSecret):
        unwrap_with_key(blob, b"j" * 32, b"ad")
    with pytest.raises(WrongSecret):
        unwrap_with_key(blob[:-1] + bytes([blob[-1] ^ 1]), key, b"ad")
    with pytest.raises(WrongSecret):
        unwrap_with_key(blob, key, b"other")


def test_password_record_checks_and_derives_per_city_keys():
    record, master = enroll_password("correct horse", CHEAP)
    decoded = PasswordRecord.decode(record.encode())
    assert decoded == record
    assert unlock_with_password("correct horse", decoded) == master
    with pytest.raises(WrongSecret):
        unlock_with_password("Correct horse", decoded)
    assert city_key_wrapping_key(master, 1) != city_key_wrapping_key(master, 2)
    # Composed and decomposed accents are the same password (NFKC).
    record2, master2 = enroll_password("caf\u00e9", CHEAP)
    assert unlock_with_password("cafe\u0301", record2) == master2


def test_recovery_key_is_typed_in_groups_and_tolerates_spacing():
    key = generate_recovery_key()
    assert len(key.replace("-", "")) == 52
    loose = key.lower().replace("-", " ")
    assert recovery_wrapping_key(loose) == recovery_wrapping_key(key)
    with pytest.raises(WrongSecret):
        recovery_wrapping_key("not-a-key")
    assert recovery_wrapping_key(generate_recovery_key()) != recovery_wrapping_key(key)


def test_a_public_key_is_loaded_once_and_a_malformed_one_is_refused_every_time():
    public = hpke_keys.generate_key_pair().public_bytes
    assert hpke_keys.load_public_key(public) is hpke_keys.load_public_key(bytes(public))  # kept, by value
    for _ in range(2):  # a refusal is never kept as an answer
        with pytest.raises(MalformedInput):
            hpke_keys.load_public_key(b"\x01" + public[1:-1])
    for _ in range(hpke_keys.load_public_key.cache_info().maxsize or 0):  # bounded: reporters' keys pass once
        hpke_keys.load_public_key(hpke_keys.generate_key_pair().public_bytes)
    assert hpke_keys.load_public_key.cache_info().currsize == hpke_keys.load_public_key.cache_info().maxsize
