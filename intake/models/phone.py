"""The phone side of a city: the numbers that ring through to it (for reports, or for exit interviews), whether
its callers' voices are disguised, and whether their audio is kept at all. Nothing here is about a caller."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import text, true
from sqlmodel import Field, SQLModel

PURPOSE_REPORTS = "reports"
PURPOSE_EXIT = "exit"
PURPOSES = (PURPOSE_REPORTS, PURPOSE_EXIT)


class PhoneNumber(SQLModel, table=True):
    """A number (E.164) bought for one city: a call to it goes straight to that city's menus, for reports, or
    to its exit interview by keypad."""

    __tablename__ = "phone_number"

    number: str = Field(primary_key=True, max_length=16)
    city_id: int = Field(foreign_key="city.id", index=True)
    created_at: datetime
    purpose: str = Field(default=PURPOSE_REPORTS, max_length=16,
                         sa_column_kwargs={"server_default": text("'reports'")})


class CityVoiceSettings(SQLModel, table=True):
    """Per-city phone choices. A city without a row has the defaults (voice disguise on,
    docs/design.md#threat-model-and-anonymity-rules, rule 5)."""

    __tablename__ = "city_voice_settings"

    city_id: int = Field(foreign_key="city.id", primary_key=True)
    disguise_voice: bool = Field(default=True, sa_column_kwargs={"server_default": true()})
    # False: transcript-only, the audio is transcribed in memory and never written anywhere
    # (docs/design.md#transcripts).
    keep_audio: bool = Field(default=True, sa_column_kwargs={"server_default": true()})
