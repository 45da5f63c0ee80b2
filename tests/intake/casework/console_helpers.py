"""Building a city with reviewers of every role for the console's tests."""

from __future__ import annotations

from dataclasses import dataclass

from intake.accounts.account import add_regional_coordinator, set_up_totp
from intake.accounts.authentication import authenticate
from intake.accounts.reviewers import add_reviewer
from intake.accounts.sessions import ReviewerContext, resume_session, start_session
from intake.cities import create_city, find_city, open_city_key_with_recovery_key

PASSWORD = "a long enough password"


@dataclass
class City:
    slug: str
    recovery_key: str
    key: bytes
    reviewer_ids: dict[str, int]


def make_city(database, config, slug: str, people: dict[str, tuple[str, list[str] | None]]) -> City:
    """``people``: local part of the email -> (role, groups or None for the default)."""
    created = create_city(database, slug, slug.replace("-", " ").title())
    key = open_city_key_with_recovery_key(find_city(database, slug), created.recovery_key)
    ids = {}
    for local, (role, groups) in people.items():
        added = add_reviewer(database, config, city_slug=slug, email=f"{local}@{slug}.example",
                             display_name=f"{local.title()} {slug.title()}", password=PASSWORD, role=role,
                             city_private_key=key, groups=groups)
        ids[local] = added.reviewer_id
    return City(slug, created.recovery_key, key, ids)


def context_for(database, config, email: str, password: str = PASSWORD) -> ReviewerContext:
    """A full session for ``email``, with TOTP set up directly (the sign-in flow has its own tests)."""
    set_up_totp(database, config, email, password)
    from intake.accounts.reviewers import sign_in

    signed_in = sign_in(database, config, email, password)
    city_id = None if signed_in.regional_coordinator else signed_in.memberships[0].city_id
    return resume_session(database, config, start_session(database, signed_in, city_id))


def coordinator_context(database, config) -> ReviewerContext:
    add_regional_coordinator(database, config, email="coordinator@marc.example", display_name="Coordinator",
                             password=PASSWORD)
    return context_for(database, config, "coordinator@marc.example")


__all__ = ["PASSWORD", "City", "authenticate", "context_for", "coordinator_context", "make_city"]
