"""Counts for operational metrics, chosen so that none says anything about a reporter.

Cases are counted by city and channel only, and only those received before today: a counter that moved at 14:03
would time a report to the minute, which rule 6 of docs/design.md#threat-model-and-anonymity-rules keeps even from
reviewers.
"""

from __future__ import annotations

from datetime import date

from sqlmodel import col, func, select

from intake.db import Database
from intake.models import Case, City, CityKeyRotation
from intake.models.keys import ROTATION_RUNNING


def case_counts(db: Database, received_before: date) -> dict[tuple[str, str], int]:
    """(city slug, channel) -> cases held that were received before ``received_before``."""
    with db.read() as session:
        rows = session.exec(
            select(City.slug, Case.channel, func.count())
            .join(Case, col(Case.city_id) == col(City.id))
            .where(col(Case.received_on) < received_before, col(Case.released))
            .group_by(col(City.slug), col(Case.channel))
        ).all()
    return {(slug, channel): count for slug, channel, count in rows}


def city_slugs(db: Database) -> list[str]:
    with db.read() as session:
        return list(session.exec(select(City.slug).order_by(col(City.slug))).all())


def rotations_running(db: Database) -> set[str]:
    with db.read() as session:
        return set(session.exec(select(City.slug).join(CityKeyRotation, col(CityKeyRotation.city_id) == col(City.id))
                                .where(CityKeyRotation.state == ROTATION_RUNNING)).all())
