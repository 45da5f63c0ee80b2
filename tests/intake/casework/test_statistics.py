"""Statistics and the council report's figures for one year: counts by category, channel, month, stage and
deadline, medians; nothing under 5 and nothing that would give such a figure back, in the tables, the findings
and the region's figures (checked by the independent attacker of tests/intake/disclosure/attacker.py); the region
only for the regional coordinator, only from cities with a visible total, only with three of them."""

from __future__ import annotations

import re

import pytest

from hotline.statistics_text import findings_text
from intake.casework.findings import findings
from intake.casework.statistics import BREAKDOWNS, city_statistics, region_statistics
from intake.disclosure.suppression import Shown, Vector, exposed_in_vector
from intake.errors import InvalidInput, NotFound
from tests.hotline.exports.stats_scene import CITIES, TODAY, region_year
from tests.intake.casework.console_helpers import context_for, coordinator_context
from tests.intake.disclosure.attacker import feasible_values


def at_today():
    return TODAY


@pytest.fixture
def region(database, config):
    return region_year(database, config)


def every_cell(stats):
    yield stats.total
    yield stats.previous_total
    for breakdown in stats.breakdowns:
        yield from (cell for _key, cell in breakdown.rows)


def vector_grid(stats, name):
    """One breakdown as the attacker reads it: a row of figures and its total, hidden ones unknown."""
    breakdown = getattr(stats, {"category": "by_category", "channel": "by_channel", "month": "by_month",
                                "stage": "by_stage"}.get(name, name))
    row = [cell.value for _key, cell in breakdown.rows] + [stats.total.value]
    small = {(0, j) for j, (_key, cell) in enumerate(breakdown.rows) if cell.shown is Shown.SMALL}
    return [row, [None] * len(row)], small


def test_a_city_year_hides_every_small_figure_and_every_figure_that_would_give_one_back(database, config, region):
    raytown = city_statistics(database, region["raytown"], clock=at_today)
    assert raytown.year == 2025 and raytown.complete and raytown.years == (2026, 2025, 2024)
    assert raytown.total.value == 30 and raytown.previous_total.value == 24
    assert raytown.by_category.cell("fraud-waste-abuse").value == 12
    assert raytown.by_category.cell("other").shown is Shown.SMALL  # 2 reports
    for cell in every_cell(raytown):  # what leaves the service holds no hidden count at all
        assert (cell.value is None) == (cell.shown is not Shown.VISIBLE)
    for name in BREAKDOWNS:
        grid, small = vector_grid(raytown, name)
        if sum(value is None for value in grid[0]) > 5:  # the brute force stays quick; the exact check covers it
            shown = tuple(Shown.VISIBLE if v is not None else Shown.SMALL if (0, j) in small else Shown.WITHHELD
                          for j, v in enumerate(grid[0][:-1]))
            true = region_year_exact(database, "raytown", name)
            assert exposed_in_vector(Vector(tuple(true), shown, 30, Shown.VISIBLE), 5) == [], name
            continue
        for cell, seen in feasible_values(grid, small, 5, 31, column_equations=False).items():
            assert len(seen) > 1, (name, cell)
    assert city_statistics(database, region["raytown"], 2024, clock=at_today).total.value == 24
    with pytest.raises(InvalidInput):
        city_statistics(database, region["raytown"], 2019, clock=at_today)
    auditor = context_for(database, config, "audit@raytown.example")
    assert city_statistics(database, auditor, clock=at_today).total.value == 30


def test_the_findings_say_only_what_the_visible_figures_say(database, config, region):
    raytown = city_statistics(database, region["raytown"], clock=at_today)
    found = findings(raytown)
    assert found.total == 30 and found.change == 6 and found.previous_year_total == 24
    assert found.categories.shares[0].key == "fraud-waste-abuse" and found.categories.shares[0].percent == 40
    sentences = findings_text(raytown, found, str)
    assert sentences[:2] == ["Raytown received 30 reports in 2025.", "That is 6 more than in 2024 (24)."]
    visible = {str(cell.value) for cell in every_cell(raytown) if cell.value is not None}
    derived = {str(found.concluded), str(found.change), "7", "90", "2025", "2024"}  # sums, the deadlines' days
    for sentence in sentences:
        for figure in re.findall(r"\d+(?![\d%])", sentence):
            assert figure in visible | derived | {str(raytown.days_to_acknowledge.days).removesuffix(".0")}, sentence
    grandview = city_statistics(database, region["grandview"], clock=at_today)  # 3 reports in 2025
    assert findings_text(grandview, findings(grandview), str) == [
        "Grandview received fewer than 5 reports in 2025, so no breakdown is shown."]
    assert all(cell.value is None for b in grandview.breakdowns for _k, cell in b.rows)


def test_the_region_combines_only_cities_with_a_visible_total_and_names_them(database, config, region):
    coordinator = coordinator_context(database, config)
    stats = region_statistics(database, coordinator, clock=at_today)
    assert stats.year == 2025 and stats.years == (2025, 2024)  # ended years only
    assert stats.cities == ("Blue Springs", "Independence", "Lees Summit", "Raytown")
    assert stats.left_out == ("Grandview",)
    assert stats.total.value == sum(sum(by.values()) for slug, (by, _) in CITIES.items() if slug != "grandview")
    for cell in every_cell(stats):
        assert (cell.value is None) == (cell.shown is not Shown.VISIBLE)
        assert cell.value is None or cell.value >= 5
    with pytest.raises(InvalidInput):
        region_statistics(database, coordinator, 2026, clock=at_today)  # not over yet
    with pytest.raises(NotFound):
        region_statistics(database, region["raytown"], clock=at_today)
    with pytest.raises(NotFound):
        city_statistics(database, coordinator, clock=at_today)


@pytest.mark.parametrize("name", ["acknowledgement", "feedback", "overdue"])
def test_no_regional_figure_gives_back_a_city_hidden_figure_to_anyone(database, config, region, name):
    """Each city's own page, the region's page, and one city's exact knowledge of itself: no other city's hidden
    figure follows. The readers' knowledge is read from the real pages' services, not from the suppression code."""
    coordinator = coordinator_context(database, config)
    stats = region_statistics(database, coordinator, clock=at_today)
    slugs = [slug for slug in sorted(CITIES) if slug != "grandview"]  # the cities combined, by name
    cities = [city_statistics(database, region[slug], clock=at_today) for slug in slugs]
    truth = [city_statistics(database, region[slug], clock=at_today) for slug in slugs]
    region_row = getattr(stats, name).rows
    for insider in [None, *range(len(cities))]:
        grid, small = [], set()
        for i, city in enumerate(cities):
            rows = getattr(city, name).rows
            grid.append([cell.value for _k, cell in rows] + [city.total.value])
            small |= {(i, j) for j, (_k, cell) in enumerate(rows) if cell.shown is Shown.SMALL}
        if insider is not None:  # that city's staff know their own figures exactly
            exact = region_year_exact(database, slugs[insider], name)
            grid[insider] = [*exact, truth[insider].total.value]
            small -= {(insider, j) for j in range(len(exact))}
        grid.append([cell.value for _k, cell in region_row] + [stats.total.value])
        small |= {(len(cities), j) for j, (_k, cell) in enumerate(region_row) if cell.shown is Shown.SMALL}
        for (i, j), seen in feasible_values(grid, small, 5, stats.total.value + 1).items():
            if i < len(cities):
                assert len(seen) > 1, (name, insider, slugs[i], j)


def region_year_exact(database, slug, name):
    """A city's true counts of one breakdown, as its own staff could count them from their inbox."""
    from intake.casework import statistics as case_statistics
    from intake.cities import find_city

    city = find_city(database, slug)
    raw = case_statistics._raw(database, [city.id], 2025, TODAY.date())[city.id]
    keys = case_statistics._keys(2025)[name]
    return [raw.counts[name].get(key, 0) for key in keys]


def test_two_cities_with_enough_reports_make_no_region(database, config):
    region_year(database, config, {slug: CITIES[slug] for slug in ("raytown", "independence", "grandview")})
    stats = region_statistics(database, coordinator_context(database, config), clock=at_today)
    assert stats.cities == ("Independence", "Raytown") and not stats.enough_cities
    assert all(cell.value is None for cell in every_cell(stats))
    assert findings_text(stats, findings(stats), str) == [
        "Regional figures are shown only when at least 3 cities each had 5 or more reports in the year. "
        "In 2025: Independence, Raytown."]
