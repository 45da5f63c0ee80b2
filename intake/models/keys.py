"""Key rotation and the keys that let rotation reach reviewers (docs/design.md#key-rotation).

- ``ReviewerKey``: a reviewer's personal HPKE key pair (crypto.personal_keys), private half wrapped under their
  password-derived master key.
- ``CityKeyGrant``: a rotated city private key sealed to one reviewer's personal key, waiting for their next
  sign-in to be re-wrapped under their password.
- ``CityKeyRotation``: one rotation of one city's key, durable so an interrupted rotation resumes: the new public
  key, the new private key wrapped under the city's recovery key (never under the old city key), and under the
  new recovery key that replaces it at the switch.
- ``ResealedCityKey``: an item's data key already sealed to the new city key, kept aside until the rotation
  finishes, so reviewers keep reading with the old key until the moment every item has moved. It remembers a
  digest of the sealed key it was made from: an item whose key changed meanwhile (a redaction) is re-sealed again
  at the switch instead of being given a key to content that no longer exists.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

ROTATION_RUNNING = "running"
ROTATION_DONE = "done"


class ReviewerKey(SQLModel, table=True):
    __tablename__ = "reviewer_key"

    reviewer_id: int = Field(foreign_key="reviewer.id", primary_key=True)
    public_key: bytes
    # Under crypto.personal_keys.personal_key_wrapping_key(master key): needs the reviewer's password.
    wrapped_private_key: bytes
    created_at: datetime


class CityKeyGrant(SQLModel, table=True):
    __tablename__ = "city_key_grant"

    reviewer_id: int = Field(foreign_key="reviewer.id", primary_key=True)
    city_id: int = Field(foreign_key="city.id", primary_key=True)
    key_version: int
    # The city private key of key_version, sealed with HPKE to the reviewer's ReviewerKey.public_key.
    sealed_city_key: bytes
    created_at: datetime


class CityKeyRotation(SQLModel, table=True):
    __tablename__ = "city_key_rotation"

    id: int | None = Field(default=None, primary_key=True)
    city_id: int = Field(foreign_key="city.id", index=True)
    from_version: int
    to_version: int
    state: str = Field(max_length=16, default=ROTATION_RUNNING)
    new_public_key: bytes
    # The new city private key wrapped under a recovery key (the same binding as City.recovery_wrapped_...): while
    # running, the recovery key the city had when the rotation started (a resumed run opens it with that); once
    # done, the city's recovery key from then on, so a replaced recovery key opens nothing here either.
    new_recovery_wrapped_private_key: bytes
    # The new city private key wrapped under a new recovery key made by the latest run (None: the city keeps its
    # recovery key). The switch makes it the city's; the new recovery key is printed once by the run that finishes.
    next_recovery_wrapped_private_key: bytes | None = None
    # crypto.recovery.recovery_key_check of the recovery key this rotation replaced, so that key is refused
    # later with a sentence that says when it was replaced, not only that it is wrong.
    retired_recovery_check: bytes | None = None
    items_total: int = Field(default=0)
    items_resealed: int = Field(default=0)
    started_at: datetime
    finished_at: datetime | None = None


class ResealedCityKey(SQLModel, table=True):
    __tablename__ = "resealed_city_key"

    item_id: str = Field(foreign_key="case_item.id", primary_key=True, max_length=32, ondelete="CASCADE")
    rotation_id: int = Field(foreign_key="city_key_rotation.id", index=True)
    key_for_city: bytes
    # SHA-256 of the item's key_for_city this was re-sealed from. At the switch, an item whose key no longer has
    # this digest changed meanwhile and is re-sealed again from what it holds now (None: unknown, re-sealed).
    source_digest: bytes | None = None
