"""Hybrid ML-KEM-768 + X25519 key pairs for HPKE (RFC 9180), as used by cities and by reporters.

A private key is stored as 96 bytes: the 64-byte ML-KEM-768 seed (FIPS 203 section 6.1) followed by the
32-byte X25519 scalar (RFC 7748). A public key is 1,216 bytes: the ML-KEM-768 encapsulation key followed by
the X25519 public key. Both carry a one-byte version prefix so the format can change later.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from cryptography.hazmat.primitives import hpke
from cryptography.hazmat.primitives.asymmetric import mlkem, x25519

from crypto.errors import MalformedInput

KEY_FORMAT_VERSION = 1
MLKEM768_SEED_BYTES = 64
MLKEM768_PUBLIC_BYTES = 1184
X25519_BYTES = 32
PRIVATE_KEY_BYTES = 1 + MLKEM768_SEED_BYTES + X25519_BYTES
PUBLIC_KEY_BYTES = 1 + MLKEM768_PUBLIC_BYTES + X25519_BYTES

PublicKey = hpke.MLKEM768X25519PublicKey
PrivateKey = hpke.MLKEM768X25519PrivateKey


@dataclass(frozen=True)
class KeyPair:
    """A freshly generated key pair with both halves in their stored form."""

    public_bytes: bytes
    private_bytes: bytes


def generate_key_pair() -> KeyPair:
    mlkem_key = mlkem.MLKEM768PrivateKey.generate()
    x25519_key = x25519.X25519PrivateKey.generate()
    private = bytes([KEY_FORMAT_VERSION]) + mlkem_key.private_bytes_raw() + x25519_key.private_bytes_raw()
    public = (
        bytes([KEY_FORMAT_VERSION])
        + mlkem_key.public_key().public_bytes_raw()
        + x25519_key.public_key().public_bytes_raw()
    )
    return KeyPair(public_bytes=public, private_bytes=private)


# Public keys only: a city's key is loaded for every item sealed to it (a report seals one or more), and loading
# it (checking the ML-KEM encapsulation key, FIPS 203 section 7.2) costs a fifth of a seal. The cache holds
# nothing secret; bounded, because every reporter's new key passes through it once.
@functools.lru_cache(maxsize=64)
def load_public_key(data: bytes) -> PublicKey:
    if len(data) != PUBLIC_KEY_BYTES or data[0] != KEY_FORMAT_VERSION:
        raise MalformedInput("not a hotline public key")
    mlkem_public = mlkem.MLKEM768PublicKey.from_public_bytes(data[1 : 1 + MLKEM768_PUBLIC_BYTES])
    x25519_public = x25519.X25519PublicKey.from_public_bytes(data[1 + MLKEM768_PUBLIC_BYTES :])
    return hpke.MLKEM768X25519PublicKey(mlkem_public, x25519_public)


def load_private_key(data: bytes) -> PrivateKey:
    if len(data) != PRIVATE_KEY_BYTES or data[0] != KEY_FORMAT_VERSION:
        raise MalformedInput("not a hotline private key")
    mlkem_private = mlkem.MLKEM768PrivateKey.from_seed_bytes(data[1 : 1 + MLKEM768_SEED_BYTES])
    x25519_private = x25519.X25519PrivateKey.from_private_bytes(data[1 + MLKEM768_SEED_BYTES :])
    return hpke.MLKEM768X25519PrivateKey(mlkem_private, x25519_private)


def public_bytes_of(private_bytes: bytes) -> bytes:
    """The stored public key that belongs to a stored private key (used to check an unwrapped key)."""
    if len(private_bytes) != PRIVATE_KEY_BYTES or private_bytes[0] != KEY_FORMAT_VERSION:
        raise MalformedInput("not a hotline private key")
    mlkem_private = mlkem.MLKEM768PrivateKey.from_seed_bytes(private_bytes[1 : 1 + MLKEM768_SEED_BYTES])
    x25519_private = x25519.X25519PrivateKey.from_private_bytes(private_bytes[1 + MLKEM768_SEED_BYTES :])
    return (
        bytes([KEY_FORMAT_VERSION])
        + mlkem_private.public_key().public_bytes_raw()
        + x25519_private.public_key().public_bytes_raw()
    )
