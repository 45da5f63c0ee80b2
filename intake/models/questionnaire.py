"""Questionnaires per city and category, stored as data: a city admin edits them without a release."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Text, UniqueConstraint
from sqlmodel import Field, SQLModel


class Questionnaire(SQLModel, table=True):
    """One version of a city's questionnaire for one category. The highest version is the one asked; older
    versions are kept because answers were given to them."""

    __tablename__ = "questionnaire"
    __table_args__ = (
        UniqueConstraint("city_id", "category", "version", name="uq_questionnaire_city_category_version"),
    )

    id: int | None = Field(default=None, primary_key=True)
    city_id: int = Field(foreign_key="city.id", index=True)
    category: str = Field(max_length=64)
    version: int
    # The definition as canonical JSON (intake.reports.questionnaires.parse_definition checks it before it is stored).
    definition: str = Field(sa_type=Text)
    created_at: datetime
