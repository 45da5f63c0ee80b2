"""The phone side of a city: the numbers that ring through to it, and whether its callers' voices are
disguised. Nothing here is about a caller."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import true
from sqlmodel import Field, SQLModel


class PhoneNumber(SQLModel, table=True):
    """A number (E.164) bought for one city: a call to it goes straight to that city's menus."""

    __tablename__ = "phone_number"

    number: str = Field(primary_key=True, max_length=16)
    city_id: int = Field(foreign_key="city.id", index=True)
    created_at: datetime


class CityVoiceSettings(SQLModel, table=True):
    """Per-city phone choices. A city without a row has the defaults (voice disguise on,
    docs/design.md#threat-model-and-anonymity-rules, rule 5)."""

    __tablename__ = "city_voice_settings"

    city_id: int = Field(foreign_key="city.id", primary_key=True)
    disguise_voice: bool = Field(default=True, sa_column_kwargs={"server_default": true()})
