"""The per-city, append-only audit hash chain (docs/design.md#audit-log)."""

from __future__ import annotations

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel


class AuditEntry(SQLModel, table=True):
    __tablename__ = "audit_entry"
    __table_args__ = (
        UniqueConstraint("city_id", "sequence", name="uq_audit_city_sequence"),
        # A case's timeline is read from its audit entries (intake.audit.timeline).
        Index("ix_audit_city_subject", "city_id", "subject", "sequence"),
    )

    id: int | None = Field(default=None, primary_key=True)
    city_id: int = Field(foreign_key="city.id", index=True)
    sequence: int
    # ISO 8601 UTC. Reporter actions are recorded to the day only
    # (docs/design.md#threat-model-and-anonymity-rules, rule 6).
    recorded_at: str = Field(max_length=32)
    # "reporter", "phone caller", "reviewer:<id>" or "system": never an address or a number.
    actor: str = Field(max_length=64)
    action: str = Field(max_length=64)
    subject: str | None = Field(default=None, max_length=128)
    # Canonical JSON of non-content facts (a status, a count); never what a reporter said.
    detail: str | None = None
    previous_hash: bytes
    entry_hash: bytes
