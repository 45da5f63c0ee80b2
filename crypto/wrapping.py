"""Wrapping a secret (a private key) under a passphrase or under a random 256-bit key.

A wrapped blob is self-describing so it can be opened years later after constants change:

    passphrase blob: b"HW1P" | memory_kib (u32) | iterations (u32) | lanes (u8) | salt (16) | nonce (12) | ct
    key blob:        b"HW1K" | nonce (12) | ct

The ciphertext is AES-256-GCM with caller-supplied associated data, which names what is wrapped and for whom
(for example the city and the reviewer), so a blob copied to another row fails to open.
"""

from __future__ import annotations

import os
import struct

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.argon2 import Argon2id

from crypto.errors import MalformedInput, WrongSecret
from crypto.params import AES_GCM_NONCE_BYTES, KDF_SALT_BYTES, Argon2Cost, within_absolute_bounds

PASSPHRASE_MAGIC = b"HW1P"
KEY_MAGIC = b"HW1K"
_COST_HEADER = struct.Struct(">IIB")


def derive_key_argon2id(secret: bytes, salt: bytes, cost: Argon2Cost) -> bytes:
    """Argon2id (RFC 9106) of a low-entropy secret into a 256-bit key."""
    if not within_absolute_bounds(cost):
        raise MalformedInput("refusing an Argon2id cost outside the accepted bounds")
    kdf = Argon2id(
        salt=salt,
        length=32,
        iterations=cost.iterations,
        lanes=cost.lanes,
        memory_cost=cost.memory_kib,
    )
    return kdf.derive(secret)


def wrap_under_passphrase(secret: bytes, passphrase: bytes, cost: Argon2Cost, associated_data: bytes) -> bytes:
    salt = os.urandom(KDF_SALT_BYTES)
    wrapping_key = derive_key_argon2id(passphrase, salt, cost)
    header = PASSPHRASE_MAGIC + _COST_HEADER.pack(cost.memory_kib, cost.iterations, cost.lanes) + salt
    nonce = os.urandom(AES_GCM_NONCE_BYTES)
    ciphertext = AESGCM(wrapping_key).encrypt(nonce, secret, header + associated_data)
    return header + nonce + ciphertext


def passphrase_blob_cost(blob: bytes) -> Argon2Cost:
    if len(blob) < len(PASSPHRASE_MAGIC) + _COST_HEADER.size or not blob.startswith(PASSPHRASE_MAGIC):
        raise MalformedInput("not a passphrase-wrapped blob")
    memory_kib, iterations, lanes = _COST_HEADER.unpack_from(blob, len(PASSPHRASE_MAGIC))
    return Argon2Cost(memory_kib=memory_kib, iterations=iterations, lanes=lanes)


def unwrap_with_passphrase(blob: bytes, passphrase: bytes, associated_data: bytes) -> bytes:
    cost = passphrase_blob_cost(blob)
    header_end = len(PASSPHRASE_MAGIC) + _COST_HEADER.size + KDF_SALT_BYTES
    if len(blob) < header_end + AES_GCM_NONCE_BYTES + 16:
        raise MalformedInput("passphrase-wrapped blob is truncated")
    header, salt = blob[:header_end], blob[header_end - KDF_SALT_BYTES : header_end]
    nonce = blob[header_end : header_end + AES_GCM_NONCE_BYTES]
    wrapping_key = derive_key_argon2id(passphrase, salt, cost)
    try:
        return AESGCM(wrapping_key).decrypt(nonce, blob[header_end + AES_GCM_NONCE_BYTES :], header + associated_data)
    except InvalidTag:
        raise WrongSecret("the passphrase does not open this blob") from None


def wrap_under_key(secret: bytes, key: bytes, associated_data: bytes) -> bytes:
    if len(key) != 32:
        raise MalformedInput("a wrapping key must be 256 bits")
    nonce = os.urandom(AES_GCM_NONCE_BYTES)
    return KEY_MAGIC + nonce + AESGCM(key).encrypt(nonce, secret, KEY_MAGIC + associated_data)


def unwrap_with_key(blob: bytes, key: bytes, associated_data: bytes) -> bytes:
    if len(key) != 32:
        raise MalformedInput("a wrapping key must be 256 bits")
    if not blob.startswith(KEY_MAGIC) or len(blob) < len(KEY_MAGIC) + AES_GCM_NONCE_BYTES + 16:
        raise MalformedInput("not a key-wrapped blob")
    nonce = blob[len(KEY_MAGIC) : len(KEY_MAGIC) + AES_GCM_NONCE_BYTES]
    try:
        return AESGCM(key).decrypt(nonce, blob[len(KEY_MAGIC) + AES_GCM_NONCE_BYTES :], KEY_MAGIC + associated_data)
    except InvalidTag:
        raise WrongSecret("the key does not open this blob") from None
