"""Recovering a city when every reviewer's password is lost (DESIGN.md section 4, "Wrapping"; issue 7).

The city's recovery key, kept offline since the city was created, opens the city private key. With it a city
admin gets access again: a new password (for a new account, or replacing a lost one), and a copy of the city
key wrapped under it. A replaced password cannot open what the old one wrapped, so that account's copies of
other cities' keys are cleared (each of those cities recovers the same way, or an admin there re-adds it), its
personal key pair is replaced, and its sessions end.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import col, delete, select

from crypto.errors import WrongSecret
from crypto.passwords import city_key_wrapping_key, enroll_password
from crypto.wrapping import wrap_under_key
from intake import audit
from intake.cities import city_by_slug, open_city_key_with_recovery_key
from intake.clock import Clock, utc_now
from intake.config import IntakeConfig
from intake.db import Database
from intake.errors import InvalidInput, WrongCredentials
from intake.key_grants import replace_personal_key
from intake.models import City, Membership, Reviewer, ReviewerSession, SessionCityKey
from intake.reviewers import MAX_PASSWORD_CHARS, MIN_PASSWORD_CHARS, ROLE_ADMIN, city_key_binding, normalize_email


@dataclass(frozen=True)
class RecoveredAccess:
    reviewer_id: int
    email: str
    city_slug: str
    new_account: bool
    # Slugs of other cities whose key this account held under its lost password and no longer holds.
    cities_needing_recovery: tuple[str, ...]


def recover_city_access(
    db: Database,
    config: IntakeConfig,
    *,
    city_slug: str,
    recovery_key: str,
    email: str,
    display_name: str,
    new_password: str,
    clock: Clock = utc_now,
) -> RecoveredAccess:
    """Make ``email`` an admin of the city with ``new_password`` and a fresh copy of the city key."""
    email = normalize_email(email)
    problems = {}
    if "@" not in email or len(email) > 320 or any(ch.isspace() for ch in email):
        problems["email"] = "Give the email address the admin will sign in with."
    if not MIN_PASSWORD_CHARS <= len(new_password) <= MAX_PASSWORD_CHARS:
        problems["password"] = f"Use a password of {MIN_PASSWORD_CHARS} to {MAX_PASSWORD_CHARS} characters."
    if problems:
        raise InvalidInput(problems)
    with db.read() as session:
        city = city_by_slug(session, city_slug)
    try:
        city_private = open_city_key_with_recovery_key(city, recovery_key)
    except WrongSecret:
        raise WrongCredentials(f"that is not the recovery key of {city.slug}") from None
    record, master_key = enroll_password(new_password, config.reviewer_kdf)
    now = clock()
    assert city.id is not None
    with db.write() as session:
        locked = audit.lock_city(session, city.id)
        reviewer = session.exec(select(Reviewer).where(Reviewer.email == email)).first()
        new_account = reviewer is None
        if reviewer is None:
            name = display_name.strip() or email
            reviewer = Reviewer(email=email, display_name=name[:200], password_record=record.encode(), created_at=now)
            session.add(reviewer)
            session.flush()
        else:
            reviewer.password_record = record.encode()
            reviewer.active = True
            session.add(reviewer)
        assert reviewer.id is not None
        lost: list[str] = []
        for membership, other in session.exec(
            select(Membership, City).join(City, col(City.id) == col(Membership.city_id))
            .where(Membership.reviewer_id == reviewer.id, Membership.city_id != city.id)
        ).all():
            if membership.wrapped_city_key is not None:
                membership.wrapped_city_key = None  # wrapped under the lost password: nobody can open it
                session.add(membership)
                lost.append(other.slug)
                assert other.id is not None
                audit.append(session, audit.lock_city(session, other.id), actor=audit.SYSTEM,
                             action="key.cleared_by_recovery", when=now, subject=audit.reviewer_actor(reviewer.id),
                             detail={"recovered_in": city.slug})
        sessions = select(ReviewerSession.id).where(ReviewerSession.reviewer_id == reviewer.id)
        session.exec(delete(SessionCityKey).where(col(SessionCityKey.session_id).in_(sessions)))
        session.exec(delete(ReviewerSession).where(col(ReviewerSession.reviewer_id) == reviewer.id))
        replace_personal_key(session, reviewer.id, master_key, clock=clock)
        wrapped = wrap_under_key(city_private, city_key_wrapping_key(master_key, city.id),
                                 city_key_binding(city.id, reviewer.id))
        membership = session.exec(select(Membership).where(Membership.reviewer_id == reviewer.id,
                                                           Membership.city_id == city.id)).first() or Membership(
            reviewer_id=reviewer.id, city_id=city.id, role=ROLE_ADMIN, created_at=now)
        membership.role = ROLE_ADMIN
        membership.wrapped_city_key = wrapped
        session.add(membership)
        audit.append(session, locked, actor=audit.SYSTEM, action="key.recovered", when=now,
                     subject=audit.reviewer_actor(reviewer.id),
                     detail={"role": ROLE_ADMIN, "new_account": int(new_account), "other_cities_cleared": len(lost)})
        return RecoveredAccess(reviewer.id, email, city.slug, new_account, tuple(sorted(lost)))
