"""A city: its public key, its recovery-wrapped private key and the head of its audit chain."""

from __future__ import annotations

import functools
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.sql.elements import BindParameter
from sqlalchemy.sql.visitors import replacement_traverse
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


def read_of_city(statement: Any, city: int | str, **values: Any) -> tuple[Any, dict[str, Any]]:
    """``statement`` (which names its city by the parameter ``city_id``) and its values, for ``city`` given by its
    id or by its slug. By slug, the city is found through a subquery on its unique slug, which never changes: a
    report's checks read with the city itself in one round trip to PostgreSQL, so they cannot wait for its id
    (`hotline bench intake`); a city with no such slug reads as none."""
    if isinstance(city, str):
        return _city_named_by_slug(statement), {"city_slug": city, **values}
    return statement, {"city_id": city, **values}


@functools.cache
def _city_named_by_slug(statement: Any) -> Any:
    # Built once for each statement: the parameter city_id replaced by the subquery.
    city = City.__table__  # type: ignore[attr-defined]
    city_id = select(city.c.id).where(city.c.slug == bindparam("city_slug")).scalar_subquery()

    def by_slug(element: Any, **_: Any) -> Any:
        return city_id if isinstance(element, BindParameter) and element.key == "city_id" else None

    no_options: dict[str, Any] = {}
    return replacement_traverse(statement, no_options, by_slug)
