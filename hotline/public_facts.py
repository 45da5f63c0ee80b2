"""What every public page says about the service itself: who runs it (MARC and the cities), the phone numbers a
reporter can call, and the site's own name. Shown by every page that has base.html's frame.

The cities and their numbers are read from the database at most once every ``FACTS_SECONDS`` per instance
(:class:`ServiceFacts`): every report's confirmation page showed them, and reading them was a transaction of its
own per page, a third of the page's CPU on PostgreSQL (`hotline bench intake`). They are public, and a
city or a number added appears on every page within those seconds.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from babel.lists import format_list

from hotline.settings import Settings
from intake.cities import city_names
from intake.db import Database
from intake.phone.lines import PhoneLine, list_numbers

logger = logging.getLogger("hotline.public_facts")

FACTS_SECONDS = 10.0


@dataclass(frozen=True)
class Phone:
    number: str  # E.164, for the tel: link
    display: str  # as people write it here: 816-555-0111
    city_name: str | None  # None: the shared number, whose menu asks for the city


@dataclass(frozen=True)
class PublicFacts:
    city_names: str  # "Blue Springs, Grandview and Raytown", in the page's language
    phones: tuple[Phone, ...]
    domain: str
    onion_address: str


def display_number(number: str) -> str:
    """A North American number as written locally (816-555-0111); any other stays in international form."""
    if number.startswith("+1") and len(number) == 12:
        return f"{number[2:5]}-{number[5:8]}-{number[8:]}"
    return number


# A region's cities (a hundred) in each language, with room to spare.
MADE_AT_MOST = 512


@dataclass
class ServiceFacts:
    """The facts every page shows, read from the database at most once every ``seconds`` (one per app)."""

    settings: Settings
    database: Database
    seconds: float = FACTS_SECONDS
    clock: Callable[[], float] = time.monotonic
    _read: tuple[list[str], list[PhoneLine]] | None = field(default=None, init=False)
    _read_at: float = field(default=0.0, init=False)
    # What each page's city and language made of the last read: every page shows them, and the list of city names
    # in words (Babel's format_list) cost a twentieth of a report's confirmation page (`hotline bench intake`).
    _made: dict[tuple[str | None, str], PublicFacts] = field(default_factory=dict, init=False)

    def facts(self, city_slug: str | None, language: str) -> PublicFacts:
        now = self.clock()
        read = self._read
        if read is None or now - self._read_at >= self.seconds:
            read = _read(self.settings, self.database)
            if not read[0]:  # a database that could not be read is asked again at the next page
                return _facts(self.settings, *read, city_slug, language)
            self._read, self._read_at, self._made = read, now, {}
        made = self._made.get((city_slug, language))
        if made is None:
            made = _facts(self.settings, *read, city_slug, language)
            if len(self._made) < MADE_AT_MOST:  # a slug comes from the address: unknown ones must not fill memory
                self._made[(city_slug, language)] = made
        return made


def _read(settings: Settings, database: Database) -> tuple[list[str], list[PhoneLine]]:
    """Every city's name and every city's numbers. Phone numbers are offered only when phone intake is configured:
    a number that rings nowhere would be worse than none. A database that cannot be read leaves the lists empty:
    the page (perhaps an error page) still shows."""
    try:
        return city_names(database), list_numbers(database) if settings.phone_enabled else []
    except Exception as error:  # the frame of an error page must never fail in turn
        logger.warning("public facts unavailable (%s)", type(error).__name__)
        return [], []


def _facts(settings: Settings, names: list[str], lines: list[PhoneLine], city_slug: str | None,
           language: str) -> PublicFacts:
    phones = [Phone(line.number, display_number(line.number), line.city_name) for line in lines
              if city_slug is None or line.city_slug == city_slug]
    if settings.phone_enabled and settings.phone_shared_number:
        shared = Phone(settings.phone_shared_number, display_number(settings.phone_shared_number), None)
        phones = [*phones, shared] if city_slug is not None else [shared, *phones]
    locale = "es" if language == "es" else "en"
    return PublicFacts(format_list(names, locale=locale) if names else "", tuple(phones),
                       urlsplit(settings.public_url).hostname or "", settings.onion_address)
