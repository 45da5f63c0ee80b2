"""Regional figures that add several cities together without giving one city's hidden figure back
(docs/design.md#publishing-statistics-safely).

Each city publishes its own suppressed figures (its statistics page and its annual report to its council). A
regional figure is the column total of a table whose rows are those cities: were it shown carelessly, the regional
figure minus the other cities' visible figures would be one city's "fewer than 5". So:

1. Only cities whose own total is visible take part (a city with fewer cases than the threshold is left out of
   the regional figures altogether, and the page says so), so the regional total is a sum of visible figures.
2. Regional figures need at least :data:`MINIMUM_CONTRIBUTORS` cities: with two, each city's own reviewers could
   take their figure from the region's and read the other's.
3. A regional figure is shown only when it reaches the threshold and at least three cities have cases in it.
4. Then, as in :mod:`intake.disclosure.suppression`, further regional figures are withheld until no city's
   hidden figure, and no regional figure under the threshold, follows from the visible ones. The check is made
   for a reader who sees every city's published figures, and again for each city's own staff, who also know
   their own figures exactly. (A withheld regional figure that reaches the threshold may follow: it is only the
   sum of figures that reader already knows.)

Pure: counts and suppression states in, suppression states out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from intake.disclosure.suppression import (
    Grid,
    GridCell,
    Shown,
    Unprotectable,
    Vector,
    check_threshold,
    withhold_until_safe,
)

MINIMUM_CONTRIBUTORS = 3


@dataclass(frozen=True)
class CityFigures:
    """One city's distribution: its true counts and how its own statistics show each of them."""

    values: tuple[int, ...]
    shown: tuple[Shown, ...]
    total: int
    total_shown: Shown

    @classmethod
    def of(cls, vector: Vector) -> CityFigures:
        return cls(vector.values, vector.shown, vector.total, vector.total_shown)


def contributing(totals: Sequence[Shown]) -> list[int]:
    """Indexes of the cities that take part in the regional figures: those whose own total is visible."""
    return [index for index, shown in enumerate(totals) if shown is Shown.VISIBLE]


def _grid(cities: Sequence[CityFigures], region: list[GridCell], threshold: int, insider: int | None) -> Grid:
    columns = len(region) - 1
    grid = Grid(rows=len(cities), columns=columns, threshold=threshold)
    for index, city in enumerate(cities):
        mine = index == insider  # a city's own staff know their own figures exactly
        grid.cells.append([GridCell(value, Shown.VISIBLE if mine else shown, locked=True)
                           for value, shown in zip(city.values, city.shown, strict=True)]
                          + [GridCell(city.total, Shown.VISIBLE if mine else city.total_shown, locked=True)])
    grid.cells.append(region)
    return grid


def regional_vector(cities: Sequence[CityFigures], threshold: int, columns: int) -> Vector:
    """The regional distribution of the given (contributing) cities, with its suppression decided.

    Every city's total must be visible (:func:`contributing`). With fewer than :data:`MINIMUM_CONTRIBUTORS`
    cities every figure, the total too, is withheld.
    """
    check_threshold(threshold)
    values = tuple(sum(city.values[j] for city in cities) for j in range(columns))
    total = sum(city.total for city in cities)
    if len(cities) < MINIMUM_CONTRIBUTORS or any(city.total_shown is not Shown.VISIBLE for city in cities):
        return Vector(values, (Shown.WITHHELD,) * columns, total, Shown.WITHHELD)
    region: list[GridCell] = []
    for j, value in enumerate(values):
        contributors = sum(1 for city in cities if city.values[j] > 0)
        shown = (Shown.SMALL if value < threshold else
                 Shown.WITHHELD if contributors < MINIMUM_CONTRIBUTORS else Shown.VISIBLE)
        region.append(GridCell(value, shown))
    region.append(GridCell(total, Shown.VISIBLE, locked=True))  # a sum of visible city totals
    # Insiders are checked in turn until none exposes anything: each pass can only withhold more regional figures,
    # so this ends. A city whose row has nothing hidden knows nothing an outsider does not.
    readers: list[int | None] = [None] + [i for i, city in enumerate(cities)
                                          if any(s is not Shown.VISIBLE for s in city.shown)]
    last = len(cities)

    def matters(i: int, j: int) -> bool:
        return i != last or region[j].value < threshold

    for _ in range(columns + 2):
        changed = False
        for reader in readers:
            grid = _grid(cities, region, threshold, reader)
            before = [cell.shown for cell in region]
            if not withhold_until_safe(grid, matters):
                # Even "fewer than 5" can be too much: a city that holds 2 of a regional "fewer than 3" knows
                # the others hold none. Then every regional figure of the distribution is withheld, unbounded.
                for cell in region[:-1]:
                    cell.shown = Shown.WITHHELD
                if any(matters(*cell) for cell in _grid(cities, region, threshold, reader).exposed()):
                    raise Unprotectable("the cities' own figures pin a hidden figure")
            changed |= [cell.shown for cell in region] != before
        if not changed:
            break
    return Vector(values, tuple(cell.shown for cell in region[:-1]), total, Shown.VISIBLE)
