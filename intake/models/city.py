"""A city: its public key, its recovery-wrapped private key and the head of its audit chain."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel


class City(SQLModel, table=True):
    __tablename__ = "city"

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=64, unique=True, index=True)
    name: str = Field(max_length=200)
    # HPKE public key (crypto.hpke_keys format); stored in clear, it only lets content be sealed to the city.
    public_key: bytes
    # The city private key wrapped under the city's recovery key (crypto.wrapping key blob).
    recovery_wrapped_private_key: bytes
    key_version: int = Field(default=1)
    # Case numbers are per city, allocated under the same row lock as the audit chain head.
    last_case_number: int = Field(default=0)
    audit_head_sequence: int = Field(default=0)
    audit_head_hash: bytes
    created_at: datetime
