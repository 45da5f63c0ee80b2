"""What waits for the next release slot (docs/design.md#release-slots): new cases and reporters' messages, and the
audit entries a reporter caused. Rows live only until the release; none holds a time of day."""

from __future__ import annotations

from datetime import date

from sqlmodel import Field, SQLModel


class ReleaseQueue(SQLModel, table=True):
    """A case, or an item of a case, to hand to reviewers at the next release."""

    __tablename__ = "release_queue"

    # Random, so the rows' order says nothing of arrival.
    id: str = Field(primary_key=True, max_length=32)
    city_id: int = Field(foreign_key="city.id", index=True)
    case_id: str = Field(foreign_key="cases.id", max_length=32, ondelete="CASCADE")
    # Set for a reporter's message, file or recording; None for the case itself.
    item_id: str | None = Field(default=None, foreign_key="case_item.id", max_length=32, ondelete="CASCADE")
    # The group the case goes to at the release (intake.routing); None for an item.
    group_id: int | None = Field(default=None, foreign_key="reviewer_group.id")


class HeldAuditEntry(SQLModel, table=True):
    """An audit entry a reporter or caller caused, appended to the city's chain at the next release, so the
    chain's order places it no closer than the release interval."""

    __tablename__ = "held_audit_entry"

    id: str = Field(primary_key=True, max_length=32)
    city_id: int = Field(foreign_key="city.id", index=True)
    # The entries of one subject keep their order (a case is submitted, then routed).
    subject: str | None = Field(default=None, max_length=128)
    ordinal: int
    recorded_on: date
    actor: str = Field(max_length=64)
    action: str = Field(max_length=64)
    detail: str | None = None
