"""Cities: creating one (with its key pair and recovery key) and finding them."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, select

from crypto import hpke_keys
from crypto.audit_chain import genesis_hash
from crypto.errors import WrongSecret
from crypto.recovery import generate_recovery_key, recovery_key_check, recovery_wrapping_key
from crypto.wrapping import unwrap_with_key, wrap_under_key
from intake import audit
from intake.audit.actions import AuditAction
from intake.clock import Clock, utc_now
from intake.db import Database
from intake.errors import AlreadyExists, InvalidInput, NotFound
from intake.models import City, CityKeyRotation
from intake.routing import create_default_groups

SLUG_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


@dataclass(frozen=True)
class CreatedCity:
    city_id: int
    slug: str
    # Shown once, to be kept offline by the city. Never stored.
    recovery_key: str


def recovery_binding(city_slug: str) -> bytes:
    return b"hotline/v1/city-private-key|recovery|city=" + city_slug.encode()


def create_city(db: Database, slug: str, name: str, *, clock: Clock = utc_now) -> CreatedCity:
    slug, name = slug.strip(), name.strip()
    problems = {}
    if not SLUG_PATTERN.match(slug) or len(slug) > 64:
        problems["slug"] = "Use lower-case letters, digits and single hyphens, such as lees-summit."
    if not name or len(name) > 200:
        problems["name"] = "Give the city's name (at most 200 characters)."
    if problems:
        raise InvalidInput(problems)
    pair = hpke_keys.generate_key_pair()
    recovery_key = generate_recovery_key()
    wrapped = wrap_under_key(pair.private_bytes, recovery_wrapping_key(recovery_key), recovery_binding(slug))
    with db.write() as session:
        if session.exec(select(City).where(City.slug == slug)).first():
            raise AlreadyExists(f"a city with the slug {slug!r} already exists")
        city = City(
            slug=slug,
            name=name,
            public_key=pair.public_bytes,
            recovery_wrapped_private_key=wrapped,
            audit_head_hash=genesis_hash(slug),
            created_at=clock(),
        )
        session.add(city)
        session.flush()
        create_default_groups(session, city)
        audit.append(session, city, actor=audit.SYSTEM, action=AuditAction.CITY_CREATED, when=clock(), subject=slug)
        assert city.id is not None
        return CreatedCity(city_id=city.id, slug=slug, recovery_key=recovery_key)


def list_cities(db: Database) -> list[City]:
    with db.read() as session:
        return list(session.exec(select(City).order_by(col(City.name))).all())


def city_names(db: Database) -> list[str]:
    """Every city's name, in name order: only the column, since every public page shows it (a City row carries
    its keys, kilobytes that the page does not need)."""
    with db.read() as session:
        return list(session.connection().execute(_city_names()).scalars())


@functools.cache
def _city_names() -> Any:
    # Built once (a constant, like a compiled pattern): every public page runs it (`hotline bench intake`).
    return select(City.name).order_by(col(City.name))


def city_by_slug(session: Session, slug: str) -> City:
    city = session.exec(select(City).where(City.slug == slug)).first()
    if city is None:
        raise NotFound(f"no city {slug!r}")
    return city


def find_city(db: Database, slug: str) -> City:
    with db.read() as session:
        return city_by_slug(session, slug)


def open_city_key_with_recovery_key(city: City, recovery_key: str) -> bytes:
    """The city private key, from the recovery key the city kept offline (crypto.errors.WrongSecret if not)."""
    return unwrap_with_key(
        city.recovery_wrapped_private_key, recovery_wrapping_key(recovery_key), recovery_binding(city.slug)
    )


def recovery_key_refusal(db: Database, city: City, recovery_key: str, *, city_label: str | None = None) -> str:
    """One sentence for a recovery key that does not open the city's key. A recovery key that a key rotation
    replaced (docs/design.md#key-rotation) is named as such, with the day, so whoever holds it knows to look for
    the newer one rather than doubt what they typed."""
    label = city_label or city.name
    try:
        check = recovery_key_check(recovery_key)
    except WrongSecret:
        return f"That is not the recovery key of {label}."
    with db.read() as session:
        replaced = session.exec(select(CityKeyRotation).where(
            CityKeyRotation.city_id == city.id, CityKeyRotation.retired_recovery_check == check)).first()
    if replaced is None or replaced.finished_at is None:
        return f"That is not the recovery key of {label}."
    return (f"That recovery key of {label} was replaced when the city key was rotated on "
            f"{replaced.finished_at.date().isoformat()} (key version {replaced.to_version}): use the recovery key "
            "that rotation printed.")
