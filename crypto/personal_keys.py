"""A reviewer's personal HPKE key pair, so a rotated city key can reach reviewers the server cannot unlock.

A reviewer's copy of a city key is wrapped under a key derived from their password, which the server never
holds, so key rotation (docs/design.md#key-rotation) cannot re-wrap it. Instead each reviewer has a personal key pair:
the public half in clear, the private half wrapped under HKDF of their password-derived master key. Rotation
seals the new city private key to each reviewer's public key (a "grant"); at their next sign-in the grant is
opened with the personal private key and re-wrapped under the password, like any other city key.

The grant is sealed to the reviewer's key, never under the old city key: rotation must help when the old city
key has leaked, so nothing new may be openable with it.
"""

from __future__ import annotations

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, hpke
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from crypto import hpke_keys
from crypto.errors import DecryptionFailed
from crypto.params import HPKE_AEAD, HPKE_KDF, HPKE_KEM
from crypto.wrapping import unwrap_with_key, wrap_under_key

_SUITE = hpke.Suite(HPKE_KEM, HPKE_KDF, HPKE_AEAD)


def personal_key_wrapping_key(master_key: bytes) -> bytes:
    """HKDF-SHA256 (RFC 5869) of the reviewer's master key (crypto.passwords), for their personal private key."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                info=b"hotline/v1/personal-key-wrap").derive(master_key)


def personal_binding(reviewer_id: int) -> bytes:
    return b"hotline/v1/personal-private-key|reviewer=%d" % reviewer_id


def new_personal_key_pair(master_key: bytes, reviewer_id: int) -> tuple[bytes, bytes]:
    """(public key, private key wrapped under the master key) for ``reviewer_id``."""
    pair = hpke_keys.generate_key_pair()
    wrapped = wrap_under_key(pair.private_bytes, personal_key_wrapping_key(master_key), personal_binding(reviewer_id))
    return pair.public_bytes, wrapped


def open_personal_private_key(wrapped: bytes, master_key: bytes, reviewer_id: int) -> bytes:
    """The personal private key; :class:`crypto.errors.WrongSecret` under any other master key."""
    return unwrap_with_key(wrapped, personal_key_wrapping_key(master_key), personal_binding(reviewer_id))


def _grant_info(city_id: int, reviewer_id: int, key_version: int) -> bytes:
    return b"hotline/v1/city-key-grant|city=%d|reviewer=%d|version=%d" % (city_id, reviewer_id, key_version)


def seal_city_key_to_reviewer(
    city_private_key: bytes, personal_public_key: bytes, *, city_id: int, reviewer_id: int, key_version: int
) -> bytes:
    """The city private key (of ``key_version``) sealed with HPKE (RFC 9180) to one reviewer's personal key."""
    return _SUITE.encrypt(city_private_key, hpke_keys.load_public_key(personal_public_key),
                          info=_grant_info(city_id, reviewer_id, key_version))


def open_city_key_grant(
    sealed: bytes, personal_private_key: bytes, *, city_id: int, reviewer_id: int, key_version: int
) -> bytes:
    """The city private key from a grant; :class:`DecryptionFailed` when the grant is not for this reviewer."""
    try:
        city_private_key = _SUITE.decrypt(sealed, hpke_keys.load_private_key(personal_private_key),
                                          info=_grant_info(city_id, reviewer_id, key_version))
    except (InvalidTag, ValueError):
        raise DecryptionFailed("the city key grant does not open for this reviewer") from None
    if len(city_private_key) != hpke_keys.PRIVATE_KEY_BYTES:
        raise DecryptionFailed("the city key grant holds no city key")
    return city_private_key
