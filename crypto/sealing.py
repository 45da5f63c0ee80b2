"""Sealing one item of content: a fresh data key, AES-256-GCM content, the data key sealed with HPKE.

Every item (a report, an answer set, a message, a note, an attachment, a recording, an exit response) gets a
fresh 256-bit data key. The content is padded (crypto.padding: at least 1 KiB, then Padmé), encrypted under it
with AES-256-GCM, and the data key is sealed with
HPKE (RFC 9180, base mode) to the city's public key, and also to the reporter's public key where the reporter
may read the item back. The :class:`ItemContext` becomes the AEAD associated data and the HPKE ``info``, so a
ciphertext or sealed key moved to another city, case or item fails to open.
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass
from enum import StrEnum

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hpke
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from crypto import hpke_keys
from crypto.errors import DecryptionFailed
from crypto.padding import padded_length
from crypto.params import AES_GCM_NONCE_BYTES, AES_GCM_TAG_BYTES, DATA_KEY_BYTES, HPKE_AEAD, HPKE_KDF, HPKE_KEM

_SUITE = hpke.Suite(HPKE_KEM, HPKE_KDF, HPKE_AEAD)


class Recipient(StrEnum):
    """To whom a data key is sealed; part of the HPKE info so a city's sealed key is not a reporter's."""

    CITY = "city"
    REPORTER = "reporter"


@dataclass(frozen=True)
class ItemContext:
    """Where an item lives. Bound into every ciphertext as associated data."""

    city_id: int
    case_id: str
    item_id: str
    kind: str

    def associated_data(self) -> bytes:
        for part in (self.case_id, self.item_id, self.kind):
            if "|" in part:
                raise ValueError("item context parts may not contain '|'")
        return f"hotline/v1/item|city={self.city_id}|case={self.case_id}|item={self.item_id}|kind={self.kind}".encode()


@dataclass(frozen=True)
class SealedItem:
    """An item as stored: content ciphertext and its data key sealed to each reader."""

    ciphertext: bytes
    key_for_city: bytes
    key_for_reporter: bytes | None


def new_data_key() -> bytes:
    return os.urandom(DATA_KEY_BYTES)


# A padded plaintext (crypto.padding): a zero byte, the format version, the content's length, the content, zeros.
# Content sealed before padding existed is text or JSON, which never starts with a zero byte, so it still opens.
_PADDED_MARK = b"\x00\x01"
_PADDED_LENGTH = struct.Struct(">I")
_PADDED_HEADER = len(_PADDED_MARK) + _PADDED_LENGTH.size


def pad(plaintext: bytes, at_least: int = 0) -> bytes:
    """``plaintext`` padded as if it were at least ``at_least`` bytes long (so answers of different widths can
    seal to one size), then to a Padmé length of at least 1 KiB."""
    total = padded_length(_PADDED_HEADER + max(len(plaintext), at_least))
    return _PADDED_MARK + _PADDED_LENGTH.pack(len(plaintext)) + plaintext + bytes(total - _PADDED_HEADER
                                                                                  - len(plaintext))


def unpad(padded: bytes) -> bytes:
    if not padded.startswith(_PADDED_MARK):
        return padded  # sealed before padding: its content as it was
    if len(padded) < _PADDED_HEADER:
        raise DecryptionFailed("padded content is truncated")
    (length,) = _PADDED_LENGTH.unpack_from(padded, len(_PADDED_MARK))
    end = _PADDED_HEADER + length
    if end > len(padded) or any(padded[end:]):
        raise DecryptionFailed("padded content is malformed")
    return padded[_PADDED_HEADER:end]


def encrypt_with_data_key(data_key: bytes, plaintext: bytes, context: ItemContext, *, at_least: int = 0) -> bytes:
    """The content padded (crypto.padding; see :func:`pad`) and sealed under the item's data key."""
    nonce = os.urandom(AES_GCM_NONCE_BYTES)
    return nonce + AESGCM(data_key).encrypt(nonce, pad(plaintext, at_least), context.associated_data())


def decrypt_with_data_key(data_key: bytes, ciphertext: bytes, context: ItemContext) -> bytes:
    if len(ciphertext) < AES_GCM_NONCE_BYTES + AES_GCM_TAG_BYTES:
        raise DecryptionFailed("ciphertext is truncated")
    nonce, body = ciphertext[:AES_GCM_NONCE_BYTES], ciphertext[AES_GCM_NONCE_BYTES:]
    try:
        padded = AESGCM(data_key).decrypt(nonce, body, context.associated_data())
    except InvalidTag:
        raise DecryptionFailed("content does not open under this key and context") from None
    return unpad(padded)


def _hpke_info(context: ItemContext, recipient: Recipient) -> bytes:
    return b"hotline/v1/data-key|to=" + recipient.value.encode() + b"|" + context.associated_data()


def seal_data_key(
    data_key: bytes, public_key: bytes | hpke_keys.PublicKey, context: ItemContext, recipient: Recipient
) -> bytes:
    """The data key, sealed with HPKE to ``public_key`` for ``recipient``."""
    key = hpke_keys.load_public_key(public_key) if isinstance(public_key, bytes) else public_key
    return _SUITE.encrypt(data_key, key, info=_hpke_info(context, recipient))


def open_data_key(
    sealed_key: bytes, private_key: bytes | hpke_keys.PrivateKey, context: ItemContext, recipient: Recipient
) -> bytes:
    key = hpke_keys.load_private_key(private_key) if isinstance(private_key, bytes) else private_key
    try:
        data_key = _SUITE.decrypt(sealed_key, key, info=_hpke_info(context, recipient))
    except (InvalidTag, ValueError):
        raise DecryptionFailed("the data key does not open for this recipient and context") from None
    if len(data_key) != DATA_KEY_BYTES:
        raise DecryptionFailed("the sealed data key has the wrong length")
    return data_key


def seal_to_city(
    plaintext: bytes,
    context: ItemContext,
    city_public_key: bytes | hpke_keys.PublicKey,
    reporter_public_key: bytes | hpke_keys.PublicKey | None = None,
    *,
    at_least: int = 0,
) -> SealedItem:
    """Encrypt ``plaintext`` (padded as if at least ``at_least`` bytes long) under a fresh data key sealed to the
    city, and to the reporter when given."""
    data_key = new_data_key()
    return SealedItem(
        ciphertext=encrypt_with_data_key(data_key, plaintext, context, at_least=at_least),
        key_for_city=seal_data_key(data_key, city_public_key, context, Recipient.CITY),
        key_for_reporter=(
            seal_data_key(data_key, reporter_public_key, context, Recipient.REPORTER)
            if reporter_public_key is not None
            else None
        ),
    )


def open_for_city(
    ciphertext: bytes, key_for_city: bytes, context: ItemContext, city_private_key: bytes | hpke_keys.PrivateKey
) -> bytes:
    data_key = open_data_key(key_for_city, city_private_key, context, Recipient.CITY)
    return decrypt_with_data_key(data_key, ciphertext, context)


def open_for_reporter(
    ciphertext: bytes,
    key_for_reporter: bytes,
    context: ItemContext,
    reporter_private_key: bytes | hpke_keys.PrivateKey,
) -> bytes:
    data_key = open_data_key(key_for_reporter, reporter_private_key, context, Recipient.REPORTER)
    return decrypt_with_data_key(data_key, ciphertext, context)


def reseal_for_new_city_key(
    key_for_city: bytes,
    context: ItemContext,
    old_private_key: bytes | hpke_keys.PrivateKey,
    new_public_key: bytes | hpke_keys.PublicKey,
) -> bytes:
    """Key rotation (docs/design.md#key-rotation): the same data key, sealed to the new city key; content untouched."""
    data_key = open_data_key(key_for_city, old_private_key, context, Recipient.CITY)
    return seal_data_key(data_key, new_public_key, context, Recipient.CITY)
