"""Statistics and the council report's figures: counts by category, channel, month and outcome,
medians, overdue; any group under 5 is "fewer than 5"; the region only for the regional coordinator."""

from datetime import timedelta

import pytest

from intake.casework import status_changes as case_status_changes
from intake.casework.cases import reply_to_reporter
from intake.casework.statistics import city_statistics, region_statistics
from intake.clock import utc_now
from intake.errors import InvalidInput, NotFound
from intake.reports import submission as reports
from tests.intake.casework.console_helpers import context_for, coordinator_context, make_city


@pytest.fixture
def scene(database, config):
    make_city(database, config, "raytown", {"ana": ("reviewer", None), "aud": ("auditor", None)})
    make_city(database, config, "grandview", {"gus": ("reviewer", None)})
    ana = context_for(database, config, "ana@raytown.example")
    start = utc_now() - timedelta(days=20)
    for n in range(7):
        made = reports.submit_report(database, config, city_slug="raytown", category="fraud-waste-abuse",
                                     narrative=f"fraud {n}", clock=lambda: start)
        reply_to_reporter(database, config, ana, made.case_id, "Thanks.", clock=lambda n=n: start + timedelta(days=n))
        case_status_changes.change_status(database, config, ana, made.case_id, "concluded", outcome="substantiated",
                                          clock=lambda n=n: start + timedelta(days=2 * n))
    for _ in range(2):
        reports.submit_report(database, config, city_slug="raytown", category="safety", narrative="s",
                              clock=lambda: start)
    for _ in range(3):
        reports.submit_report(database, config, city_slug="grandview", category="safety", narrative="g")
    return ana


def cells(rows):
    return {key: cell.value for key, cell in rows}


def test_city_figures_with_small_groups_suppressed(database, config, scene):
    stats = city_statistics(database, scene)
    assert stats.total.value == 9
    by_category = cells(stats.by_category)
    assert by_category["fraud-waste-abuse"] == 7 and by_category["safety"] is None  # 2: fewer than 5
    assert by_category["other"] is None  # 0 is under 5 as well
    assert cells(stats.by_outcome)["substantiated"] == 7
    assert stats.days_to_acknowledge.days == 3 and stats.days_to_conclude.days == 6
    assert stats.overdue.value is None  # the two safety cases are overdue: fewer than 5
    auditor = context_for(database, config, "aud@raytown.example")
    assert city_statistics(database, auditor).total.value == 9
    with pytest.raises(InvalidInput):
        city_statistics(database, scene, 1850)
    assert city_statistics(database, scene, utc_now().year - 1).total.value is None


def test_the_region_is_for_the_coordinator_only_and_nothing_of_a_city_reaches_another(database, config, scene):
    coordinator = coordinator_context(database, config)
    assert coordinator.role == "coordinator" and coordinator.city_private_key is None
    region = region_statistics(database, coordinator)
    assert region.total.value == 12 and region.cities == 2
    assert cells(region.by_category)["safety"] == 5
    with pytest.raises(NotFound):
        region_statistics(database, scene)
    with pytest.raises(NotFound):
        city_statistics(database, coordinator)
    gus = context_for(database, config, "gus@grandview.example")
    assert city_statistics(database, gus).total.value is None  # 3 cases: Raytown's 9 are not counted
