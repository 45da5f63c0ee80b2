"""Exit interviews (docs/design.md#exit-interviews): per-city settings, versioned questionnaires, invitations,
sealed responses and the quarterly figures a city publishes to the partnership.

What is in clear is only what a database dump may reveal (docs/design.md#what-each-adversary-learns): that a
response exists, its city, its questionnaire version and its month. Every answer is sealed to the city key. In
anonymous mode no column of a response names or dates its invitation, and an invitation keeps no date of use.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel

MODE_ANONYMOUS = "anonymous"
MODE_CONFIDENTIAL = "confidential"
MODES = (MODE_ANONYMOUS, MODE_CONFIDENTIAL)

INVITED = "invited"
STARTED = "started"
COMPLETED = "completed"


class ExitSettings(SQLModel, table=True):
    """A city's choices. A city without a row uses the defaults below."""

    __tablename__ = "exit_settings"

    city_id: int = Field(foreign_key="city.id", primary_key=True)
    mode: str = Field(max_length=16, default=MODE_ANONYMOUS)
    # Cells of fewer responses than this are suppressed (intake.disclosure.suppression); never below 3.
    threshold: int = Field(default=5)
    # Days after the last day that an invitation link still works.
    invitation_days: int = Field(default=30)
    # The uninvited anonymous link: a random slug, or None when the city has not opened one.
    open_link: str | None = Field(default=None, max_length=64, unique=True)


class ExitQuestionnaire(SQLModel, table=True):
    """One version of a city's questionnaire. Versions with responses are kept for as long as those are."""

    __tablename__ = "exit_questionnaire"
    __table_args__ = (UniqueConstraint("city_id", "version", name="uq_exit_questionnaire_city_version"),)

    id: int | None = Field(default=None, primary_key=True)
    city_id: int = Field(foreign_key="city.id", index=True)
    version: int
    # Canonical JSON (intake.exit.questionnaire); questions, not answers, so not secret.
    definition: str
    created_on: date


class ExitInvitation(SQLModel, table=True):
    """An invitation HR made for one departing employee. The link and code are stored only as HMACs."""

    __tablename__ = "exit_invitation"
    __table_args__ = (Index("ix_exit_invitation_city_status", "city_id", "status"),)

    # Random (uuid4 hex): says nothing about when it was made or in which order.
    id: str = Field(primary_key=True, max_length=32)
    city_id: int = Field(foreign_key="city.id")
    # HMAC-SHA256 of the link token and of the short code under the server pepper.
    token_lookup: bytes = Field(unique=True)
    code_lookup: bytes = Field(unique=True)
    department: str = Field(max_length=64)
    separation_type: str = Field(max_length=64)
    last_day: date
    expires_on: date
    # invited -> started (the link was opened) -> completed. No date of use is kept.
    status: str = Field(max_length=16, default=INVITED)
    created_on: date
    created_by: int | None = Field(default=None, foreign_key="reviewer.id")


class ExitResponse(SQLModel, table=True):
    """One completed survey, sealed to the city key (crypto.sealing)."""

    __tablename__ = "exit_response"
    __table_args__ = (Index("ix_exit_response_city_period", "city_id", "period"),)

    # Random (uuid4 hex), bound into the ciphertext's associated data.
    id: str = Field(primary_key=True, max_length=32)
    city_id: int = Field(foreign_key="city.id")
    questionnaire_id: int = Field(foreign_key="exit_questionnaire.id", index=True)
    mode: str = Field(max_length=16)
    # The month only ("2026-03"): a day could be matched against last days (as LimeSurvey does).
    period: str = Field(max_length=7)
    # Confidential mode only; always None in anonymous mode.
    invitation_id: str | None = Field(default=None, foreign_key="exit_invitation.id", max_length=32,
                                      ondelete="SET NULL")
    ciphertext: bytes
    key_for_city: bytes


class ExitPublication(SQLModel, table=True):
    """A quarter's suppressed figures that a city published to the partnership: hidden cells carry no number."""

    __tablename__ = "exit_publication"

    city_id: int = Field(foreign_key="city.id", primary_key=True)
    quarter: str = Field(max_length=7, primary_key=True)  # "2026-Q1"
    figures: str  # canonical JSON of the suppressed release (intake.exit.regional)
    published_on: date
    published_by: int | None = Field(default=None, foreign_key="reviewer.id")
