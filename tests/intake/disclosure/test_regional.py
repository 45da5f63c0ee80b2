"""Regional figures against the independent brute-force attacker (tests/intake/disclosure/attacker.py): a reader
who holds every city's own published figures, and each city's staff who also know their own figures exactly,
can never work out a hidden figure of another city, nor a regional figure under the threshold."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from intake.disclosure.regional import MINIMUM_CONTRIBUTORS, CityFigures, contributing, regional_vector
from intake.disclosure.suppression import Shown, Vector, suppress_distributions
from tests.intake.disclosure.attacker import feasible_values


def city_view(values: list[int], threshold: int) -> Vector:
    """A city's own published distribution, as its statistics page shows it."""
    return suppress_distributions([values], threshold)[1][0]


def reader_grid(cities: list[Vector], region: Vector, insider: int | None):
    """The augmented grid a reader sees: one row per city (its own figures), the region's as column totals."""
    grid, small = [], set()
    for i, city in enumerate(cities):
        mine = i == insider
        grid.append([v if mine or s is Shown.VISIBLE else None for v, s in zip(city.values, city.shown, strict=True)]
                    + [city.total])  # every contributing city's total is visible
        small |= {(i, j) for j, s in enumerate(city.shown) if s is Shown.SMALL and not mine}
    rows = len(cities)
    grid.append([v if s is Shown.VISIBLE else None for v, s in zip(region.values, region.shown, strict=True)]
                + [region.total if region.total_shown is Shown.VISIBLE else None])
    small |= {(rows, j) for j, s in enumerate(region.shown) if s is Shown.SMALL}
    return grid, small


def assert_nothing_follows(cities: list[Vector], region: Vector, threshold: int) -> None:
    bound = region.total + 1
    for insider in [None, *range(len(cities))]:
        grid, small = reader_grid(cities, region, insider)
        for (i, j), seen in feasible_values(grid, small, threshold, bound).items():
            if i == len(cities) and j < len(region.values) and region.values[j] >= threshold:
                continue  # a withheld regional figure of 5 or more: a sum of figures this reader knows anyway
            assert len(seen) > 1, (insider, (i, j), [c.values for c in cities], [c.shown for c in cities],
                                   region.shown)


def test_two_cities_are_never_a_region():
    cities = [city_view([9, 6, 5], 5), city_view([8, 7, 6], 5)]
    region = regional_vector([CityFigures.of(c) for c in cities], 5, 3)
    assert region.total_shown is Shown.WITHHELD and set(region.shown) == {Shown.WITHHELD}


def test_a_regional_figure_minus_the_visible_cities_never_gives_a_small_one_back():
    # The third city's 2 reports of harassment are "fewer than 5" on its own page; the region's 22 less the other
    # two cities' 9 and 11 would be 2. So the region withholds harassment and one more figure.
    cities = [city_view([9, 9, 12], 5), city_view([11, 8, 7], 5), city_view([2, 10, 9], 5)]
    assert cities[2].shown[0] is Shown.SMALL
    region = regional_vector([CityFigures.of(c) for c in cities], 5, 3)
    assert region.total_shown is Shown.VISIBLE and region.total == 77
    assert region.shown[0] is not Shown.VISIBLE and sum(s is not Shown.VISIBLE for s in region.shown) >= 2
    assert_nothing_follows(cities, region, 5)


def test_a_figure_from_fewer_than_three_cities_is_withheld():
    cities = [city_view([9, 0, 12], 5), city_view([11, 0, 7], 5), city_view([6, 10, 9], 5)]
    region = regional_vector([CityFigures.of(c) for c in cities], 5, 3)
    assert region.shown[1] is not Shown.VISIBLE  # 10, all of it one city's


def test_only_cities_with_a_visible_total_take_part():
    assert contributing([Shown.VISIBLE, Shown.SMALL, Shown.VISIBLE]) == [0, 2]
    assert MINIMUM_CONTRIBUTORS == 3


@settings(max_examples=80, deadline=None)
@given(st.lists(st.lists(st.integers(0, 5), min_size=3, max_size=3), min_size=3, max_size=4))
def test_no_reader_or_city_works_out_a_hidden_figure(rows):
    threshold = 3
    views = [city_view(row, threshold) for row in rows]
    cities = [views[i] for i in contributing([v.total_shown for v in views])]
    if len(cities) < MINIMUM_CONTRIBUTORS:
        return
    region = regional_vector([CityFigures.of(c) for c in cities], threshold, 3)
    assert all(s is not Shown.VISIBLE for v, s in zip(region.values, region.shown, strict=True) if v < threshold)
    assert_nothing_follows(cities, region, threshold)
