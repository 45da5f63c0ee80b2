"""Reviewer groups, category routing and conflict-of-interest exclusions
(docs/design.md#routing-and-conflict-of-interest)."""

from __future__ import annotations

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

# What a group is for. Every city gets one of each when it is created (intake.routing.DEFAULT_GROUPS).
PURPOSE_CASES = "cases"  # receives cases by category
PURPOSE_ALTERNATE = "alternate"  # receives a case when every other reviewer is excluded (e.g. city attorney)
PURPOSE_HR = "hr"  # reads the city's exit interviews
GROUP_PURPOSES = (PURPOSE_CASES, PURPOSE_ALTERNATE, PURPOSE_HR)


class ReviewerGroup(SQLModel, table=True):
    __tablename__ = "reviewer_group"
    __table_args__ = (UniqueConstraint("city_id", "slug", name="uq_reviewer_group_city_slug"),)

    id: int | None = Field(default=None, primary_key=True)
    city_id: int = Field(foreign_key="city.id", index=True)
    slug: str = Field(max_length=64)
    name: str = Field(max_length=200)
    purpose: str = Field(max_length=16)


class GroupMember(SQLModel, table=True):
    __tablename__ = "group_member"

    group_id: int = Field(foreign_key="reviewer_group.id", primary_key=True)
    reviewer_id: int = Field(foreign_key="reviewer.id", primary_key=True, index=True)


class CategoryRoute(SQLModel, table=True):
    """Which group a city's cases of one category go to."""

    __tablename__ = "category_route"

    city_id: int = Field(foreign_key="city.id", primary_key=True)
    category: str = Field(max_length=64, primary_key=True)
    group_id: int = Field(foreign_key="reviewer_group.id")


class RoutingSeal(SQLModel, table=True):
    """Each city's routing exceptions, sealed (intake.routing.RoutingSet): which reviewers are excluded from which
    case and why, and which cases went to the alternate group. Sealed with AES-256-GCM under a key derived from
    the server's pepper and padded, so a dump without the configuration's secrets shows one blob per city and its
    bucketed size, never who, which case or why (docs/design.md#routing-and-conflict-of-interest)."""

    __tablename__ = "routing_seal"

    city_id: int = Field(foreign_key="city.id", primary_key=True)
    sealed: bytes


class CaseExclusion(SQLModel, table=True):
    """Exclusions as they were stored before the routing seal, in clear; no longer written. Rows left from then
    are folded into the seal and deleted at the next start (intake.routing.fold_legacy_exclusions)."""

    __tablename__ = "case_exclusion"

    case_id: str = Field(foreign_key="cases.id", primary_key=True, max_length=32, ondelete="CASCADE")
    reviewer_id: int = Field(foreign_key="reviewer.id", primary_key=True, index=True)
    # "named in report" or "excluded by reporter": why, never the matching text.
    reason: str = Field(max_length=32)
