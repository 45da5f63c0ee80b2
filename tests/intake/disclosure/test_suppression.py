"""Primary and complementary suppression, checked against an independent brute-force attacker."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from intake.disclosure.suppression import (
    Shown,
    Vector,
    exposed_in_table,
    exposed_in_vector,
    suppress_table,
    suppress_total,
    suppress_vector,
)
from tests.intake.disclosure.attacker import feasible_values


def vector_grid(vector: Vector) -> tuple[list[list[int | None]], set[tuple[int, int]]]:
    row = [v if s is Shown.VISIBLE else None for v, s in zip(vector.values, vector.shown, strict=True)]
    row.append(vector.total if vector.total_shown is Shown.VISIBLE else None)
    small = {(0, j) for j, s in enumerate(vector.shown) if s is Shown.SMALL}
    if vector.total_shown is Shown.SMALL:
        small.add((0, len(vector.values)))
    return [row, [None] * len(row)], small


def table_grid(table) -> tuple[list[list[int | None]], set[tuple[int, int]]]:
    grid, small = [], set()
    rows, columns = len(table.values), len(table.column_totals.values)
    for i in range(rows):
        row = [table.visible(i, j) for j in range(columns)]
        row.append(table.row_totals.visible(i))
        grid.append(row)
        small |= {(i, j) for j in range(columns) if table.shown[i][j] is Shown.SMALL}
        if table.row_totals.shown[i] is Shown.SMALL:
            small.add((i, columns))
    last = [table.column_totals.visible(j) for j in range(columns)]
    last.append(table.row_totals.total if table.row_totals.total_shown is Shown.VISIBLE else None)
    small |= {(rows, j) for j in range(columns) if table.column_totals.shown[j] is Shown.SMALL}
    if table.row_totals.total_shown is Shown.SMALL:
        small.add((rows, columns))
    grid.append(last)
    return grid, small


def test_a_department_of_four_cannot_be_recovered_from_the_total():
    departments = suppress_vector([4, 12, 9, 20], 5)
    assert departments.shown[0] is Shown.SMALL
    assert departments.total_shown is Shown.VISIBLE
    # The total minus the visible departments would give the 4 back, so one more department is withheld.
    assert [s for s in departments.shown if s is not Shown.VISIBLE] == [Shown.SMALL, Shown.WITHHELD]
    assert departments.shown[2] is Shown.WITHHELD  # the smallest other one costs least
    grid, small = vector_grid(departments)
    values = feasible_values(grid, small, 5, 45, column_equations=False)
    assert len(values[(0, 0)]) > 1 and 4 in values[(0, 0)]


def test_nothing_hidden_when_nothing_is_small():
    vector = suppress_vector([5, 6, 7], 5)
    assert set(vector.shown) == {Shown.VISIBLE}


def test_two_small_cells_already_protect_each_other_when_they_can_move():
    vector = suppress_vector([1, 2, 30], 5)
    assert vector.shown == (Shown.SMALL, Shown.SMALL, Shown.VISIBLE)
    assert exposed_in_vector(vector, 5) == []


def test_two_zero_cells_do_not_protect_each_other():
    # 0 and 0 with the rest visible: the hidden pair adds up to 0, so both are 0. Another cell must go.
    vector = suppress_vector([0, 0, 30, 40], 5)
    assert vector.shown[2] is Shown.WITHHELD
    assert exposed_in_vector(vector, 5) == []


def test_small_total_hides_everything():
    total = suppress_total(4, 5)
    vector = suppress_vector([1, 3, 0], 5, total_shown=total)
    assert total is Shown.SMALL and set(vector.shown) == {Shown.SMALL}


def test_threshold_is_never_below_three():
    with pytest.raises(ValueError):
        suppress_vector([1, 2], 2)


def test_table_with_locked_margins_protects_interior_and_the_small_department():
    threshold = 5
    # Rows: departments (Fire has 4 leavers); columns: pay rating 1..5 plus "skipped".
    cells = [[1, 0, 2, 1, 0, 0], [3, 4, 2, 1, 2, 0], [0, 5, 6, 8, 7, 1], [2, 3, 9, 6, 5, 0]]
    total = suppress_total(sum(map(sum, cells)), threshold)
    rows = suppress_vector([sum(r) for r in cells], threshold, total_shown=total)
    columns = suppress_vector([sum(c) for c in zip(*cells, strict=True)], threshold, total_shown=total)
    table = suppress_table(cells, threshold, rows, columns)
    assert rows.shown[0] is Shown.SMALL
    assert exposed_in_table(table, threshold) == []
    grid, small = table_grid(table)
    feasible = feasible_values(grid, small, threshold, 40)
    assert len(feasible[(0, 6)]) > 1  # Fire's total
    for cell, seen in feasible.items():
        assert len(seen) > 1, cell


@settings(max_examples=80, deadline=None)
@given(st.lists(st.integers(0, 9), min_size=2, max_size=5), st.integers(3, 5))
def test_vectors_never_expose_a_hidden_figure(values, threshold):
    vector = suppress_vector(values, threshold)
    assert all(s is Shown.SMALL for v, s in zip(values, vector.shown, strict=True) if v < threshold)
    grid, small = vector_grid(vector)
    feasible = feasible_values(grid, small, threshold, sum(values) + 2, column_equations=False)
    for cell, seen in feasible.items():
        assert len(seen) > 1, (values, vector.shown, cell)
    assert exposed_in_vector(vector, threshold) == []


@settings(max_examples=80, deadline=None)
@given(st.lists(st.lists(st.integers(0, 6), min_size=3, max_size=3), min_size=2, max_size=3), st.integers(3, 4))
def test_tables_never_expose_a_hidden_figure(cells, threshold):
    from intake.disclosure.suppression import suppress_distributions

    _, (rows, columns) = suppress_distributions([[sum(r) for r in cells],
                                                 [sum(c) for c in zip(*cells, strict=True)]], threshold)
    table = suppress_table(cells, threshold, rows, columns)
    grid, small = table_grid(table)
    hidden = sum(v is None for row in grid for v in row)
    if hidden > 12:  # keep the brute force quick; the exact check below covers every case
        assert exposed_in_table(table, threshold) == []
        return
    feasible = feasible_values(grid, small, threshold, max(max(map(max, cells)), sum(map(sum, cells))) + 1)
    for cell, seen in feasible.items():
        assert len(seen) > 1, (cells, table.shown, cell)


@settings(max_examples=120, deadline=None)
@given(st.lists(st.lists(st.integers(0, 4), min_size=3, max_size=3), min_size=2, max_size=2),
       st.lists(st.booleans(), min_size=12, max_size=12))
def test_exposure_check_agrees_with_the_attacker(cells, hide):
    """For arbitrary hiding patterns (not only ours), the exact check and brute force agree on every cell."""
    from intake.disclosure.suppression import Table

    threshold = 3
    rows_v = [sum(r) for r in cells]
    cols_v = [sum(c) for c in zip(*cells, strict=True)]
    total = sum(rows_v)

    def state(flag: bool, value: int) -> Shown:
        if not flag:
            return Shown.VISIBLE
        return Shown.SMALL if value < threshold else Shown.WITHHELD

    shown = tuple(tuple(state(hide[i * 3 + j], cells[i][j]) for j in range(3)) for i in range(2))
    row_totals = Vector(tuple(rows_v), tuple(state(hide[6 + i], rows_v[i]) for i in range(2)), total,
                        state(hide[11], total))
    column_totals = Vector(tuple(cols_v), tuple(state(hide[8 + j], cols_v[j]) for j in range(3)), total,
                           state(hide[11], total))
    table = Table(tuple(map(tuple, cells)), shown, row_totals, column_totals)
    exposed = set(exposed_in_table(table, threshold))
    grid, small = table_grid(table)
    feasible = feasible_values(grid, small, threshold, total + 2)
    assert {cell for cell, seen in feasible.items() if len(seen) == 1} == exposed


def test_a_distribution_that_cannot_be_protected_beside_its_total_is_withheld_whole():
    from intake.disclosure.suppression import suppress_distributions

    # Two departments of 4 and the total of 8 would give both away ("fewer than 5" each, adding up to 8).
    shown, (departments, ratings) = suppress_distributions([[4, 4], [2, 6]], 5)
    assert shown is Shown.VISIBLE
    assert departments.shown == (Shown.WITHHELD, Shown.WITHHELD)
    assert ratings.shown == (Shown.SMALL, Shown.WITHHELD)
    assert exposed_in_vector(departments, 5) == [] and exposed_in_vector(ratings, 5) == []
    shown, vectors = suppress_distributions([[5, 6], [3, 8]], 5)
    assert shown is Shown.VISIBLE and all(v.total_shown is Shown.VISIBLE for v in vectors)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(0, 6), min_size=2, max_size=4), st.integers(3, 5))
def test_a_locked_visible_total_either_holds_or_is_refused(values, threshold):
    from intake.disclosure.suppression import Unprotectable

    total = suppress_total(sum(values), threshold)
    try:
        vector = suppress_vector(values, threshold, total_shown=total)
    except Unprotectable:
        return
    grid, small = vector_grid(vector)
    feasible = feasible_values(grid, small, threshold, sum(values) + 2, column_equations=False)
    assert all(len(seen) > 1 for seen in feasible.values()), (values, vector.shown)
