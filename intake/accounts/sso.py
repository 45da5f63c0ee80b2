"""Signing in through a city's own identity provider (OpenID Connect), linking accounts, and unlocking the keys
afterwards (docs/design.md#single-sign-on).

The provider says who someone is; it never unlocks anything. A login is matched to an account by the provider's
issuer and subject only. An admin links an account once, by offering a link: the reviewer's next login at that
provider whose *verified* email is the reviewer's becomes the link, and from then on only issuer and subject
count. A login that matches no link and no offer gets no account. The session it opens holds no key and
reaches only the unlock page, until the reviewer unlocks their account key with a passkey or their password.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, col, delete, select

from intake import audit
from intake.accounts import passkeys, policy
from intake.accounts.authentication import (
    FORGET_FAILURES_AFTER,
    RefusedByCityRules,
    SignInFailed,
    SignInFailure,
    delay_after,
    sign_in_counter,
)
from intake.accounts.keyring import SignedInReviewer, UnlockedMembership, UnlockedReviewer, open_account
from intake.accounts.reviewers import ROLE_ADMIN, normalize_email, unlock_reviewer
from intake.accounts.sessions import ReviewerContext
from intake.audit.actions import AuditAction
from intake.clock import Clock, utc_now
from intake.config import IntakeConfig
from intake.db import Database
from intake.errors import IntakeError, InvalidInput, NotFound, WrongCredentials
from intake.limits.counters import claim_attempt, clear
from intake.messages import N_
from intake.models import City, Membership, Reviewer, SsoLink, SsoLinkOffer

LINK_OFFER_DAYS = 7
METHOD_SSO_PASSKEY = "sso+passkey"
METHOD_SSO_PASSWORD = "sso+password"  # noqa: S105 (a method name, not a password)


@dataclass(frozen=True)
class Provider:
    """An identity provider as the deployment configures it: its name here, its issuer, and the cities whose
    reviewers may use it (None: every city)."""

    name: str
    issuer: str
    cities: tuple[str, ...] | None = None

    def serves(self, city_slug: str) -> bool:
        return self.cities is None or city_slug in self.cities


@dataclass(frozen=True)
class Claims:
    """What a verified ID token (OpenID Connect Core 1.0 section 2) said."""

    issuer: str
    subject: str
    email: str = ""
    email_verified: bool = False
    amr: tuple[str, ...] = ()
    acr: str = ""


class NotLinked(IntakeError):
    """The provider's login matches no account: it gets none."""


@dataclass(frozen=True)
class LinkState:
    reviewer_id: int
    provider: str
    linked: bool  # False: offered, waiting for the reviewer's first login


def _require_admin(context: ReviewerContext) -> None:
    if context.role != ROLE_ADMIN:
        raise NotFound("only a city admin can do this")


def _member(session: Session, context: ReviewerContext, reviewer_id: int) -> Reviewer:
    membership = session.exec(select(Membership).where(Membership.reviewer_id == reviewer_id,
                                                       Membership.city_id == context.city_id)).first()
    reviewer = session.get(Reviewer, reviewer_id) if membership is not None else None
    if reviewer is None:
        raise InvalidInput({"reviewer": N_("Choose a reviewer of this city.")})
    return reviewer


def offer_link(db: Database, context: ReviewerContext, reviewer_id: int, provider: Provider, *,
               clock: Clock = utc_now) -> None:
    """Allow one of the city's reviewers to link their login at ``provider`` (once, within a week)."""
    _require_admin(context)
    if not provider.serves(context.city_slug):
        raise InvalidInput({"provider": N_("That identity provider does not serve this city.")})
    now = clock()
    with db.write() as session:
        _member(session, context, reviewer_id)
        session.exec(delete(SsoLinkOffer).where(col(SsoLinkOffer.reviewer_id) == reviewer_id,
                                                col(SsoLinkOffer.provider) == provider.name))
        session.add(SsoLinkOffer(reviewer_id=reviewer_id, provider=provider.name, city_id=context.city_id,
                                 offered_by=context.reviewer_id, expires_at=now + timedelta(days=LINK_OFFER_DAYS)))
        city = audit.lock_city(session, context.city_id)
        audit.append(session, city, actor=context.actor, action=AuditAction.SSO_LINK_OFFERED, when=now,
                     subject=audit.reviewer_actor(reviewer_id), detail={"provider": provider.name})


def remove_link(db: Database, context: ReviewerContext, reviewer_id: int, provider: str, *,
                clock: Clock = utc_now) -> None:
    """Take a reviewer's link (or the offer of one) at ``provider`` away."""
    _require_admin(context)
    with db.write() as session:
        _member(session, context, reviewer_id)
        session.exec(delete(SsoLinkOffer).where(col(SsoLinkOffer.reviewer_id) == reviewer_id,
                                                col(SsoLinkOffer.provider) == provider[:64]))
        session.exec(delete(SsoLink).where(col(SsoLink.reviewer_id) == reviewer_id,
                                           col(SsoLink.provider) == provider[:64]))
        city = audit.lock_city(session, context.city_id)
        audit.append(session, city, actor=context.actor, action=AuditAction.SSO_UNLINKED, when=clock(),
                     subject=audit.reviewer_actor(reviewer_id), detail={"provider": provider[:64]})


def links_in_city(db: Database, context: ReviewerContext) -> list[LinkState]:
    _require_admin(context)
    with db.read() as session:
        members = select(Membership.reviewer_id).where(Membership.city_id == context.city_id)
        links = session.exec(select(SsoLink).where(col(SsoLink.reviewer_id).in_(members))).all()
        offers = session.exec(select(SsoLinkOffer).where(col(SsoLinkOffer.reviewer_id).in_(members))).all()
    return ([LinkState(link.reviewer_id, link.provider, True) for link in links]
            + [LinkState(offer.reviewer_id, offer.provider, False) for offer in offers])


def _as_utc(moment: datetime, now: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=now.tzinfo)


def _linked_reviewer(session: Session, provider: Provider, claims: Claims, now: datetime) -> Reviewer:
    link = session.get(SsoLink, (claims.issuer, claims.subject))
    if link is not None:
        reviewer = session.get(Reviewer, link.reviewer_id)
        if reviewer is None or not reviewer.active:
            raise NotLinked("the linked account is gone")
        return reviewer
    email = normalize_email(claims.email)
    reviewer = session.exec(select(Reviewer).where(Reviewer.email == email)).first() if email else None
    offer = None if reviewer is None else session.get(SsoLinkOffer, (reviewer.id, provider.name))
    if (reviewer is None or offer is None or not claims.email_verified or not reviewer.active
            or _as_utc(offer.expires_at, now) < now):
        raise NotLinked("no account is linked to this login")
    assert reviewer.id is not None
    if session.exec(select(SsoLink).where(SsoLink.reviewer_id == reviewer.id,
                                          SsoLink.issuer == claims.issuer)).first() is not None:
        raise NotLinked("the account is already linked to another login at this provider")
    session.delete(offer)
    session.add(SsoLink(issuer=claims.issuer, subject=claims.subject, reviewer_id=reviewer.id,
                        provider=provider.name, created_at=now))
    for city_id in session.exec(select(Membership.city_id).where(Membership.reviewer_id == reviewer.id)).all():
        city = audit.lock_city(session, city_id)
        audit.append(session, city, actor=audit.reviewer_actor(reviewer.id), action=AuditAction.SSO_LINKED, when=now,
                     subject=audit.reviewer_actor(reviewer.id), detail={"provider": provider.name})
    return reviewer


def sign_in(db: Database, provider: Provider, claims: Claims, *, clock: Clock = utc_now) -> SignedInReviewer:
    """Who a verified login at ``provider`` is, with the memberships whose cities accept it (the provider serves
    them and, where a city requires it, asserted a multi-factor login). No key is open yet.
    :class:`NotLinked` for a login no account is linked to; :class:`RefusedByCityRules` when no city accepts."""
    now = clock()
    if claims.issuer != provider.issuer or not claims.subject:
        raise NotLinked("the login is not from this provider")
    with db.write() as session:
        reviewer = _linked_reviewer(session, provider, claims, now)
        rows = session.exec(select(Membership, City).join(City, col(City.id) == col(Membership.city_id))
                            .where(Membership.reviewer_id == reviewer.id)).all()
        rules = policy.rules_of(session, [membership.city_id for membership, _city in rows])
    multi_factor = bool(policy.MULTI_FACTOR_AMR & set(claims.amr))
    accepted, refused = [], []
    for membership, city in rows:
        assert city.id is not None
        if provider.serves(city.slug) and (multi_factor or not rules[city.id].require_mfa):
            accepted.append(UnlockedMembership(city.id, city.slug, city.name, membership.role, None))
        elif provider.serves(city.slug):
            refused.append(city.id)
    assert reviewer.id is not None
    if refused:
        policy.refuse_in(db, reviewer.id, refused, method="sso", rule="multi-factor sign-in required", clock=clock)
    if not accepted and not reviewer.regional_coordinator:
        raise RefusedByCityRules("no city of this account accepts this login")
    return SignedInReviewer(reviewer.id, reviewer.email, reviewer.display_name, tuple(accepted),
                            reviewer.regional_coordinator)


def unlock_with_password(db: Database, config: IntakeConfig, context: ReviewerContext, password: str, *,
                         clock: Clock = utc_now) -> UnlockedReviewer:
    """After single sign-on: the password opens the account key. Counted and slowed like any sign-in."""
    now = clock()
    key = sign_in_counter(config, context.email)
    claim = claim_attempt(db, key, delay_after=lambda failures: delay_after(failures, config),
                          forget_after=FORGET_FAILURES_AFTER, now=now)
    try:
        unlocked = unlock_reviewer(db, config, context.email, password)
    except WrongCredentials:
        raise SignInFailed(SignInFailure(context.reviewer_id, "password", claim.failures, claim.delay_seconds,
                                         now)) from None
    clear(db, key)
    return unlocked


def unlock_with_passkey(db: Database, config: IntakeConfig, context: ReviewerContext, response: str,
                        prf_output: bytes | None, *, clock: Clock = utc_now) -> UnlockedReviewer:
    """After single sign-on: one of the reviewer's own passkeys opens the account key with its PRF output."""
    now = clock()
    key = sign_in_counter(config, context.email)
    claim = claim_attempt(db, key, delay_after=lambda failures: delay_after(failures, config),
                          forget_after=FORGET_FAILURES_AFTER, now=now)
    try:
        verified = passkeys.verify_assertion(db, config, response, prf_output, purpose=passkeys.UNLOCK,
                                             reviewer_id=context.reviewer_id, clock=clock)
        if verified.account_key is None:
            raise WrongCredentials("this passkey does not unlock the account key")
    except WrongCredentials:
        raise SignInFailed(SignInFailure(context.reviewer_id, "passkey", claim.failures, claim.delay_seconds,
                                         now)) from None
    clear(db, key)
    return open_account(db, verified.reviewer, verified.account_key)
