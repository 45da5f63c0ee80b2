"""Statistics for a city or the whole region, and the annual report to a governing body (ISO 37002 9.1.2:
the organisation evaluates its whistleblowing system with indicators such as numbers of reports, their kinds,
and the time taken to handle them).

Content-free (only the facts a database dump reveals anyway) and anonymity-protected
(docs/design.md#publishing-statistics-safely): the figures of one calendar year, every breakdown sharing the
year's total; a count under 5 reads "fewer than 5" and further figures are withheld (complementary suppression,
intake.disclosure.suppression) until none of them can be worked out from the visible figures and the total; a
median needs 5 cases. The region's figures combine only cities whose own total is visible, need three of them,
and are protected against a reader who holds every city's own figures (intake.disclosure.regional). A regional
coordinator sees the region's figures only, never one city's; the region offers only years that have ended, so
that two views a day apart cannot be compared.

What leaves this module holds no hidden count at all: a hidden figure is ``None`` with how it is hidden.
"""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlmodel import col, select

from intake.accounts.reviewers import ROLE_ADMIN, ROLE_AUDITOR, ROLE_COORDINATOR, ROLE_REVIEWER
from intake.accounts.sessions import ReviewerContext
from intake.case_status import ASSESSING, CONCLUDED, INVESTIGATING, OUTCOMES, RECEIVED
from intake.categories import DEFAULT_CATEGORIES
from intake.clock import Clock, utc_now
from intake.db import Database
from intake.disclosure.regional import MINIMUM_CONTRIBUTORS, CityFigures, contributing, regional_vector
from intake.disclosure.suppression import DEFAULT_THRESHOLD, Shown, Unprotectable, Vector, suppress_distributions
from intake.errors import InvalidInput, NotFound
from intake.models import Case, City
from intake.reports.submission import CHANNELS

THRESHOLD = DEFAULT_THRESHOLD  # 5: the same for every city and the region
STATISTICS_ROLES = (ROLE_REVIEWER, ROLE_ADMIN, ROLE_AUDITOR)
REGION_ROLES = (ROLE_COORDINATOR,)
FIRST_YEAR = 2000

# Every breakdown of a year's cases, each a partition of them (so each adds up to the year's total).
CATEGORY_KEYS = tuple(category.slug for category in DEFAULT_CATEGORIES)
CHANNEL_KEYS = CHANNELS
STAGE_KEYS = (RECEIVED, ASSESSING, INVESTIGATING, *(f"{CONCLUDED}:{outcome}" for outcome in OUTCOMES))
IN_TIME, LATE, NOT_YET = "in_time", "late", "not_yet"
DEADLINE_KEYS = (IN_TIME, LATE, NOT_YET)
OVERDUE, NOT_OVERDUE = "overdue", "not_overdue"
OVERDUE_KEYS = (OVERDUE, NOT_OVERDUE)
BREAKDOWNS = ("category", "channel", "month", "stage", "acknowledgement", "feedback", "overdue")


@dataclass(frozen=True)
class Cell:
    """A published count: its value, or ``None`` and how it is hidden ("small": fewer than 5; "withheld")."""

    value: int | None
    shown: Shown = Shown.VISIBLE

    @property
    def suppressed(self) -> bool:
        return self.value is None

    @property
    def small(self) -> bool:
        return self.shown is Shown.SMALL


HIDDEN = Cell(None, Shown.WITHHELD)


def _cell(value: int, shown: Shown) -> Cell:
    return Cell(value if shown is Shown.VISIBLE else None, shown)


@dataclass(frozen=True)
class Breakdown:
    id: str  # one of BREAKDOWNS
    rows: tuple[tuple[str, Cell], ...]

    @property
    def hidden(self) -> bool:
        """Nothing of it can be shown: the page says so in one line instead of a table of blanks."""
        return all(cell.suppressed for _key, cell in self.rows)

    def cell(self, key: str) -> Cell:
        return next((cell for k, cell in self.rows if k == key), HIDDEN)


@dataclass(frozen=True)
class Median:
    days: float | None  # None: fewer than 5 cases (or, for the region, fewer than 3 cities) to take it over


@dataclass(frozen=True)
class Statistics:
    scope: str  # the city's name, or "the region"
    year: int
    complete: bool  # the year has ended (otherwise: figures to date)
    total: Cell
    by_category: Breakdown
    by_channel: Breakdown
    by_month: Breakdown  # keys "YYYY-MM"
    by_stage: Breakdown  # open stages, then "concluded:<outcome>"
    acknowledgement: Breakdown  # acknowledged within 7 days, after, not yet
    feedback: Breakdown  # feedback within 90 days, after, not yet
    overdue: Breakdown  # a deadline missed and still open today, or not
    days_to_acknowledge: Median
    days_to_conclude: Median
    previous_total: Cell  # the year before, as its own figures show it
    years: tuple[int, ...]  # the years that can be chosen, newest first
    regional: bool = False
    cities: tuple[str, ...] = ()  # the region: the cities whose figures are combined (when 3 or more)
    left_out: tuple[str, ...] = ()  # the region: cities with too few cases this year to take part
    previous_cities: tuple[str, ...] = ()  # the region: the cities combined in the year before
    threshold: int = THRESHOLD

    @property
    def enough_cities(self) -> bool:
        """For the region: whether enough cities take part for any regional figure to be shown."""
        return not self.regional or len(self.cities) >= MINIMUM_CONTRIBUTORS

    @property
    def breakdowns(self) -> tuple[Breakdown, ...]:
        return (self.by_category, self.by_channel, self.by_month, self.by_stage, self.acknowledgement,
                self.feedback, self.overdue)


@dataclass
class _Raw:
    """One city's true counts for a year. Never leaves this module."""

    total: int = 0
    counts: dict[str, Counter[str]] = field(default_factory=lambda: {name: Counter() for name in BREAKDOWNS})
    to_acknowledge: list[int] = field(default_factory=list)
    to_conclude: list[int] = field(default_factory=list)


def _keys(year: int) -> dict[str, tuple[str, ...]]:
    return {"category": CATEGORY_KEYS, "channel": CHANNEL_KEYS,
            "month": tuple(f"{year}-{m:02d}" for m in range(1, 13)), "stage": STAGE_KEYS,
            "acknowledgement": DEADLINE_KEYS, "feedback": DEADLINE_KEYS, "overdue": OVERDUE_KEYS}


def _deadline(done: date | None, due: date) -> str:
    return NOT_YET if done is None else IN_TIME if done <= due else LATE


def _raw(db: Database, city_ids: list[int], year: int, today: date) -> dict[int, _Raw]:
    columns = (col(Case.city_id), col(Case.category), col(Case.channel), col(Case.status), col(Case.outcome),
               col(Case.received_on), col(Case.acknowledged_on), col(Case.concluded_on), col(Case.next_due_on),
               col(Case.acknowledge_due_on), col(Case.feedback_given_on), col(Case.feedback_due_on))
    # Only released cases (docs/design.md#release-slots): a figure must not change before reviewers see a case.
    query = sa_select(*columns).where(col(Case.city_id).in_(city_ids), col(Case.released),
                                      col(Case.received_on) >= date(year, 1, 1),
                                      col(Case.received_on) <= date(year, 12, 31))
    found = {city_id: _Raw() for city_id in city_ids}
    with db.read() as session:
        # Streamed in batches: a region's year of cases is never whole in memory.
        for row in session.execute(query.execution_options(yield_per=5000)):
            (city_id, category, channel, status, outcome, received, acknowledged, concluded, next_due, ack_due,
             feedback_given, feedback_due) = row
            raw = found[city_id]
            raw.total += 1
            counts = raw.counts
            counts["category"][category if category in CATEGORY_KEYS else CATEGORY_KEYS[-1]] += 1
            counts["channel"][channel] += 1
            counts["month"][received.strftime("%Y-%m")] += 1
            counts["stage"][f"{CONCLUDED}:{outcome}" if status == CONCLUDED else status] += 1
            counts["acknowledgement"][_deadline(acknowledged, ack_due)] += 1
            counts["feedback"][_deadline(feedback_given, feedback_due)] += 1
            counts["overdue"][OVERDUE if next_due is not None and next_due < today else NOT_OVERDUE] += 1
            if acknowledged is not None:
                raw.to_acknowledge.append((acknowledged - received).days)
            if concluded is not None and status == CONCLUDED:
                raw.to_conclude.append((concluded - received).days)
    return found


@dataclass(frozen=True)
class _Published:
    """One city's figures as its own statistics show them (true counts kept for the regional check only)."""

    total_shown: Shown
    vectors: dict[str, Vector]


def _publish(raw: _Raw, keys: dict[str, tuple[str, ...]]) -> _Published:
    names = list(keys)
    distributions = []
    for name in names:
        counts = raw.counts[name]
        row = [counts.get(key, 0) for key in keys[name]]
        if sum(row) != raw.total:  # a value outside the keys (a channel added later): counted, never lost
            row[-1] += raw.total - sum(row)
        distributions.append(row)
    total_shown, vectors = suppress_distributions(distributions, THRESHOLD)
    return _Published(total_shown, dict(zip(names, vectors, strict=True)))


def _breakdown(name: str, keys: tuple[str, ...], vector: Vector) -> Breakdown:
    return Breakdown(name, tuple((key, _cell(value, shown))
                                 for key, value, shown in zip(keys, vector.values, vector.shown, strict=True)))


def _median(values: list[int], enough: bool = True) -> Median:
    if len(values) < THRESHOLD or not enough:
        return Median(None)
    return Median(float(statistics.median(values)))


def _years_with_cases(db: Database, city_ids: list[int]) -> int | None:
    with db.read() as session:
        first = session.exec(select(func.min(Case.received_on)).where(col(Case.city_id).in_(city_ids))).one()
    return first.year if first is not None else None


def _years(db: Database, city_ids: list[int], today: date, *, current: bool) -> tuple[int, ...]:
    last = today.year if current else today.year - 1
    first = min(_years_with_cases(db, city_ids) or last, today.year - 1)
    return tuple(range(last, max(first, FIRST_YEAR) - 1, -1))


def _choose(year: int | None, years: tuple[int, ...], today: date) -> int:
    if year is None:
        return today.year - 1  # the last complete year
    if year not in years:
        raise InvalidInput({"year": f"Choose a year from {years[-1]} to {years[0]}."})
    return year


def _totals(db: Database, city_ids: list[int], year: int) -> dict[int, int]:
    with db.read() as session:
        rows = session.exec(select(Case.city_id, func.count()).where(
            col(Case.city_id).in_(city_ids), col(Case.released), col(Case.received_on) >= date(year, 1, 1),
            col(Case.received_on) <= date(year, 12, 31)).group_by(col(Case.city_id))).all()
    return {city_id: count for city_id, count in rows}


def _total_cell(total: int) -> Cell:
    shown = Shown.SMALL if total < THRESHOLD else Shown.VISIBLE
    return _cell(total, shown)


def city_statistics(db: Database, context: ReviewerContext, year: int | None = None, *,
                    clock: Clock = utc_now) -> Statistics:
    """The figures of the reviewer's current city for one year (reviewers, admins and auditors); by default the
    last complete year."""
    if context.role not in STATISTICS_ROLES:
        raise NotFound("this role sees no city statistics")
    today = clock().date()
    years = _years(db, [context.city_id], today, current=True)
    chosen = _choose(year, years, today)
    keys = _keys(chosen)
    raw = _raw(db, [context.city_id], chosen, today)[context.city_id]
    published = _publish(raw, keys)
    breakdowns = {name: _breakdown(name, keys[name], published.vectors[name]) for name in BREAKDOWNS}
    previous = _totals(db, [context.city_id], chosen - 1).get(context.city_id, 0)
    return Statistics(
        scope=context.city_name, year=chosen, complete=chosen < today.year,
        total=_cell(raw.total, published.total_shown),
        by_category=breakdowns["category"], by_channel=breakdowns["channel"], by_month=breakdowns["month"],
        by_stage=breakdowns["stage"], acknowledgement=breakdowns["acknowledgement"],
        feedback=breakdowns["feedback"], overdue=breakdowns["overdue"],
        days_to_acknowledge=_median(raw.to_acknowledge), days_to_conclude=_median(raw.to_conclude),
        previous_total=_total_cell(previous), years=years)


def _region_cities(db: Database) -> list[tuple[int, str]]:
    with db.read() as session:
        return [(city_id, name) for city_id, name in
                session.exec(select(City.id, City.name).order_by(col(City.name))).all() if city_id is not None]


def region_statistics(db: Database, context: ReviewerContext, year: int | None = None, *,
                      clock: Clock = utc_now) -> Statistics:
    """The figures of the cities together, for the regional coordinator (MARC) only: complete years only, only
    cities whose own total is visible, at least three of them (intake.disclosure.regional)."""
    if context.role not in REGION_ROLES:
        raise NotFound("only the regional coordinator sees the region's statistics")
    today = clock().date()
    cities = _region_cities(db)
    ids = [city_id for city_id, _name in cities]
    years = _years(db, ids, today, current=False)
    chosen = _choose(year, years, today)
    keys = _keys(chosen)
    raws = _raw(db, ids, chosen, today)
    published = [_publish(raws[city_id], keys) for city_id in ids]
    taking_part = contributing([p.total_shown for p in published])
    names = tuple(cities[i][1] for i in taking_part)
    left_out = tuple(name for i, (_id, name) in enumerate(cities) if i not in taking_part)
    enough = len(taking_part) >= MINIMUM_CONTRIBUTORS
    breakdowns = {}
    for name in BREAKDOWNS:
        figures = [CityFigures.of(published[i].vectors[name]) for i in taking_part]
        try:
            vector = regional_vector(figures, THRESHOLD, len(keys[name]))
        except Unprotectable:
            vector = Vector(tuple(0 for _ in keys[name]), (Shown.WITHHELD,) * len(keys[name]), 0, Shown.WITHHELD)
        breakdowns[name] = _breakdown(name, keys[name], vector)
    total = sum(raws[ids[i]].total for i in taking_part)
    acknowledge = [days for i in taking_part for days in raws[ids[i]].to_acknowledge]
    conclude = [days for i in taking_part for days in raws[ids[i]].to_conclude]
    with_acknowledge = sum(1 for i in taking_part if raws[ids[i]].to_acknowledge)
    with_conclude = sum(1 for i in taking_part if raws[ids[i]].to_conclude)
    previous_totals = _totals(db, ids, chosen - 1)
    previous_part = [(name, previous_totals.get(city_id, 0)) for city_id, name in cities
                     if previous_totals.get(city_id, 0) >= THRESHOLD]
    previous = (_cell(sum(count for _n, count in previous_part), Shown.VISIBLE)
                if len(previous_part) >= MINIMUM_CONTRIBUTORS else HIDDEN)
    return Statistics(
        scope="the region", year=chosen, complete=True,
        total=_cell(total, Shown.VISIBLE) if enough else HIDDEN,
        by_category=breakdowns["category"], by_channel=breakdowns["channel"], by_month=breakdowns["month"],
        by_stage=breakdowns["stage"], acknowledgement=breakdowns["acknowledgement"],
        feedback=breakdowns["feedback"], overdue=breakdowns["overdue"],
        days_to_acknowledge=_median(acknowledge, enough and with_acknowledge >= MINIMUM_CONTRIBUTORS),
        days_to_conclude=_median(conclude, enough and with_conclude >= MINIMUM_CONTRIBUTORS),
        previous_total=previous, years=years, regional=True, cities=names, left_out=left_out,
        previous_cities=tuple(name for name, _count in previous_part)
        if len(previous_part) >= MINIMUM_CONTRIBUTORS else ())
