"""Statistics for a city or the whole region, and the annual report to a governing body (ISO 37002 9.1.2:
the organisation evaluates its whistleblowing system with indicators such as numbers of reports, their kinds,
and the time taken to handle them).

Content-free (only the facts a database dump reveals anyway), and anonymity-protected: any count under 5 is
shown as "fewer than 5", and a median is given only over 5 or more cases, so a small city's figures cannot be
matched to a person. A regional coordinator sees the region's figures only, never one city's.
"""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select as sa_select
from sqlmodel import col, select

from intake.accounts.reviewers import ROLE_ADMIN, ROLE_AUDITOR, ROLE_COORDINATOR, ROLE_REVIEWER
from intake.accounts.sessions import ReviewerContext
from intake.case_status import CONCLUDED, OUTCOMES
from intake.categories import DEFAULT_CATEGORIES
from intake.clock import Clock, utc_now
from intake.db import Database
from intake.errors import InvalidInput, NotFound
from intake.models import Case, City

SMALL_CELL = 5
STATISTICS_ROLES = (ROLE_REVIEWER, ROLE_ADMIN, ROLE_AUDITOR)
REGION_ROLES = (ROLE_COORDINATOR,)
FIRST_YEAR = 2000


@dataclass(frozen=True)
class Cell:
    """A count, or the fact that it is under 5 (``value`` is then None)."""

    value: int | None

    @property
    def suppressed(self) -> bool:
        return self.value is None

    @classmethod
    def of(cls, count: int) -> Cell:
        return cls(count if count >= SMALL_CELL else None)


@dataclass(frozen=True)
class Median:
    days: float | None  # None: fewer than 5 cases to take it over
    cases: Cell


@dataclass(frozen=True)
class Statistics:
    scope: str  # the city's name, or "the region"
    year: int | None  # None: every year
    total: Cell
    by_category: tuple[tuple[str, Cell], ...]
    by_channel: tuple[tuple[str, Cell], ...]
    by_month: tuple[tuple[str, Cell], ...]  # "YYYY-MM"
    by_outcome: tuple[tuple[str, Cell], ...]
    by_status: tuple[tuple[str, Cell], ...]
    days_to_acknowledge: Median
    days_to_conclude: Median
    overdue: Cell
    acknowledged_late: Cell  # acknowledged after the 7-day deadline
    cities: int  # how many cities the figures cover


def _median(values: list[int]) -> Median:
    if len(values) < SMALL_CELL:
        return Median(None, Cell.of(len(values)))
    return Median(float(statistics.median(values)), Cell.of(len(values)))


def _cells(counter: Counter[str], keys: list[str]) -> tuple[tuple[str, Cell], ...]:
    extra = sorted(k for k in counter if k not in keys)
    return tuple((key, Cell.of(counter.get(key, 0))) for key in [*keys, *extra])


def _compute(db: Database, city_ids: list[int], scope: str, year: int | None, today: date) -> Statistics:
    columns = (col(Case.category), col(Case.channel), col(Case.status), col(Case.outcome), col(Case.received_on),
               col(Case.acknowledged_on), col(Case.concluded_on), col(Case.next_due_on),
               col(Case.acknowledge_due_on))
    query = sa_select(*columns).where(col(Case.city_id).in_(city_ids))
    if year is not None:
        query = query.where(col(Case.received_on) >= date(year, 1, 1), col(Case.received_on) <= date(year, 12, 31))
    categories: Counter[str] = Counter()
    channels: Counter[str] = Counter()
    months: Counter[str] = Counter()
    outcomes: Counter[str] = Counter()
    statuses: Counter[str] = Counter()
    to_acknowledge: list[int] = []
    to_conclude: list[int] = []
    overdue = late = total = 0
    with db.read() as session:
        # Streamed in batches: a region's decade of cases is never whole in memory.
        for row in session.execute(query.execution_options(yield_per=5000)):
            (category, channel, status, outcome, received, acknowledged, concluded, next_due, ack_due) = row
            total += 1
            categories[category] += 1
            channels[channel] += 1
            months[received.strftime("%Y-%m")] += 1
            statuses[status] += 1
            if status == CONCLUDED and outcome:
                outcomes[outcome] += 1
            if acknowledged is not None:
                to_acknowledge.append((acknowledged - received).days)
                late += acknowledged > ack_due
            if concluded is not None and status == CONCLUDED:
                to_conclude.append((concluded - received).days)
            overdue += next_due is not None and next_due < today
    month_keys = [f"{year}-{m:02d}" for m in range(1, 13)] if year is not None else sorted(months)
    return Statistics(
        scope=scope, year=year, total=Cell.of(total),
        by_category=_cells(categories, [c.slug for c in DEFAULT_CATEGORIES]),
        by_channel=_cells(channels, sorted(channels)),
        by_month=_cells(months, month_keys),
        by_outcome=_cells(outcomes, list(OUTCOMES)),
        by_status=_cells(statuses, ["received", "assessing", "investigating", "concluded"]),
        days_to_acknowledge=_median(to_acknowledge), days_to_conclude=_median(to_conclude),
        overdue=Cell.of(overdue), acknowledged_late=Cell.of(late), cities=len(city_ids),
    )


def _check_year(year: int | None, today: date) -> None:
    if year is not None and not FIRST_YEAR <= year <= today.year:
        raise InvalidInput({"year": f"Choose a year from {FIRST_YEAR} to {today.year}."})


def city_statistics(db: Database, context: ReviewerContext, year: int | None = None, *,
                    clock: Clock = utc_now) -> Statistics:
    """The figures of the reviewer's current city (reviewers, admins and auditors)."""
    if context.role not in STATISTICS_ROLES:
        raise NotFound("this role sees no city statistics")
    today = clock().date()
    _check_year(year, today)
    return _compute(db, [context.city_id], context.city_name, year, today)


def region_statistics(db: Database, context: ReviewerContext, year: int | None = None, *,
                      clock: Clock = utc_now) -> Statistics:
    """The figures of every city together, for the regional coordinator (MARC) only."""
    if context.role not in REGION_ROLES:
        raise NotFound("only the regional coordinator sees the region's statistics")
    today = clock().date()
    _check_year(year, today)
    with db.read() as session:
        city_ids = [city_id for city_id in session.exec(select(City.id)).all() if city_id is not None]
    return _compute(db, city_ids, "the region", year, today)
