"""Times and dates as people read them: exact times in the city's own zone (HOTLINE_TIME_ZONE,
HOTLINE_CITY_TIME_ZONES) in words, without an offset; day-only values (what a reporter did,
docs/design.md#threat-model-and-anonymity-rules) as dates, never converted to a zone. Babel's CLDR formats, in
English or Spanish."""

from __future__ import annotations

from datetime import UTC, date, datetime
from functools import cache, lru_cache
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_datetime, format_time

LOCALES = {"en": "en_US", "es": "es_US"}


def _locale(language: str) -> Locale:
    return _parsed_locale(LOCALES.get(language, "en_US"))


@cache
def _parsed_locale(name: str) -> Locale:
    # Parsed once per name (so at most one per entry of LOCALES, whatever language a caller passes): given a name,
    # Babel parses it again for every date it formats (9 times for a report's confirmation page, and a console
    # list of forty cases formats eighty).
    return Locale.parse(name)


def exact_time_text(when: datetime, zone: ZoneInfo, language: str = "en") -> str:
    """"Dec 6, 2026, 10:25 AM" / "6 dic 2026, 10:25 a. m.": an exact time in the city's zone."""
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)  # stored times are UTC
    return format_datetime(when.astimezone(zone), format="medium", locale=_locale(language))


def moment_text(when: datetime, zone: ZoneInfo, language: str = "en") -> str:
    """"Dec 6, 2026, 9:14 AM CST" / "6 dic 2026, 9:14 a. m. CST": an exact time in the city's zone to the minute,
    for the console's lists, with the zone's abbreviation (never an offset: a zone without a lettered
    abbreviation gets none)."""
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)  # stored times are UTC
    local = when.astimezone(zone)
    locale = _locale(language)
    text = f"{format_date(local, format='medium', locale=locale)}, {format_time(local, format='short', locale=locale)}"
    abbreviation = local.tzname() or ""
    return f"{text} {abbreviation}" if abbreviation.isalpha() and abbreviation != "UTC" else text


def day_text(day: date | datetime | str, language: str = "en") -> str:
    """"Dec 6, 2026": a date as it is stored, with no zone applied (a datetime contributes its date only)."""
    if isinstance(day, str):
        day = date.fromisoformat(day[:10])
    if isinstance(day, datetime):
        day = day.date()
    return _day_text(day, language)


@lru_cache(maxsize=4096)
def _day_text(day: date, language: str) -> str:
    # A page shows the same few days again and again (today's reports are all due on the same two), and Babel
    # builds each from the locale's patterns: a tenth of a report's confirmation page (`hotline bench intake`).
    return format_date(day, format="medium", locale=_locale(language))
