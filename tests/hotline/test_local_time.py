"""Exact times in the city's zone, without an offset; day-only values as dates, never shifted."""

from datetime import UTC, date, datetime

import pytest

from hotline.local_time import day_text, exact_time_text
from hotline.settings import Settings, SettingsError


def test_an_exact_time_is_shown_in_the_city_zone_without_an_offset():
    zone = Settings().time_zone_of("raytown")
    when = datetime(2026, 12, 6, 4, 25, 39, tzinfo=UTC)
    assert exact_time_text(when, zone) == "Dec 5, 2026, 10:25:39\u202fPM"
    assert "+" not in exact_time_text(when, zone, "es") and "UTC" not in exact_time_text(when, zone, "es")
    assert exact_time_text(when.replace(tzinfo=None), zone) == exact_time_text(when, zone)


def test_a_day_is_never_converted():
    assert day_text("2026-12-06T00:00:00+00:00") == "Dec 6, 2026"
    assert day_text(date(2026, 12, 6), "es") == "6 dic 2026"


def test_city_zones_are_checked_and_used():
    settings = Settings(city_time_zones="raytown=America/Denver")
    assert str(settings.time_zone_of("raytown")) == "America/Denver"
    assert str(settings.time_zone_of("grandview")) == "America/Chicago"
    with pytest.raises(SettingsError):
        Settings(pepper=b"p" * 40, session_key=b"s" * 40, time_zone="Mars/Olympus").check()
    with pytest.raises(SettingsError):
        Settings(pepper=b"p" * 40, session_key=b"s" * 40, city_time_zones="raytown=Nowhere").check()
