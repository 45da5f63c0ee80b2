"""Shared set-up for the exit-interview tests: cities with HR reviewers, and sessions for them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from intake.accounts.reviewers import add_reviewer, sign_in
from intake.accounts.sessions import ReviewerContext, resume_session, start_session
from intake.cities import create_city, find_city, open_city_key_with_recovery_key
from intake.config import IntakeConfig
from intake.db import Database

PASSWORD = "correct horse battery staple"


def at(year: int, month: int, day: int = 15) -> datetime:
    return datetime(year, month, day, 12, 0, tzinfo=UTC)


@dataclass
class City:
    slug: str
    key: bytes
    recovery_key: str


def make_city(db: Database, config: IntakeConfig, slug: str) -> City:
    created = create_city(db, slug, slug.replace("-", " ").title())
    key = open_city_key_with_recovery_key(find_city(db, slug), created.recovery_key)
    add_reviewer(db, config, city_slug=slug, email=f"hr@{slug}.example", display_name=f"{slug} HR",
                 password=PASSWORD, role="reviewer", city_private_key=key, groups=["hr"])
    add_reviewer(db, config, city_slug=slug, email=f"ethics@{slug}.example", display_name=f"{slug} ethics",
                 password=PASSWORD, role="reviewer", city_private_key=key)
    return City(slug, key, created.recovery_key)


def session_for(db: Database, config: IntakeConfig, email: str) -> ReviewerContext:
    signed_in = sign_in(db, config, email, PASSWORD)
    cookie = start_session(db, signed_in, signed_in.memberships[0].city_id)
    return resume_session(db, config, cookie)
