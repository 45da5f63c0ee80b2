import os

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crypto.audit_chain import (
    ChainHead,
    EntryHasher,
    canonical_entry_bytes,
    chain_hash,
    chain_head_signature_valid,
    genesis_hash,
    sign_chain_head,
    signing_public_key,
)


def test_chain_hash_depends_on_previous_and_every_field():
    prev = genesis_hash("raytown")
    fields = {"seq": 1, "actor": "reporter", "action": "case.submitted", "subject": "c1", "detail": None}
    base = chain_hash(prev, fields)
    assert chain_hash(prev, dict(reversed(list(fields.items())))) == base  # canonical: key order is irrelevant
    assert chain_hash(genesis_hash("grandview"), fields) != base
    for key in fields:
        changed = dict(fields, **{key: "x"})
        assert chain_hash(prev, changed) != base


def test_signed_head_verifies_and_detects_any_change():
    seed = os.urandom(32)
    head = ChainHead(city_slug="raytown", sequence=7, entry_hash=os.urandom(32))
    signature = sign_chain_head(head, seed)
    public = signing_public_key(seed)
    assert chain_head_signature_valid(head, signature, public)
    assert not chain_head_signature_valid(ChainHead("raytown", 8, head.entry_hash), signature, public)
    assert not chain_head_signature_valid(ChainHead("grandview", 7, head.entry_hash), signature, public)
    assert not chain_head_signature_valid(head, signature, signing_public_key(os.urandom(32)))
    assert not chain_head_signature_valid(head, signature[:-1] + bytes([signature[-1] ^ 1]), public)


values = st.one_of(st.none(), st.text(), st.integers(), st.booleans())


@given(st.text(), values, values, values, values, values, values, st.binary(min_size=32, max_size=32))
def test_the_entry_hasher_writes_exactly_the_canonical_bytes(city, sequence, recorded_at, actor, action, subject,
                                                              detail, previous):
    """Verification rebuilds entries with EntryHasher and appending with chain_hash: any difference between the two,
    in escaping, key order or a type, would make a sound chain fail to verify (or a changed one pass)."""
    fields = {"city": city, "sequence": sequence, "recorded_at": recorded_at, "actor": actor, "action": action,
              "subject": subject, "detail": detail}
    try:
        expected = canonical_entry_bytes(fields)
    except UnicodeEncodeError:  # a lone surrogate has no UTF-8: neither may accept it
        with pytest.raises(UnicodeEncodeError):
            EntryHasher(city).payload(sequence, recorded_at, actor, action, subject, detail)
        return
    hasher = EntryHasher(city)
    assert hasher.payload(sequence, recorded_at, actor, action, subject, detail) == expected
    assert hasher.entry_hash(previous, sequence, recorded_at, actor, action, subject, detail) == chain_hash(
        previous, fields)
