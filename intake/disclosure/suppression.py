"""Cell suppression for published statistics: primary and complementary (docs/design.md#publishing-statistics-safely).

A count below the city's threshold (default 5, never below 3) is a *small* cell and is shown only as "fewer
than 5". Hiding small cells is not enough: a published total minus the visible cells of its row would give a
hidden cell back. So more cells are *withheld* (complementary suppression) until no hidden cell follows from the
visible figures.

The check is exact, not a rule of thumb. Write a table with its margins as an augmented grid whose rows and
columns each sum to zero (margins negated, the grand total kept). The values the hidden cells can take are then
the current ones plus any combination of cycles in the bipartite graph whose nodes are the grid's rows and
columns and whose edges are the hidden cells (Cox, "Suppression methodology and statistical disclosure control",
JASA 75 (1980); the network view of Kelly, Golden and Assad, "Cell suppression: disclosure protection for
sensitive tabular data", Networks 22 (1992)). A hidden cell keeps its secret exactly when some cycle through it
can be pushed one step (+1 on it, alternating -1/+1 around the cycle) without any count going negative or, for a
small cell the reader knows is below the threshold, reaching the threshold. By the conformal decomposition of
circulations, if no single cycle can move it, nothing can: its value follows from the visible figures. So
:func:`exposed_cells` is both necessary and sufficient, and :func:`protect` adds the cheapest cycle (a shortest
path, cost = the counts it hides) for each exposed cell until none is left.

Margins shared between tables are decided once, in one place, and *locked* in every table that uses them, so two
tables never show the same total differently (a total hidden in one and visible in another would undo both).
A margin the tables do not publish (the columns of a single distribution) is *virtual*: an unknown with no
bounds that takes part in the equations but is never shown.

Shared by the exit-interview analytics (intake.exit.analytics), the case statistics (intake.casework.statistics)
and the regional figures (intake.disclosure.regional). Everything here is pure: lists of integers in, flags
out, no database, no I/O.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

DEFAULT_THRESHOLD = 5
MINIMUM_THRESHOLD = 3  # a city may raise the threshold, never lower it below 3


class Shown(StrEnum):
    """How a published figure appears."""

    VISIBLE = "visible"
    SMALL = "small"  # primary: a count below the threshold ("fewer than 5")
    WITHHELD = "withheld"  # complementary: hidden so that no small cell can be worked out


@dataclass
class GridCell:
    value: int
    shown: Shown
    locked: bool = False  # decided elsewhere (a shared margin): never changed here
    virtual: bool = False  # not published at all; an unbounded unknown


@dataclass
class Grid:
    """A table of ``rows`` x ``columns`` counts with a margin row, a margin column and the grand total.

    ``cells[i][j]`` for ``i < rows`` and ``j < columns`` is the interior; ``cells[i][columns]`` the row totals;
    ``cells[rows][j]`` the column totals; ``cells[rows][columns]`` the grand total.
    """

    rows: int
    columns: int
    threshold: int
    cells: list[list[GridCell]] = field(default_factory=list)

    def shown(self, i: int, j: int) -> Shown:
        return self.cells[i][j].shown

    # y = sign * x makes every row and column of the augmented grid sum to zero: margins negated, grand total not.
    def _sign(self, i: int, j: int) -> int:
        return -1 if (i == self.rows) != (j == self.columns) else 1

    def _can_change(self, cell: GridCell, step: int, *, extra: bool = False) -> bool:
        """Can this cell's count move by ``step`` (+1 or -1) and stay consistent with what a reader knows?"""
        if cell.virtual:
            return True
        if step < 0:
            return cell.value >= 1
        # A reader who sees "fewer than k" knows the count is at most k - 1; a withheld cell has no upper bound.
        small = cell.shown is Shown.SMALL and not extra
        return not small or cell.value + 1 <= self.threshold - 1

    def _arcs(self, candidates: bool) -> dict[int, list[tuple[int, tuple[int, int], int]]]:
        """Directed arcs of the cycle graph. Nodes 0..rows are grid rows, rows+1.. are grid columns.

        Following an arc from a row node to a column node pushes the cell by +1 in y (-1 in the other direction).
        With ``candidates`` true, visible unlocked cells are included with cost 1 + count (hiding them is what
        the arc costs); hidden cells cost nothing.
        """
        arcs: dict[int, list[tuple[int, tuple[int, int], int]]] = {}
        for i in range(self.rows + 1):
            for j in range(self.columns + 1):
                cell = self.cells[i][j]
                hidden = cell.virtual or cell.shown is not Shown.VISIBLE
                if not hidden and (not candidates or cell.locked):
                    continue
                cost = 0 if hidden else 1 + cell.value
                sign = self._sign(i, j)
                row_node, column_node = i, self.rows + 1 + j
                if self._can_change(cell, sign, extra=not hidden):
                    arcs.setdefault(row_node, []).append((column_node, (i, j), cost))
                if self._can_change(cell, -sign, extra=not hidden):
                    arcs.setdefault(column_node, []).append((row_node, (i, j), cost))
        return arcs

    def _cheapest_path(self, arcs: dict[int, list[tuple[int, tuple[int, int], int]]], start: int, goal: int,
                       banned: tuple[int, int]) -> tuple[int, list[tuple[int, int]]] | None:
        """Dijkstra from ``start`` to ``goal`` not using cell ``banned``; the cost and the cells on the way."""
        best = {start: 0}
        previous: dict[int, tuple[int, tuple[int, int]]] = {}
        queue = [(0, start)]
        while queue:
            cost, node = heapq.heappop(queue)
            if node == goal:
                path = []
                while node != start:
                    node, cell = previous[node]
                    path.append(cell)
                return cost, path
            if cost > best.get(node, cost):
                continue
            for target, cell, step_cost in arcs.get(node, ()):
                if cell == banned:
                    continue
                new_cost = cost + step_cost
                if new_cost < best.get(target, new_cost + 1):
                    best[target] = new_cost
                    previous[target] = (node, cell)
                    heapq.heappush(queue, (new_cost, target))
        return None

    def _escape(self, i: int, j: int, candidates: bool,
                arcs: dict[int, list[tuple[int, tuple[int, int], int]]] | None = None,
                ) -> tuple[int, list[tuple[int, int]]] | None:
        """The cheapest cycle through hidden cell (i, j) that can move it one step, as the cells to add."""
        arcs = self._arcs(candidates) if arcs is None else arcs
        row_node, column_node = i, self.rows + 1 + j
        cell = self.cells[i][j]
        sign = self._sign(i, j)
        options = []
        if self._can_change(cell, sign):  # +1 in y on this cell: leave by row -> column, come back column ~> row
            found = self._cheapest_path(arcs, column_node, row_node, (i, j))
            if found is not None:
                options.append(found)
        if self._can_change(cell, -sign):
            found = self._cheapest_path(arcs, row_node, column_node, (i, j))
            if found is not None:
                options.append(found)
        if not options:
            return None
        return min(options, key=lambda option: (option[0], len(option[1])))

    def exposed(self) -> list[tuple[int, int]]:
        """Published hidden cells whose value follows exactly from the visible figures."""
        found = []
        arcs = self._arcs(candidates=False)
        for i in range(self.rows + 1):
            for j in range(self.columns + 1):
                cell = self.cells[i][j]
                if cell.virtual or cell.shown is Shown.VISIBLE:
                    continue
                if self._escape(i, j, candidates=False, arcs=arcs) is None:
                    found.append((i, j))
        return found


def check_threshold(threshold: int) -> int:
    if threshold < MINIMUM_THRESHOLD:
        raise ValueError(f"the suppression threshold may not be below {MINIMUM_THRESHOLD}")
    return threshold


def _primary(value: int, threshold: int) -> Shown:
    # Zero is a small count too: "nobody in Fire rated pay 1" tells something about everyone in Fire.
    return Shown.SMALL if value < threshold else Shown.VISIBLE


def withhold_until_safe(grid: Grid, matters: Callable[[int, int], bool] | None = None) -> bool:
    """Add the cheapest cycle for each exposed cell in turn; False when some exposed cell has none.

    ``matters`` says which hidden cells must keep their secret (by default all of them).
    """
    def exposed() -> list[tuple[int, int]]:
        return [cell for cell in grid.exposed() if matters is None or matters(*cell)]

    for _ in range((grid.rows + 1) * (grid.columns + 1) + 1):
        found = exposed()
        if not found:
            return True
        i, j = found[0]
        escape = grid._escape(i, j, candidates=True)
        if escape is None:
            return False
        for a, b in escape[1]:
            cell = grid.cells[a][b]
            if cell.shown is Shown.VISIBLE and not cell.virtual:
                cell.shown = Shown.WITHHELD
    return not exposed()


def protect(grid: Grid, *, relabel_small: bool = True) -> Grid:
    """Withhold the cheapest further cells until no hidden cell is exposed; changes ``grid`` in place.

    When the cells this table may change cannot protect a hidden cell, first its small cells are shown as
    withheld instead (which takes away the reader's knowledge that they are below the threshold: two cells
    "fewer than 3" adding up to a visible 4 are both 2), then every cell it may change is withheld. If the
    locked margins still pin a cell, :class:`Unprotectable` tells the caller to decide the margins again.
    """
    if withhold_until_safe(grid):
        return grid
    if relabel_small:
        for row in grid.cells:
            for cell in row:
                if not cell.locked and not cell.virtual and cell.shown is Shown.SMALL:
                    cell.shown = Shown.WITHHELD
        if withhold_until_safe(grid):
            return grid
    for row in grid.cells:
        for cell in row:
            if not cell.locked and not cell.virtual and cell.shown is Shown.VISIBLE:
                cell.shown = Shown.WITHHELD
    if grid.exposed():
        raise Unprotectable("the locked margins of this table pin a hidden cell")
    return grid


class Unprotectable(Exception):
    """No choice of the table's own cells protects it; the caller withholds the table."""


@dataclass(frozen=True)
class Vector:
    """A suppressed distribution: one figure per category and the total."""

    values: tuple[int, ...]
    shown: tuple[Shown, ...]
    total: int
    total_shown: Shown

    def visible(self, index: int) -> int | None:
        return self.values[index] if self.shown[index] is Shown.VISIBLE else None


@dataclass(frozen=True)
class Table:
    """A suppressed two-way table with its (locked) margins."""

    values: tuple[tuple[int, ...], ...]
    shown: tuple[tuple[Shown, ...], ...]
    row_totals: Vector  # the rows' totals, as decided for the row dimension
    column_totals: Vector  # the columns' totals, as decided for the column measure
    withheld_whole: bool = False

    def visible(self, row: int, column: int) -> int | None:
        return self.values[row][column] if self.shown[row][column] is Shown.VISIBLE else None


def suppress_total(total: int, threshold: int) -> Shown:
    """A grand total shared by every table of a release: hidden only when it is itself small."""
    return _primary(total, check_threshold(threshold))


def suppress_vector(values: Sequence[int], threshold: int, *, total_shown: Shown | None = None) -> Vector:
    """Suppress one distribution whose categories add up to its total (a partition of the responses).

    ``total_shown`` locks the total as decided elsewhere (:func:`suppress_total`), so every distribution of a
    release shows its total the same way.
    """
    check_threshold(threshold)
    values = [int(v) for v in values]
    if any(v < 0 for v in values):
        raise ValueError("counts cannot be negative")
    total = sum(values)
    n = len(values)
    grid = Grid(rows=1, columns=n, threshold=threshold)
    lock_total = total_shown is not None
    total_state = total_shown if total_shown is not None else _primary(total, threshold)
    grid.cells = [
        [GridCell(v, _primary(v, threshold)) for v in values] + [GridCell(total, total_state, locked=lock_total)],
        [GridCell(v, Shown.VISIBLE, virtual=True) for v in values] + [GridCell(total, Shown.VISIBLE, virtual=True)],
    ]
    # Unprotectable only beside a locked visible total: suppress_distributions then withholds the distribution.
    protect(grid, relabel_small=False)
    return Vector(tuple(values), tuple(grid.shown(0, j) for j in range(n)), total, grid.shown(0, n))


def suppress_table(values: Sequence[Sequence[int]], threshold: int, row_totals: Vector,
                   column_totals: Vector) -> Table:
    """Suppress a two-way table whose margins were already suppressed (as distributions) and are locked here.

    ``values[i][j]`` counts responses in row category ``i`` and column category ``j``; rows must add up to
    ``row_totals`` and columns to ``column_totals``, whose totals must agree.
    """
    check_threshold(threshold)
    rows, columns = len(row_totals.values), len(column_totals.values)
    table = [[int(v) for v in row] for row in values]
    if len(table) != rows or any(len(row) != columns for row in table):
        raise ValueError("the table's shape does not match its margins")
    if any(sum(row) != total for row, total in zip(table, row_totals.values, strict=True)):
        raise ValueError("a row does not add up to its total")
    if any(sum(table[i][j] for i in range(rows)) != column_totals.values[j] for j in range(columns)):
        raise ValueError("a column does not add up to its total")
    if row_totals.total != column_totals.total or row_totals.total_shown != column_totals.total_shown:
        raise ValueError("the two margins disagree about the grand total")
    grid = Grid(rows=rows, columns=columns, threshold=threshold)
    grid.cells = [
        [GridCell(v, _primary(v, threshold)) for v in row] + [GridCell(row_totals.values[i], row_totals.shown[i],
                                                                  locked=True)]
        for i, row in enumerate(table)
    ]
    grid.cells.append([GridCell(column_totals.values[j], column_totals.shown[j], locked=True) for j in range(columns)]
                      + [GridCell(row_totals.total, row_totals.total_shown, locked=True)])
    withheld_whole = False
    try:
        protect(grid)
    except Unprotectable:
        # Nothing of the interior is published; the margins stand as decided for their own distributions.
        withheld_whole = True
    shown = tuple(
        tuple(Shown.WITHHELD if withheld_whole else grid.shown(i, j) for j in range(columns))
        for i in range(rows)
    )
    return Table(tuple(tuple(row) for row in table), shown, row_totals, column_totals, withheld_whole)


def exposed_in_vector(vector: Vector, threshold: int) -> list[int]:
    """Indices (len(values) for the total) of hidden figures of ``vector`` that follow from its visible ones."""
    n = len(vector.values)
    grid = Grid(rows=1, columns=n, threshold=threshold)
    grid.cells = [
        [GridCell(v, s) for v, s in zip(vector.values, vector.shown, strict=True)]
        + [GridCell(vector.total, vector.total_shown)],
        [GridCell(v, Shown.VISIBLE, virtual=True) for v in vector.values] + [GridCell(vector.total, Shown.VISIBLE,
                                                                                virtual=True)],
    ]
    return [j for i, j in grid.exposed() if i == 0]


def exposed_in_table(table: Table, threshold: int) -> list[tuple[int, int]]:
    """Hidden figures of ``table`` (margins included, as (row, column) of the augmented grid) that follow from
    the visible ones."""
    rows, columns = len(table.values), len(table.column_totals.values)
    grid = Grid(rows=rows, columns=columns, threshold=threshold)
    grid.cells = [
        [GridCell(v, s) for v, s in zip(table.values[i], table.shown[i], strict=True)]
        + [GridCell(table.row_totals.values[i], table.row_totals.shown[i])]
        for i in range(rows)
    ]
    grid.cells.append([GridCell(table.column_totals.values[j], table.column_totals.shown[j]) for j in range(columns)]
                      + [GridCell(table.row_totals.total, table.row_totals.total_shown)])
    return grid.exposed()


def suppress_distributions(distributions: Sequence[Sequence[int]], threshold: int) -> tuple[Shown, list[Vector]]:
    """Suppress several distributions of the same responses, which share one grand total.

    The total is shown unless it is small. It is never withheld: a total shared by three or more distributions
    is no longer an edge of one cycle graph, and a withheld total can be squeezed between the visible cells of
    one distribution (a lower bound) and the "fewer than 5" cells of another (an upper bound). With the total
    fixed the distributions are independent, and each is checked exactly on its own. A distribution that
    cannot be protected beside a visible total (every category small: two departments of 4 beside a total of
    8 would both be 4) is withheld whole, its categories shown as withheld with no bound at all.
    """
    totals = {sum(d) for d in distributions}
    if len(totals) > 1:
        raise ValueError("distributions of the same responses must have the same total")
    total = totals.pop() if totals else 0
    shown = suppress_total(total, threshold)
    vectors = []
    for values in distributions:
        try:
            vectors.append(suppress_vector(values, threshold, total_shown=shown))
        except Unprotectable:
            vectors.append(Vector(tuple(values), (Shown.WITHHELD,) * len(values), total, shown))
    return shown, vectors
