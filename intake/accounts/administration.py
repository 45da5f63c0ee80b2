"""A city admin's work: the city's reviewers and their roles, reviewer groups and who is in them, and which group
each category goes to (docs/design.md#routing-and-conflict-of-interest). Every change is audited in the city's
chain.

Hooks for later work: a questionnaire editor and retention settings belong on the same admin page; they add their
own services and link from hotline/templates/reviewer/admin/index.html where the "hooks" comment is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlmodel import col, delete, select

from intake import audit
from intake.accounts.reviewers import CONTENT_ROLES, ROLE_ADMIN
from intake.accounts.sessions import ReviewerContext, end_sessions_of
from intake.audit.actions import AuditAction
from intake.categories import DEFAULT_CATEGORIES
from intake.clock import Clock, utc_now
from intake.db import Database
from intake.errors import AlreadyExists, InvalidInput, NotFound
from intake.messages import N_
from intake.models import CategoryRoute, CityKeyGrant, GroupMember, Membership, Reviewer, ReviewerGroup
from intake.models.routing import PURPOSE_ALTERNATE, PURPOSE_CASES, PURPOSE_HR
from intake.routing import ALTERNATE_GROUP, DEFAULT_CASE_GROUP, HR_GROUP

_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
PROTECTED_GROUPS = (DEFAULT_CASE_GROUP, ALTERNATE_GROUP, HR_GROUP)


@dataclass(frozen=True)
class CityMember:
    reviewer_id: int
    email: str
    display_name: str
    role: str
    groups: tuple[str, ...]
    totp_set_up: bool
    has_city_key: bool
    # A copy of the city key sealed to them, taken at their next sign-in (an accepted invitation, a rotation).
    key_waiting: bool


@dataclass(frozen=True)
class GroupInfo:
    group_id: int
    slug: str
    name: str
    purpose: str
    members: tuple[int, ...]


@dataclass(frozen=True)
class CityAdministration:
    members: tuple[CityMember, ...]
    groups: tuple[GroupInfo, ...]
    routes: tuple[tuple[str, int], ...]  # (category, group_id)


def _require_admin(context: ReviewerContext) -> None:
    if context.role != ROLE_ADMIN:
        raise NotFound("only a city admin can do this")


def city_administration(db: Database, context: ReviewerContext) -> CityAdministration:
    _require_admin(context)
    with db.read() as session:
        groups = session.exec(select(ReviewerGroup).where(ReviewerGroup.city_id == context.city_id)
                              .order_by(col(ReviewerGroup.name))).all()
        group_ids = [g.id for g in groups]
        memberships = session.exec(select(GroupMember).where(col(GroupMember.group_id).in_(group_ids))).all()
        people = session.exec(
            select(Reviewer, Membership).join(Membership, col(Membership.reviewer_id) == col(Reviewer.id))
            .where(Membership.city_id == context.city_id).order_by(col(Reviewer.display_name))).all()
        routes = session.exec(select(CategoryRoute).where(CategoryRoute.city_id == context.city_id)).all()
        waiting = set(session.exec(select(CityKeyGrant.reviewer_id).where(CityKeyGrant.city_id == context.city_id)))
    slug_of = {g.id: g.slug for g in groups}
    members_of: dict[int, list[int]] = {}
    groups_of: dict[int, list[str]] = {}
    for row in memberships:
        members_of.setdefault(row.group_id, []).append(row.reviewer_id)
        groups_of.setdefault(row.reviewer_id, []).append(slug_of[row.group_id])
    members = []
    for reviewer, membership in people:
        assert reviewer.id is not None
        members.append(CityMember(reviewer.id, reviewer.email, reviewer.display_name, membership.role,
                                  tuple(sorted(groups_of.get(reviewer.id, []))), reviewer.totp_confirmed,
                                  membership.wrapped_city_key is not None, reviewer.id in waiting))
    return CityAdministration(
        tuple(members),
        tuple(GroupInfo(g.id, g.slug, g.name, g.purpose, tuple(sorted(members_of.get(g.id, []))))
              for g in groups if g.id is not None),
        tuple(sorted((r.category, r.group_id) for r in routes)))


def remove_from_city(db: Database, context: ReviewerContext, reviewer_id: int, *, clock: Clock = utc_now) -> None:
    """Take a reviewer's role (and copy of the city key, and groups) in this city away; their sessions end."""
    _require_admin(context)
    if reviewer_id == context.reviewer_id:
        raise InvalidInput({"reviewer": N_("Another admin of the city must remove you.")})
    with db.write() as session:
        membership = session.exec(select(Membership).where(Membership.reviewer_id == reviewer_id,
                                                           Membership.city_id == context.city_id)).first()
        if membership is None:
            raise NotFound("no such reviewer in this city")
        group_ids = select(ReviewerGroup.id).where(ReviewerGroup.city_id == context.city_id)
        session.exec(delete(GroupMember).where(col(GroupMember.reviewer_id) == reviewer_id,
                                               col(GroupMember.group_id).in_(group_ids)))
        session.delete(membership)
        end_sessions_of(session, reviewer_id)
        city = audit.lock_city(session, context.city_id)
        audit.append(session, city, actor=context.actor, action=AuditAction.REVIEWER_REMOVED, when=clock(),
                     subject=audit.reviewer_actor(reviewer_id))


def add_group(db: Database, context: ReviewerContext, *, slug: str, name: str, clock: Clock = utc_now) -> int:
    _require_admin(context)
    slug, name = slug.strip(), name.strip()
    problems = {}
    if not _SLUG.match(slug) or len(slug) > 64:
        problems["slug"] = N_("Use lower-case letters, digits and single hyphens, such as public-works.")
    if not name or len(name) > 200:
        problems["name"] = N_("Give the group a name (at most 200 characters).")
    if problems:
        raise InvalidInput(problems)
    with db.write() as session:
        if session.exec(select(ReviewerGroup).where(ReviewerGroup.city_id == context.city_id,
                                                    ReviewerGroup.slug == slug)).first():
            raise AlreadyExists("the city already has a group with that short name")
        group = ReviewerGroup(city_id=context.city_id, slug=slug, name=name, purpose=PURPOSE_CASES)
        session.add(group)
        session.flush()
        city = audit.lock_city(session, context.city_id)
        audit.append(session, city, actor=context.actor, action=AuditAction.GROUP_ADDED, when=clock(), subject=slug)
        assert group.id is not None
        return group.id


def _group(session: object, context: ReviewerContext, group_id: int) -> ReviewerGroup:
    group = session.get(ReviewerGroup, group_id)  # type: ignore[attr-defined]
    if group is None or group.city_id != context.city_id:
        raise NotFound("no such group in this city")
    assert isinstance(group, ReviewerGroup)
    return group


def set_group_member(db: Database, context: ReviewerContext, group_id: int, reviewer_id: int, member: bool, *,
                     clock: Clock = utc_now) -> None:
    """Put a reviewer of the city in a group, or take them out. Only content roles read cases, so only they
    can be members."""
    _require_admin(context)
    with db.write() as session:
        group = _group(session, context, group_id)
        membership = session.exec(select(Membership).where(Membership.reviewer_id == reviewer_id,
                                                           Membership.city_id == context.city_id)).first()
        if membership is None:
            raise NotFound("no such reviewer in this city")
        if member and membership.role not in CONTENT_ROLES:
            raise InvalidInput({"reviewer": N_("Only reviewers and admins read cases, so only they join groups.")})
        existing = session.get(GroupMember, (group_id, reviewer_id))
        if member and existing is None:
            session.add(GroupMember(group_id=group_id, reviewer_id=reviewer_id))
        elif not member and existing is not None:
            session.delete(existing)
        else:
            return
        city = audit.lock_city(session, context.city_id)
        audit.append(session, city, actor=context.actor,
                     action=AuditAction.GROUP_JOINED if member else AuditAction.GROUP_LEFT,
                     when=clock(), subject=group.slug, detail={"reviewer": audit.reviewer_actor(reviewer_id)})


def route_category(db: Database, context: ReviewerContext, category: str, group_id: int, *,
                   clock: Clock = utc_now) -> None:
    """New cases of ``category`` go to this group from now on (cases already routed stay where they are)."""
    _require_admin(context)
    if category not in {c.slug for c in DEFAULT_CATEGORIES}:
        raise InvalidInput({"category": "Choose one of the categories listed."})
    with db.write() as session:
        group = _group(session, context, group_id)
        if group.purpose in (PURPOSE_HR, PURPOSE_ALTERNATE):
            raise InvalidInput({"group": N_("Route categories to a case group; the alternate and HR groups have "
                                            "their own purposes.")})
        route = session.get(CategoryRoute, (context.city_id, category))
        if route is None:
            route = CategoryRoute(city_id=context.city_id, category=category, group_id=group_id)
        route.group_id = group_id
        session.add(route)
        city = audit.lock_city(session, context.city_id)
        audit.append(session, city, actor=context.actor,
                     action=AuditAction.ROUTING_CHANGED, when=clock(), subject=category,
                     detail={"group": group.slug})
