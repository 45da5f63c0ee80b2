"""Set-up for the exit-interview web tests: cities with HR, a coordinator, and responses made quickly."""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

from intake.accounts.account import add_regional_coordinator, set_up_totp
from intake.accounts.reviewers import add_reviewer, sign_in
from intake.accounts.sessions import resume_session, start_session
from intake.cities import create_city, find_city, open_city_key_with_recovery_key
from intake.config import IntakeConfig
from intake.db import Database
from intake.exit import hr as exit_hr
from intake.exit.survey import Credential, open_survey, submit_survey
from tests.hotline.conftest import PASSWORD, TOTP_SECRETS
from tests.intake.exit.exit_fixtures import at


@dataclass
class ExitWorld:
    keys: dict[str, bytes]


def add_exit_city(database: Database, config: IntakeConfig, slug: str) -> bytes:
    """A city with an HR officer and an ethics officer; returns the city's private key."""
    created = create_city(database, slug, slug.title())
    key = open_city_key_with_recovery_key(find_city(database, slug), created.recovery_key)
    add_reviewer(database, config, city_slug=slug, email=f"hr@{slug}.example", display_name=f"{slug} HR",
                 password=PASSWORD, role="reviewer", city_private_key=key, groups=["hr"])
    add_reviewer(database, config, city_slug=slug, email=f"ethics@{slug}.example",
                 display_name=f"{slug} ethics", password=PASSWORD, role="reviewer", city_private_key=key)
    return key


def make_exit_world(database: Database, config: IntakeConfig, slugs=("raytown", "grandview")) -> ExitWorld:
    keys = {slug: add_exit_city(database, config, slug) for slug in slugs}
    add_regional_coordinator(database, config, email="coordinator@marc.example", display_name="MARC",
                             password=PASSWORD)
    # Every reviewer signs in with a TOTP code: set each one up and remember its secret for sign_in.
    for email in [*(f"{role}@{slug}.example" for slug in slugs for role in ("hr", "ethics")),
                  "coordinator@marc.example"]:
        TOTP_SECRETS[email] = set_up_totp(database, config, email, PASSWORD)
    return ExitWorld(keys)


def hr_of(database: Database, config: IntakeConfig, slug: str) -> exit_hr.HrAccess:
    signed_in = sign_in(database, config, f"hr@{slug}.example", PASSWORD)
    context = resume_session(database, config, start_session(database, signed_in, signed_in.memberships[0].city_id))
    return exit_hr.hr_access(database, context, slug)


def add_responses(database: Database, config: IntakeConfig, slug: str, people: list[dict[str, str]], *,
                  month: tuple[int, int] = (2026, 2), seed: int = 1) -> None:
    """One completed survey per entry of ``people`` (its answers as question id -> value), sent through the
    city's uninvited link (the same survey service as an invitation, without making one each time)."""
    hr = hr_of(database, config, slug)
    rng = random.Random(seed)
    when = at(*month, day=10)
    before = exit_hr.read_settings(database, hr)
    link = exit_hr.change_settings(database, hr, mode=before.mode, threshold=before.threshold,
                                   invitation_days=before.invitation_days, open_link=True).open_link
    credential = Credential("open", f"{slug}/{link}")
    survey = open_survey(database, config, credential, clock=lambda: when)
    for person in people:
        fields = {f"q_{key}": [value] for key, value in person.items()}
        fields.setdefault("q_rating_pay", [str(rng.randint(1, 5))])
        submit_survey(database, config, credential, str(survey.questionnaire.id), fields, clock=lambda: when)
    if before.open_link is None:
        exit_hr.change_settings(database, hr, mode=before.mode, threshold=before.threshold,
                                invitation_days=before.invitation_days, open_link=False)


def hidden(page: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]*)"', page)
    assert match, f"no hidden field {name}"
    return match.group(1)
