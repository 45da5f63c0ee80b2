"""Each city's sign-in rules, chosen by its admins (docs/design.md#single-sign-on): whether its reviewers may sign
in with a password, and whether the city's identity provider must assert a multi-factor sign-in."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from sqlmodel import Session, col, select

from intake import audit
from intake.accounts.keyring import SignedInReviewer
from intake.accounts.reviewers import ROLE_ADMIN
from intake.accounts.sessions import ReviewerContext
from intake.audit.actions import AuditAction
from intake.clock import Clock, utc_now
from intake.db import Database
from intake.errors import NotFound
from intake.models import CitySignInPolicy

# OpenID Connect "amr" values that mean more than one factor (RFC 8176 section 2): "mfa" itself, or a method that
# is one on its own (hardware or software key with user verification, smart card, one-time code on top).
MULTI_FACTOR_AMR = frozenset({"mfa", "hwk", "swk", "sc", "otp", "fido"})


@dataclass(frozen=True)
class SignInRules:
    password_allowed: bool = True
    require_mfa: bool = False


def rules_of(session: Session, city_ids: Iterable[int]) -> dict[int, SignInRules]:
    ids = list(city_ids)
    rows = {row.city_id: row for row in session.exec(select(CitySignInPolicy).where(
        col(CitySignInPolicy.city_id).in_(ids))).all()}
    return {city_id: SignInRules(rows[city_id].password_allowed, rows[city_id].require_mfa) if city_id in rows
            else SignInRules() for city_id in ids}


def city_rules(db: Database, city_id: int) -> SignInRules:
    with db.read() as session:
        return rules_of(session, [city_id])[city_id]


def set_rules(db: Database, context: ReviewerContext, *, password_allowed: bool, require_mfa: bool,
              clock: Clock = utc_now) -> None:
    if context.role != ROLE_ADMIN:
        raise NotFound("only a city admin can do this")
    with db.write() as session:
        row = session.get(CitySignInPolicy, context.city_id)
        if row is None:
            row = CitySignInPolicy(city_id=context.city_id)
        elif (row.password_allowed, row.require_mfa) == (password_allowed, require_mfa):
            return
        row.password_allowed, row.require_mfa = password_allowed, require_mfa
        session.add(row)
        city = audit.lock_city(session, context.city_id)
        audit.append(session, city, actor=context.actor, action=AuditAction.SIGN_IN_POLICY_CHANGED, when=clock(),
                     detail={"password_allowed": int(password_allowed), "require_mfa": int(require_mfa)})


def keep_cities(signed_in: SignedInReviewer, allowed: Iterable[int]) -> SignedInReviewer:
    """The sign-in with only the memberships of ``allowed`` cities (the others' rules refused it)."""
    keep = set(allowed)
    return replace(signed_in, memberships=tuple(m for m in signed_in.memberships if m.city_id in keep))


def refuse_in(db: Database, reviewer_id: int, city_ids: Iterable[int], *, method: str, rule: str,
              clock: Clock = utc_now) -> None:
    """Audit a sign-in a city's rules refused, in that city."""
    with db.write() as session:
        for city_id in city_ids:
            city = audit.lock_city(session, city_id)
            audit.append(session, city, actor=audit.SYSTEM, action=AuditAction.REVIEWER_SIGN_IN_REFUSED,
                         when=clock(), subject=audit.reviewer_actor(reviewer_id),
                         detail={"method": method, "rule": rule})
