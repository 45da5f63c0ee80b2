"""Per-city retention rules (docs/design.md#operations-and-scale-out): how many days after its starting date a kind
of record is purged.

One row per (city, purger); a purger is a named rule in intake.operations.retention (``concluded-cases``, and later
exit responses and invitations from intake.exit.retention). No row means the city keeps that kind of record.
"""

from __future__ import annotations

from sqlmodel import Field, SQLModel


class RetentionRule(SQLModel, table=True):
    __tablename__ = "retention_rule"

    city_id: int = Field(foreign_key="city.id", primary_key=True)
    purger: str = Field(max_length=64, primary_key=True)
    keep_days: int
