"""The partnership's view: a city publishes a closed quarter's suppressed figures; MARC's regional coordinator sees
each city beside the regional figures, for published quarters only, and never a response
(docs/design.md#exit-interviews).

A publication holds only what the city's own analytics show for that quarter (intake.analytics.figures_of):
hidden figures are stored as no number at all. The regional figure of a category is the sum of the cities'
figures when every publishing city shows its figure, and is withheld otherwise, so it is a sum of published
figures and can reveal nothing the cities' own columns do not (a regional total minus the visible cities would
otherwise give back a city's hidden figure). Regional figures need at least three publishing cities
(intake.disclosure.regional.MINIMUM_CONTRIBUTORS): with two, the region is one city's figures plus the other's,
and each city's HR could read the other's from it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlmodel import col, select

from intake import audit
from intake.audit.actions import AuditAction
from intake.clock import Clock, utc_now
from intake.db import Database
from intake.disclosure.regional import MINIMUM_CONTRIBUTORS
from intake.errors import AlreadyExists, InvalidInput, NotFound
from intake.exit.analytics import city_analytics, figures_of
from intake.exit.hr import HrAccess
from intake.models import City, ExitPublication, Reviewer

NOT_REGIONAL = ("department",)  # each city has its own departments: shown per city, never summed


def require_regional_coordinator(db: Database, reviewer_id: int) -> None:
    """:class:`NotFound` unless the reviewer is MARC's regional coordinator (Reviewer.regional_coordinator).

    The one check the regional pages go through, so the console's coordinator sessions can rewire it.
    """
    with db.read() as session:
        reviewer = session.get(Reviewer, reviewer_id)
    if reviewer is None or not reviewer.active or not reviewer.regional_coordinator:
        raise NotFound("no such page")


def _figures_to_publish(db: Database, hr: HrAccess, quarter: str, clock: Clock) -> str:
    """The quarter's figures exactly as the city's analytics show them, as stored and shown to the partnership."""
    analytics = city_analytics(db, hr, quarter, clock=clock, record=False)
    if analytics.release is None or analytics.release.quarter != quarter:
        raise InvalidInput({"quarter": "Only a quarter that has ended and has responses can be published."})
    return json.dumps(figures_of(analytics.release), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def publication_preview(db: Database, hr: HrAccess, quarter: str, *, clock: Clock = utc_now) -> RegionalView:
    """What the partnership would see of this city for ``quarter`` once published: the very figures
    :func:`publish_quarter` stores, laid out as the coordinator's page lays out one city. Nothing is written."""
    figures = _figures_to_publish(db, hr, quarter, clock)
    with db.read() as session:
        if session.get(ExitPublication, (hr.city_id, quarter)) is not None:
            raise AlreadyExists("this quarter was already published")
    return _view_of([(hr.city_name, json.loads(figures))], quarter, (quarter,), (hr.city_name,))


def publish_quarter(db: Database, hr: HrAccess, quarter: str, *, clock: Clock = utc_now) -> None:
    """Publish a closed quarter's figures exactly as the city's analytics show them. Once only: publishing the
    same quarter again under another threshold would let the two be compared."""
    figures = _figures_to_publish(db, hr, quarter, clock)
    with db.write() as session:
        city = audit.lock_city(session, hr.city_id)
        if session.get(ExitPublication, (hr.city_id, quarter)) is not None:
            raise AlreadyExists("this quarter was already published")
        session.add(ExitPublication(city_id=hr.city_id, quarter=quarter, figures=figures,
                                    published_on=clock().date(), published_by=hr.context.reviewer_id))
        audit.append(session, city, actor=hr.context.actor, action=AuditAction.EXIT_QUARTER_PUBLISHED, when=clock(),
                     subject=quarter)


@dataclass(frozen=True)
class RegionalRow:
    label: str  # a city's name, or "Region"
    values: tuple[int | None, ...]
    shown: tuple[str, ...]
    total: int | None
    summary: float | None
    threshold: int = 5  # the city's, for "fewer than N"


@dataclass(frozen=True)
class RegionalDistribution:
    id: str
    title: str
    kind: str
    categories: tuple[tuple[str, str], ...]
    rows: tuple[RegionalRow, ...]  # cities, then the region (when the figure is regional and 3 cities publish)
    regional: bool

    @property
    def hidden(self) -> bool:
        """No figure of it can be shown: the page names it in one line instead of a table of blanks."""
        return all(shown != "visible" for row in self.rows for shown in row.shown)


@dataclass(frozen=True)
class RegionalView:
    quarter: str | None
    quarters: tuple[str, ...]  # quarters some city published, newest first
    cities: tuple[str, ...]  # the cities that published the chosen quarter
    unpublished: tuple[str, ...]  # the cities that did not
    totals: RegionalRow | None  # only with at least 3 publishing cities
    distributions: tuple[RegionalDistribution, ...]

    @property
    def enough_cities(self) -> bool:
        return len(self.cities) >= MINIMUM_CONTRIBUTORS


def _regional_row(rows: list[RegionalRow], categories: int) -> RegionalRow:
    values: list[int | None] = []
    shown: list[str] = []
    for index in range(categories):
        parts = [row.values[index] for row in rows]
        if parts and all(part is not None for part in parts):
            values.append(sum(part for part in parts if part is not None))
            shown.append("visible")
        else:
            values.append(None)
            shown.append("withheld")
    totals = [row.total for row in rows]
    total = sum(t for t in totals if t is not None) if totals and all(t is not None for t in totals) else None
    return RegionalRow("Region", tuple(values), tuple(shown), total, None)


def published_quarters(db: Database, reviewer_id: int) -> tuple[str, ...]:
    """The quarters some city published, newest first (the coordinator's links to them)."""
    require_regional_coordinator(db, reviewer_id)
    with db.read() as session:
        return tuple(sorted(set(session.exec(select(ExitPublication.quarter)).all()), reverse=True))


def regional_view(db: Database, reviewer_id: int, quarter: str | None = None) -> RegionalView:
    require_regional_coordinator(db, reviewer_id)
    with db.read() as session:
        quarters = tuple(sorted(set(session.exec(select(ExitPublication.quarter)).all()), reverse=True))
        chosen = quarter if quarter in quarters else (quarters[0] if quarters else None)
        rows = session.exec(select(ExitPublication, City).join(City, col(City.id) == col(ExitPublication.city_id))
                            .where(ExitPublication.quarter == chosen).order_by(col(City.name))).all()
        all_cities = session.exec(select(City.name).order_by(col(City.name))).all()
    published: list[tuple[str, dict[str, Any]]] = [(city.name, json.loads(p.figures)) for p, city in rows]
    return _view_of(published, chosen, quarters, tuple(all_cities))


def _view_of(published: list[tuple[str, dict[str, Any]]], chosen: str | None, quarters: tuple[str, ...],
             all_cities: tuple[str, ...]) -> RegionalView:
    """The regional page's tables from the cities' published figures (each as :func:`figures_of` made them)."""
    names = tuple(name for name, _ in published)
    city_totals = [RegionalRow(name, (), (), figures["total"], None, figures["threshold"])
                   for name, figures in published]
    totals = None
    enough = len(published) >= MINIMUM_CONTRIBUTORS
    if enough:
        regional_total = _regional_row(city_totals, 0).total
        totals = RegionalRow("Region", (), (), regional_total, None)
    order: list[str] = []
    found: dict[str, dict[str, Any]] = {}
    for _name, figures in published:
        for distribution in figures["distributions"]:
            if distribution["id"] not in found:
                order.append(distribution["id"])
                found[distribution["id"]] = distribution
    distributions = []
    for distribution_id in order:
        first = found[distribution_id]
        categories = tuple((c[0], c[1]) for c in first["categories"])
        regional = distribution_id not in NOT_REGIONAL
        city_rows = []
        for name, figures in published:
            mine = next((d for d in figures["distributions"] if d["id"] == distribution_id), None)
            if mine is None:
                continue
            if regional:  # line the city's categories up with the region's
                by_value = {c[0]: i for i, c in enumerate(mine["categories"])}
                values = tuple(mine["values"][by_value[c]] if c in by_value else None for c, _ in categories)
                shown = tuple(mine["shown"][by_value[c]] if c in by_value else "withheld" for c, _ in categories)
            else:
                values, shown = tuple(mine["values"]), tuple(mine["shown"])
            city_rows.append(RegionalRow(name, values, shown, figures["total"], mine.get("summary"),
                                         figures["threshold"]))
        if not regional:
            for row, (_name, figures) in zip(city_rows, published, strict=False):
                mine = next(d for d in figures["distributions"] if d["id"] == distribution_id)
                distributions.append(RegionalDistribution(f"{distribution_id}-{row.label}",
                                                          f"{first['title']} ({row.label})", first["kind"],
                                                          tuple((c[0], c[1]) for c in mine["categories"]),
                                                          (row,), False))
            continue
        table_rows: tuple[RegionalRow, ...] = tuple(city_rows)
        if enough:
            table_rows = (*table_rows, _regional_row(city_rows, len(categories)))
        distributions.append(RegionalDistribution(distribution_id, first["title"], first["kind"], categories,
                                                  table_rows, enough))
    return RegionalView(chosen, quarters, names, tuple(n for n in all_cities if n not in names), totals,
                        tuple(distributions))
