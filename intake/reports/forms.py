"""What the report form shows for a city and category: the questionnaire to ask, and the city's
reviewers (name and role) so the reporter can exclude any of them (docs/design.md#routing-and-conflict-of-interest)."""

from __future__ import annotations

from dataclasses import dataclass

from intake.categories import CATEGORY_SLUGS
from intake.cities import city_by_slug
from intake.db import Database
from intake.models import City
from intake.reports.questionnaires import QuestionnaireDefinition, questionnaire_for
from intake.routing import CityReviewer, city_reviewers


@dataclass(frozen=True)
class ReportFormFacts:
    city: City
    # None until a category is chosen: the questionnaire depends on it.
    questionnaire: QuestionnaireDefinition | None
    reviewers: tuple[CityReviewer, ...]


def report_form_facts(db: Database, city_slug: str, category: str | None) -> ReportFormFacts:
    """NotFound for an unknown city; an unknown category reads as none chosen yet."""
    with db.read() as session:
        city = city_by_slug(session, city_slug)
        assert city.id is not None
        questionnaire = questionnaire_for(session, city.id, category) if category in CATEGORY_SLUGS else None
        reviewers = tuple(city_reviewers(session, city.id)) if questionnaire is not None else ()
    return ReportFormFacts(city, questionnaire, reviewers)
