import os

from crypto.audit_chain import (
    ChainHead,
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
