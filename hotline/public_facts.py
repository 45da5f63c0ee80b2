"""What every public page says about the service itself: who runs it (MARC and the cities), the phone numbers a
reporter can call, and the site's own name. Read once per page, only by pages that show it (base.html)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from urllib.parse import urlsplit

from babel.lists import format_list

from hotline.settings import Settings
from intake.cities import city_names
from intake.db import Database
from intake.phone.lines import list_numbers

logger = logging.getLogger("hotline.public_facts")


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


def public_facts(settings: Settings, database: Database, city_slug: str | None, language: str) -> PublicFacts:
    """The facts for a page about one city (its own numbers first, then the shared one) or about all of them.

    Phone numbers are offered only when phone intake is configured: a number that rings nowhere would be worse
    than none. A database that cannot be read leaves the lists empty: the page (perhaps an error page) still shows.
    """
    try:
        names = city_names(database)
        lines = list_numbers(database) if settings.phone_enabled else []
    except Exception as error:  # the frame of an error page must never fail in turn
        logger.warning("public facts unavailable (%s)", type(error).__name__)
        names, lines = [], []
    phones = [Phone(line.number, display_number(line.number), line.city_name) for line in lines
              if city_slug is None or line.city_slug == city_slug]
    if settings.phone_enabled and settings.phone_shared_number:
        shared = Phone(settings.phone_shared_number, display_number(settings.phone_shared_number), None)
        phones = [*phones, shared] if city_slug is not None else [shared, *phones]
    locale = "es" if language == "es" else "en"
    return PublicFacts(format_list(names, locale=locale) if names else "", tuple(phones),
                       urlsplit(settings.public_url).hostname or "", settings.onion_address)
