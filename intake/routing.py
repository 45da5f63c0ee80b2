"""Routing a case to a reviewer group, and keeping excluded reviewers out
(docs/design.md#routing-and-conflict-of-interest).

Each city maps categories to groups. A reviewer named in the report, or excluded by the reporter, is recorded
in case_exclusion and can never read the case. If that leaves nobody who could act in the routed group, the case
goes to the city's alternate group (e.g. the city attorney); if the exclusions leave nobody there either, the
report is refused before anything is stored (NobodyCanRead), so that it never lands silently nowhere. Every
decision is audited. :func:`routing_gaps` tells a city's admin which routes lead to nobody.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection, Iterable
from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, bindparam, exists, not_, or_
from sqlmodel import Session, col, select

from intake.categories import DEFAULT_CATEGORIES
from intake.db import Database
from intake.errors import InvalidInput, NotFound
from intake.messages import N_
from intake.models import Case, CaseExclusion, CategoryRoute, City, GroupMember, Membership, Reviewer, ReviewerGroup
from intake.models.routing import PURPOSE_ALTERNATE, PURPOSE_CASES, PURPOSE_HR

DEFAULT_CASE_GROUP = "ethics"
ALTERNATE_GROUP = "alternate"
HR_GROUP = "hr"
# Built-in groups: their names are stored in English and shown in the page's language (marked for the catalogue).
DEFAULT_GROUPS = (
    (DEFAULT_CASE_GROUP, N_("Ethics officers"), PURPOSE_CASES),
    (ALTERNATE_GROUP, N_("Alternate reviewers (city attorney)"), PURPOSE_ALTERNATE),
    (HR_GROUP, N_("Human resources"), PURPOSE_HR),
)

NAMED_IN_REPORT = "named in report"
EXCLUDED_BY_REPORTER = "excluded by reporter"
# The roles that read and handle cases (intake.accounts.reviewers.CONTENT_ROLES; tests/intake/test_routing.py
# checks the two agree): a group member with another role, or an inactive one, could not act on a case.
ACTING_ROLES = ("reviewer", "admin")


class NobodyCanRead(InvalidInput):
    """The reporter's exclusions (ticked, or reviewers named in the report) leave nobody in the routed group or the
    alternate group who could read the case. Nothing is stored; the form offers fewer exclusions or the phone."""

    def __init__(self) -> None:
        super().__init__({"exclude": N_("Everyone who could read this report is left out. Leave out fewer "
                                        "reviewers, or call the hotline instead.")})


def create_default_groups(session: Session, city: City) -> None:
    """Every new city gets an ethics group (all categories routed to it), an alternate group and an HR group."""
    assert city.id is not None
    groups = {}
    for slug, name, purpose in DEFAULT_GROUPS:
        group = ReviewerGroup(city_id=city.id, slug=slug, name=name, purpose=purpose)
        session.add(group)
        groups[slug] = group
    session.flush()
    for category in DEFAULT_CATEGORIES:
        group_id = groups[DEFAULT_CASE_GROUP].id
        assert group_id is not None
        session.add(CategoryRoute(city_id=city.id, category=category.slug, group_id=group_id))


def group_by_slug(session: Session, city_id: int, slug: str) -> ReviewerGroup:
    group = session.exec(select(ReviewerGroup).where(ReviewerGroup.city_id == city_id,
                                                     ReviewerGroup.slug == slug)).first()
    if group is None:
        raise NotFound(f"no group {slug!r} in this city")
    return group


def join_groups(session: Session, city_id: int, reviewer_id: int, group_slugs: Iterable[str]) -> None:
    for slug in group_slugs:
        group = group_by_slug(session, city_id, slug)
        assert group.id is not None
        if session.get(GroupMember, (group.id, reviewer_id)) is None:
            session.add(GroupMember(group_id=group.id, reviewer_id=reviewer_id))


def _folded(text: str) -> str:
    """Case-, accent- and spacing-insensitive form, so "José  Díaz" in a report matches "Jose Diaz"."""
    plain = text
    if not text.isascii():  # plain ASCII has nothing to decompose; skipping it keeps long reports cheap
        decomposed = unicodedata.normalize("NFKD", text)
        plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(re.findall(r"\w+", plain.casefold()))


def reviewers_named_in(text: str, reviewers: Iterable[tuple[int, str]]) -> set[int]:
    """IDs of the reviewers whose full name appears in ``text`` as whole words."""
    haystack = f" {_folded(text)} "
    return {reviewer_id for reviewer_id, name in reviewers if (folded := _folded(name)) and f" {folded} " in haystack}


@dataclass(frozen=True)
class CityReviewer:
    reviewer_id: int
    display_name: str
    role: str


def city_reviewers(session: Session, city_id: int) -> list[CityReviewer]:
    """Every reviewer with a role in the city, as a reporter may be shown them to exclude."""
    # Executed on the connection (Core): a column query needs none of the ORM's per-statement work.
    rows = session.connection().execute(
        select(Reviewer.id, Reviewer.display_name, Membership.role)
        .join(Membership, col(Membership.reviewer_id) == col(Reviewer.id))
        .where(Membership.city_id == city_id, col(Reviewer.active))
        .order_by(col(Reviewer.display_name))
    ).all()
    return [CityReviewer(reviewer_id, name, role) for reviewer_id, name, role in rows if reviewer_id is not None]


@dataclass(frozen=True)
class RoutingDecision:
    group_id: int
    group_slug: str
    exclusions: tuple[tuple[int, str], ...]  # (reviewer_id, reason)
    fell_back_to_alternate: bool


def decide_route(
    session: Session, city_id: int, category: str, texts: Iterable[str], excluded_by_reporter: Collection[int]
) -> RoutingDecision:
    reviewers = city_reviewers(session, city_id)
    known = {r.reviewer_id for r in reviewers}
    named = reviewers_named_in("\n".join(texts), ((r.reviewer_id, r.display_name) for r in reviewers))
    exclusions = {reviewer_id: NAMED_IN_REPORT for reviewer_id in named}
    for reviewer_id in excluded_by_reporter:
        if reviewer_id in known:
            exclusions.setdefault(reviewer_id, EXCLUDED_BY_REPORTER)
    # One query for the routed group, the default and alternate groups and their members (a report's routing
    # runs under the city lock, so it is kept to two statements; `hotline bench intake`).
    routed_id = select(CategoryRoute.group_id).where(CategoryRoute.city_id == city_id,
                                                     CategoryRoute.category == category).scalar_subquery()
    rows = session.connection().execute(
        select(ReviewerGroup.id, ReviewerGroup.slug, GroupMember.reviewer_id, routed_id)
        .select_from(ReviewerGroup)
        .outerjoin(GroupMember, col(GroupMember.group_id) == col(ReviewerGroup.id))
        .where(ReviewerGroup.city_id == city_id,
               or_(col(ReviewerGroup.id) == routed_id, col(ReviewerGroup.slug).in_([DEFAULT_CASE_GROUP,
                                                                                     ALTERNATE_GROUP])))
    ).all()
    route = rows[0][3] if rows else None
    groups: dict[int, str] = {}
    members: dict[int, set[int]] = {}
    for group_id, slug, reviewer_id, _ in rows:
        assert group_id is not None
        groups[group_id] = slug
        members.setdefault(group_id, set())
        if reviewer_id is not None:
            members[group_id].add(reviewer_id)
    by_slug = {slug: group_id for group_id, slug in groups.items()}
    chosen = route if route in groups else by_slug.get(DEFAULT_CASE_GROUP)
    if chosen is None:
        raise NotFound(f"no group {DEFAULT_CASE_GROUP!r} in this city")
    acting = {r.reviewer_id for r in reviewers if r.role in ACTING_ROLES}
    fell_back = not (members[chosen] & acting) - set(exclusions)
    if fell_back:
        if ALTERNATE_GROUP not in by_slug:
            raise NotFound(f"no group {ALTERNATE_GROUP!r} in this city")
        alternate = by_slug[ALTERNATE_GROUP]
        # Refused only when the exclusions are the reason: a city with nobody at all in either group (being set
        # up) still takes the report into its alternate group, and its admin sees the gap (routing_gaps).
        if not (members[alternate] & acting) - set(exclusions) and (members[chosen] | members[alternate]) & acting:
            raise NobodyCanRead()
        chosen = alternate
    return RoutingDecision(chosen, groups[chosen], tuple(sorted(exclusions.items())), fell_back)


@dataclass(frozen=True)
class RoutingGap:
    """A group that cases reach but nobody could act on: a category's route, or the alternate group."""

    group_name: str
    categories: tuple[str, ...]  # the categories routed there; empty for the alternate group alone
    alternate: bool


def routing_gaps(session: Session, city_id: int) -> tuple[RoutingGap, ...]:
    """Every group of the city that a case can be routed to (a category's route, the default group and the
    alternate group) with no active member holding a role that handles cases."""
    groups = {group.id: group for group in session.exec(select(ReviewerGroup).where(ReviewerGroup.city_id == city_id))}
    acting_members = set(session.exec(
        select(GroupMember.group_id)
        .join(Reviewer, col(Reviewer.id) == col(GroupMember.reviewer_id))
        .join(Membership, col(Membership.reviewer_id) == col(GroupMember.reviewer_id))
        .where(Membership.city_id == city_id, col(Membership.role).in_(ACTING_ROLES), col(Reviewer.active))).all())
    routed: dict[int, list[str]] = {}
    for category, group_id in session.exec(select(CategoryRoute.category, CategoryRoute.group_id)
                                           .where(CategoryRoute.city_id == city_id)):
        routed.setdefault(group_id, []).append(category)
    gaps = []
    for group_id, group in sorted(((g, group) for g, group in groups.items() if g is not None),
                                  key=lambda pair: pair[1].name):
        alternate = group.slug == ALTERNATE_GROUP
        if (group_id in routed or alternate) and group_id not in acting_members:
            gaps.append(RoutingGap(group.name, tuple(sorted(routed.get(group_id, ()))), alternate))
    return tuple(gaps)


def city_routing_gaps(db: Database, city_id: int) -> tuple[RoutingGap, ...]:
    with db.read() as session:
        return routing_gaps(session, city_id)


def record_exclusions(session: Session, case_id: str, decision: RoutingDecision) -> None:
    for reviewer_id, reason in decision.exclusions:
        session.add(CaseExclusion(case_id=case_id, reviewer_id=reviewer_id, reason=reason))


def readable_by(reviewer_id: int, city_id: int) -> ColumnElement[bool]:
    """SQL condition: the case is in this city, routed to a group the reviewer belongs to, and the reviewer is
    not excluded from it. The one rule every listing, count and read of cases goes through."""
    member_groups = select(GroupMember.group_id).where(GroupMember.reviewer_id == reviewer_id)
    excluded = exists().where(col(CaseExclusion.case_id) == col(Case.id),
                              col(CaseExclusion.reviewer_id) == reviewer_id)
    return and_(col(Case.city_id) == city_id, col(Case.group_id).in_(member_groups), not_(excluded))


def can_read(session: Session, reviewer_id: int, city_id: int, case_id: str) -> bool:
    return session.exec(select(Case.id).where(col(Case.id) == case_id, readable_by(reviewer_id, city_id))).first() \
        is not None


@dataclass(frozen=True)
class Visibility:
    """What :func:`readable_by` allows one reviewer in one city, read once: the groups, the exclusions, and
    the same rule as a condition with those lists put in literally."""

    group_ids: tuple[int, ...]
    excluded_case_ids: tuple[str, ...]
    condition: ColumnElement[bool]


def visibility_for(session: Session, reviewer_id: int, city_id: int) -> Visibility:
    """Equivalent to :func:`readable_by`, but lets the inbox walk an index in page order over 100,000 cases
    without a subquery per row; tests/intake/casework/test_inbox.py checks that both always select the same cases."""
    groups = tuple(session.exec(
        select(GroupMember.group_id).join(ReviewerGroup, col(ReviewerGroup.id) == col(GroupMember.group_id))
        .where(GroupMember.reviewer_id == reviewer_id, ReviewerGroup.city_id == city_id)).all())
    # By primary key from the reviewer's exclusions, with the city checked here: filtering on the city in SQL
    # (or a join) lets SQLite walk the city's 100,000 cases instead.
    mine = select(CaseExclusion.case_id).where(CaseExclusion.reviewer_id == reviewer_id)
    excluded = tuple(sorted(case_id for case_id, case_city in session.exec(
        select(Case.id, Case.city_id).where(col(Case.id).in_(mine))).all() if case_city == city_id))
    # Expanding bind parameters: the lists go to the driver as they are, not as one SQL element per value.
    condition = and_(col(Case.city_id) == city_id,
                     col(Case.group_id).in_(bindparam("visible_groups", value=list(groups), expanding=True)))
    if excluded:
        condition = and_(condition, col(Case.id).not_in(bindparam("excluded_cases", value=list(excluded),
                                                                  expanding=True)))
    return Visibility(groups, excluded, condition)
