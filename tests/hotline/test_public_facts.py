"""The cities and numbers every public page shows are read at most once every few seconds per app
(hotline.public_facts.ServiceFacts), and a change shows within those seconds."""

import pytest

from hotline import public_facts
from hotline.public_facts import ServiceFacts
from intake.cities import create_city
from intake.db import Database
from tests.hotline.conftest import make_settings


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_the_facts_are_read_again_only_after_their_seconds(database: Database) -> None:
    create_city(database, "raytown", "Raytown")
    clock = Clock()
    facts = ServiceFacts(make_settings(database.url), database, seconds=10, clock=clock)
    assert facts.facts(None, "en").city_names == "Raytown"
    create_city(database, "grandview", "Grandview")
    clock.now += 9.9
    assert facts.facts(None, "es").city_names == "Raytown"  # kept; only the wording follows the page
    clock.now += 0.1
    assert facts.facts(None, "en").city_names == "Grandview and Raytown"
    assert facts.facts(None, "es").city_names == "Grandview y Raytown"


def test_a_database_that_cannot_be_read_is_asked_again_at_the_next_page(database: Database,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    answers: list[object] = [OSError("the database is down"), ["Raytown"]]

    def city_names(_: Database) -> list[str]:
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer  # type: ignore[return-value]

    monkeypatch.setattr(public_facts, "city_names", city_names)
    facts = public_facts.ServiceFacts(make_settings(database.url), database, clock=Clock())
    assert facts.facts(None, "en").city_names == ""  # the page (perhaps an error page) still shows
    assert facts.facts(None, "en").city_names == "Raytown"  # not kept empty for the next seconds


def test_what_is_made_for_each_city_and_language_is_kept_only_up_to_a_bound(database: Database) -> None:
    """A city's slug comes from the page's address, so made facts are kept for at most MADE_AT_MOST of them: a
    client asking for endless unknown cities cannot fill the server's memory, and is still answered."""
    create_city(database, "raytown", "Raytown")
    facts = ServiceFacts(make_settings(database.url), database, clock=Clock())
    first = facts.facts("raytown", "en")
    assert facts.facts("raytown", "en") is first  # made once per read
    for number in range(public_facts.MADE_AT_MOST + 50):
        assert facts.facts(f"nowhere-{number}", "en").city_names == "Raytown"
    assert len(facts._made) == public_facts.MADE_AT_MOST
