"""Routing a case to a reviewer group, and keeping excluded reviewers out
(docs/design.md#routing-and-conflict-of-interest).

Each city maps categories to groups. A reviewer named in the report, or excluded by the reporter, can never read
the case. If that leaves nobody who could act in the routed group, the case goes to the city's alternate group
(e.g. the city attorney); if the exclusions leave nobody there either, the report is refused before anything is
stored (NobodyCanRead), so that it never lands silently nowhere. :func:`routing_gaps` tells a city's admin which
routes lead to nobody.

Who was excluded, why, and which cases went to the alternate group are kept in one :class:`RoutingSet` per city,
sealed under a key derived from the server's pepper and rewritten with every report (``routing_seal``). The case
itself keeps the category's group, so neither its row nor the tallies show a fallback, and the audit log records
only that group. Every access rule reads the set: an excluded reviewer gets not-found, the alternate group sees
the cases that fell back to it, and nobody else does.
"""

from __future__ import annotations

import functools
import json
import re
import unicodedata
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    ARRAY,
    ColumnElement,
    Integer,
    String,
    and_,
    bindparam,
    cast,
    delete,
    func,
    literal,
    literal_column,
    null,
    or_,
    true,
    union_all,
)
from sqlalchemy import select as select_columns
from sqlmodel import Session, col, select

from crypto.server_keys import open_record, seal_record
from intake.categories import DEFAULT_CATEGORIES
from intake.db import Database, DriverResult, Statements, insert_on_conflict, run_on_driver
from intake.errors import InvalidInput, NotFound
from intake.messages import N_
from intake.models import (
    Case,
    CaseExclusion,
    CategoryRoute,
    City,
    GroupMember,
    Membership,
    Reviewer,
    ReviewerGroup,
    RoutingSeal,
)
from intake.models.city import read_of_city
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


@dataclass(frozen=True)
class ReportWords:
    """A report's texts folded once (:func:`_folded`), for finding reviewers' names in them.

    A report is routed twice, before its key derivation and again under its city lock, and folding is linear in the
    text: 4 ms for a report of 50,000 characters with accents, as a Spanish one has. Folded once, before either, the
    city lock is held for none of it."""

    haystack: str  # the folded words, with a space before and after

    @classmethod
    def of(cls, texts: Iterable[str]) -> ReportWords:
        folded = _folded("\n".join(texts))
        return cls(f" {folded} ")

    def reviewers_named(self, reviewers: Iterable[tuple[int, str]]) -> set[int]:
        """IDs of the reviewers whose full name appears in the texts as whole words."""
        return {reviewer_id for reviewer_id, name in reviewers
                if (folded := _folded(name)) and f" {folded} " in self.haystack}


def reviewers_named_in(text: str, reviewers: Iterable[tuple[int, str]]) -> set[int]:
    """IDs of the reviewers whose full name appears in ``text`` as whole words."""
    return ReportWords.of([text]).reviewers_named(reviewers)


@dataclass(frozen=True)
class CityReviewer:
    reviewer_id: int
    display_name: str
    role: str


def city_reviewers(session: Session, city_id: int) -> list[CityReviewer]:
    """Every reviewer with a role in the city, as a reporter may be shown them to exclude."""
    # Executed on the connection (Core): a column query needs none of the ORM's per-statement work.
    rows = session.connection().execute(_city_reviewers_query(), {"city_id": city_id}).all()
    return [CityReviewer(reviewer_id, name, role) for reviewer_id, name, role in rows if reviewer_id is not None]


# The statements a report runs under its city lock are built once, with their values as parameters: building a
# statement costs more than running it (its expression tree and cache key; `hotline bench intake`), and one built
# object keeps its cache key. They are constants, like a compiled pattern: no state.
@functools.cache
def _city_reviewers_query() -> Any:
    return _city_reviewer_rows(col(Reviewer.id), col(Reviewer.display_name),
                               col(Membership.role)).order_by(col(Reviewer.display_name))


def _city_reviewer_rows(*columns: Any) -> Any:
    """``columns`` of every active reviewer with a role in the city (parameter ``city_id``): who a city's reviewers
    are, for :func:`city_reviewers` and for every routing decision alike. SQLAlchemy's own select: sqlmodel's is
    typed for at most four columns."""
    return (select_columns(*columns)
            .join(Membership, col(Membership.reviewer_id) == col(Reviewer.id))
            .where(col(Membership.city_id) == bindparam("city_id"), col(Reviewer.active)))


@functools.cache
def _routing_seal_query() -> Any:
    seal = RoutingSeal.__table__  # type: ignore[attr-defined]
    return select(seal.c.sealed).where(seal.c.city_id == bindparam("city_id"))


@functools.cache
def _routing_seal_upsert(dialect: str) -> Any:
    # One statement whose answer nothing needs, made if missing: a report's intake sends it as one statement with the
    # report's other last statements (intake.db.sent_as_one).
    seal = RoutingSeal.__table__  # type: ignore[attr-defined]
    statement = insert_on_conflict(dialect, seal)
    return statement.on_conflict_do_update(index_elements=["city_id"], set_={"sealed": statement.excluded.sealed})


@functools.cache
def _legacy_exclusions_query() -> Any:
    return select(CaseExclusion.case_id, CaseExclusion.reviewer_id, CaseExclusion.reason)


_REVIEWER_ROW = "reviewer"
_GROUP_ROW = "group"


@functools.cache
def _route_facts_query() -> Any:
    """Everything a routing decision reads, in one statement: the city's reviewers, as :func:`city_reviewers` reads
    them, as rows ("reviewer", id, display name, role, NULL, NULL); and the category's routed group, the default
    and alternate groups, and their members, as rows ("group", group id, slug, NULL, member id, routed group id)."""
    no_number, no_text = cast(null(), Integer), cast(null(), String)
    reviewers = _city_reviewer_rows(literal_column(f"'{_REVIEWER_ROW}'", String), col(Reviewer.id),
                                    col(Reviewer.display_name), col(Membership.role), no_number, no_number)
    routed_id = select(CategoryRoute.group_id).where(CategoryRoute.city_id == bindparam("city_id"),
                                                     CategoryRoute.category == bindparam("category")).scalar_subquery()
    groups = (select_columns(literal_column(f"'{_GROUP_ROW}'", String), col(ReviewerGroup.id), col(ReviewerGroup.slug),
                             no_text, col(GroupMember.reviewer_id), routed_id)
              .select_from(ReviewerGroup)
              .outerjoin(GroupMember, col(GroupMember.group_id) == col(ReviewerGroup.id))
              .where(col(ReviewerGroup.city_id) == bindparam("city_id"),
                     # Two comparisons, not IN (...): a list is expanded at execution (intake.db.run_on_driver).
                     or_(col(ReviewerGroup.id) == routed_id,
                         col(ReviewerGroup.slug) == literal(DEFAULT_CASE_GROUP),
                         col(ReviewerGroup.slug) == literal(ALTERNATE_GROUP))))
    return union_all(reviewers, groups)


@dataclass(frozen=True)
class RoutingDecision:
    # The category's group: what the case row keeps, even when the case fell back to the alternate group (that is
    # sealed in the city's RoutingSet, so a dump does not show it).
    group_id: int
    group_slug: str
    exclusions: tuple[tuple[int, str], ...]  # (reviewer_id, reason)
    fell_back_to_alternate: bool


def decide_route(
    session: Statements, city_id: int, category: str, words: ReportWords, excluded_by_reporter: Collection[int]
) -> RoutingDecision:
    # One statement for the reviewers, the groups and their members: a report is routed twice, the second time
    # under its city lock (`hotline bench intake`).
    return route_from(run_on_driver(session, *route_read(city_id, category)).rows, words, excluded_by_reporter)


def route_read(city: int | str, category: str) -> tuple[Any, dict[str, Any]]:
    """The statement and values :func:`decide_route` reads (for intake.db.run_together), the city named by its id or
    by its slug (intake.models.city.read_of_city)."""
    return read_of_city(_route_facts_query(), city, category=category)


def route_from(rows: list[tuple[Any, ...]], words: ReportWords,
               excluded_by_reporter: Collection[int]) -> RoutingDecision:
    """:func:`decide_route` on the rows :func:`route_read` read."""
    reviewers = [CityReviewer(row_id, text, role) for kind, row_id, text, role, _, _ in rows
                 if kind == _REVIEWER_ROW and row_id is not None]
    known = {r.reviewer_id for r in reviewers}
    named = words.reviewers_named((r.reviewer_id, r.display_name) for r in reviewers)
    exclusions = {reviewer_id: NAMED_IN_REPORT for reviewer_id in named}
    for reviewer_id in excluded_by_reporter:
        if reviewer_id in known:
            exclusions.setdefault(reviewer_id, EXCLUDED_BY_REPORTER)
    route = None
    groups: dict[int, str] = {}
    members: dict[int, set[int]] = {}
    for kind, group_id, slug, _, reviewer_id, routed_id in rows:
        if kind != _GROUP_ROW:
            continue
        assert group_id is not None
        route = routed_id
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
    # The case keeps its category's group; a fallback to the alternate group is sealed with the exclusions.
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


# Reasons as stored inside the sealed set.
_REASON_CODES = {NAMED_IN_REPORT: "n", EXCLUDED_BY_REPORTER: "r"}
_REASONS = {code: reason for reason, code in _REASON_CODES.items()}


@dataclass
class RoutingSet:
    """One city's routing exceptions: who is excluded from which case and why, and which cases fell back to the
    alternate group. Only the cases with an exception are in it."""

    excluded: dict[str, dict[int, str]] = field(default_factory=dict)  # case id -> reviewer id -> reason
    alternate: set[str] = field(default_factory=set)

    def add(self, case_id: str, decision: RoutingDecision) -> None:
        if decision.exclusions:
            self.excluded[case_id] = dict(decision.exclusions)
        if decision.fell_back_to_alternate:
            self.alternate.add(case_id)

    def forget(self, case_id: str) -> None:
        self.excluded.pop(case_id, None)
        self.alternate.discard(case_id)

    def excluded_from(self, reviewer_id: int) -> set[str]:
        return {case_id for case_id, who in self.excluded.items() if reviewer_id in who}

    def to_json(self) -> bytes:
        return json.dumps({"x": {case_id: {str(rid): _REASON_CODES[reason] for rid, reason in sorted(who.items())}
                                 for case_id, who in sorted(self.excluded.items())},
                           "a": sorted(self.alternate)}, separators=(",", ":")).encode()

    @classmethod
    def from_json(cls, data: bytes) -> RoutingSet:
        raw = json.loads(data)
        return cls({case_id: {int(rid): _REASONS[code] for rid, code in who.items()}
                    for case_id, who in raw["x"].items()}, set(raw["a"]))


def _binding(city_id: int) -> bytes:
    return b"hotline/v1/routing-set|city=%d" % city_id


def load_routing(session: Session, key: bytes, city_id: int) -> RoutingSet:
    """The city's routing exceptions (crypto.errors.WrongSecret if the seal does not open under ``key``: the
    pepper changed). Clear exclusions left from before the seal are included until they are folded in."""
    routing = _load_sealed_routing(session, key, city_id)
    # Usually none: read alone first (a join on the city would make the planner walk the city's cases).
    legacy = session.connection().execute(_legacy_exclusions_query()).all()
    if legacy:
        in_city = set(session.exec(select(Case.id).where(col(Case.id).in_(sorted({row[0] for row in legacy})),
                                                         Case.city_id == city_id)).all())
        for case_id, reviewer_id, reason in legacy:
            if case_id in in_city:
                routing.excluded.setdefault(case_id, {})[reviewer_id] = (reason if reason in _REASON_CODES
                                                                         else NAMED_IN_REPORT)
    return routing


def _load_sealed_routing(session: Session, key: bytes, city_id: int) -> RoutingSet:
    """The sealed set alone, without the clear rows :func:`load_routing` adds. A report's intake re-seals the set
    from this: clear rows stay in case_exclusion, where every reader still finds them, until
    :func:`fold_legacy_exclusions` seals them and deletes them, so the set a report seals need not carry them, and
    its intake is spared a statement under the city lock (`hotline bench intake`)."""
    # A Core statement (no unit of work): every report reads and re-seals the set under the city lock.
    return _sealed_routing_from(key, city_id, run_on_driver(session, *sealed_routing_read(city_id)).scalar())


def sealed_routing_read(city_id: int) -> tuple[Any, dict[str, Any]]:
    """The statement and values that read the city's sealed set, for intake.db.run_together: a report's intake
    reads it with the other statements under its city lock and gives what it read to :func:`record_routing`."""
    return _routing_seal_query(), {"city_id": city_id}


def _sealed_routing_from(key: bytes, city_id: int, sealed: bytes | None) -> RoutingSet:
    return RoutingSet() if sealed is None else RoutingSet.from_json(open_record(key, sealed, _binding(city_id)))


def save_routing(session: Session, key: bytes, city_id: int, routing: RoutingSet, *,
                 drop_missing: bool = True) -> None:
    """Seal the set again (a fresh nonce, padded), in the caller's transaction under the city lock. Cases that no
    longer exist are dropped from it, unless ``drop_missing`` is false: a report's intake adds its case without
    looking up every case the set names (that is O(the city's exceptions) for every report, under the lock;
    retention forgets what it purges itself, intake.operations.retention)."""
    named = set(routing.excluded) | routing.alternate
    if named and drop_missing:
        # Every named case in ONE parameter (ids_in): a city of 100,000 cases names about 2,000, and as 2,000
        # placeholders the statement cost 35 ms to build and send (`hotline bench region`).
        existing = set(session.exec(select(Case.id).where(ids_in(session, col(Case.id), named, "named_ids"))).all())
        for case_id in named - existing:
            routing.forget(case_id)
    sealed = seal_record(key, routing.to_json(), _binding(city_id))
    run_on_driver(session, _routing_seal_upsert(session.get_bind().dialect.name), {"city_id": city_id,
                                                                                   "sealed": sealed})


def record_routing(session: Session, key: bytes, city_id: int, case_id: str, decision: RoutingDecision, *,
                   read: DriverResult | None = None) -> None:
    """Add a new case's exceptions to the city's set. The set is sealed again for every report, exceptions or not,
    so which reports had one cannot be told from which writes changed the row. Under the city lock; ``read``: what
    :func:`sealed_routing_read` read under it, if the caller read it already."""
    routing = (_load_sealed_routing(session, key, city_id) if read is None
               else _sealed_routing_from(key, city_id, read.scalar()))
    routing.add(case_id, decision)
    save_routing(session, key, city_id, routing, drop_missing=False)


def forget_routing(session: Session, key: bytes, city_id: int, case_ids: Collection[str]) -> None:
    """Drop purged cases from the city's set (intake.operations.retention, in the purge's transaction), and any
    other case that no longer exists."""
    routing = load_routing(session, key, city_id)
    for case_id in case_ids:
        routing.forget(case_id)
    save_routing(session, key, city_id, routing)


def fold_legacy_exclusions(session: Session, key: bytes, city_id: int) -> int:
    """Seal what was stored in clear before the routing seal: the city's case_exclusion rows, and cases kept in the
    alternate group by a fallback (their category is not routed there), which go back to their category's group
    with the fallback sealed. Idempotent; returns how many cases changed. Under the city lock."""
    routing = load_routing(session, key, city_id)  # includes the clear rows
    changed = set(session.exec(select(CaseExclusion.case_id).join(Case, col(Case.id) == col(CaseExclusion.case_id))
                               .where(Case.city_id == city_id)).all())
    alternate = session.exec(select(ReviewerGroup).where(ReviewerGroup.city_id == city_id,
                                                         ReviewerGroup.slug == ALTERNATE_GROUP)).first()
    if alternate is not None:
        routes = {category: group_id for category, group_id in session.exec(
            select(CategoryRoute.category, CategoryRoute.group_id).where(CategoryRoute.city_id == city_id)).all()}
        default = session.exec(select(ReviewerGroup.id).where(ReviewerGroup.city_id == city_id,
                                                              ReviewerGroup.slug == DEFAULT_CASE_GROUP)).first()
        for case in session.exec(select(Case).where(Case.city_id == city_id, Case.group_id == alternate.id)).all():
            routed = routes.get(case.category, default)
            if routed is None or routed == alternate.id:
                continue  # routed there on purpose: not a fallback
            case.group_id = routed
            session.add(case)
            routing.alternate.add(case.id)
            changed.add(case.id)
    if changed:
        session.execute(delete(CaseExclusion).where(col(CaseExclusion.case_id).in_(
            select(Case.id).where(Case.city_id == city_id))))
        save_routing(session, key, city_id, routing)
    return len(changed)


def fold_all_legacy_exclusions(db: Database, key: bytes) -> int:
    """:func:`fold_legacy_exclusions` in every city that has anything to fold (run at every start)."""
    with db.read() as session:
        legacy = session.exec(select(Case.city_id).join(CaseExclusion, col(CaseExclusion.case_id) == col(Case.id))
                              .distinct()).all()
        alternate = session.exec(select(Case.city_id).join(ReviewerGroup, col(ReviewerGroup.id) == col(Case.group_id))
                                 .where(ReviewerGroup.slug == ALTERNATE_GROUP).distinct()).all()
    folded = 0
    for city_id in sorted(set(legacy) | set(alternate)):
        with db.write() as session:
            session.exec(select(City).where(City.id == city_id).with_for_update()).one()  # the city lock
            folded += fold_legacy_exclusions(session, key, city_id)
    return folded


def ids_in(session: Session, column: Any, ids: Collection[str], name: str, *,
           negate: bool = False) -> ColumnElement[bool]:
    """``column IN ids`` (or NOT IN) with the ids as ONE parameter, however many: a JSON array read by json_each
    on SQLite, an array on PostgreSQL. Thousands of ids as thousands of placeholders cost more to render than the
    query costs to run (``hotline bench inbox``), and the statement's text stays the same for the cache."""
    values = sorted(ids)
    if session.get_bind().dialect.name == "postgresql":
        # As varchar[], the column's own type: cast the other way, the primary key's index could not be used.
        parameter = cast(bindparam(name, value=values, type_=ARRAY(String(32))), ARRAY(String(32)))
        return column != func.all(parameter) if negate else column == func.any(parameter)
    listed: Any = select(literal_column("value")).select_from(func.json_each(bindparam(name, value=json.dumps(values))))
    return column.not_in(listed) if negate else column.in_(listed)


def by_ids(session: Session, ids: Collection[str], name: str) -> Any:
    """The cases with these ids, each found by its primary key, as a subquery with the inbox's columns. The ids
    are ONE parameter; on PostgreSQL a LATERAL lookup per id makes the planner probe the key rather than read the
    whole table, which it prefers (wrongly, with the table in memory) for a few thousand ids."""
    values = sorted(ids)
    columns: list[Any] = [col(Case.id), col(Case.status), col(Case.category), col(Case.channel),
                           col(Case.group_id), col(Case.assignee_id), col(Case.next_due_on)]
    if session.get_bind().dialect.name == "postgresql":
        parameter = cast(bindparam(name, value=values, type_=ARRAY(String(32))), ARRAY(String(32)))
        wanted = select(func.unnest(parameter).label("wanted_id")).subquery()
        # LIMIT 1 (the id is unique) keeps the planner from folding the lookup into a join over the whole table.
        one = select(*columns).where(col(Case.id) == wanted.c.wanted_id).limit(1).lateral()
        return select(*one.c).select_from(wanted).join(one, true()).subquery()
    listed = select(literal_column("value").label("wanted_id")).select_from(
        func.json_each(bindparam(name, value=json.dumps(values)))).subquery()
    return select(*columns).select_from(listed).join(Case.__table__,  # type: ignore[attr-defined]
                                                     col(Case.id) == listed.c.wanted_id).subquery()


def _alternate_group_id(session: Session, city_id: int) -> int | None:
    return session.exec(select(ReviewerGroup.id).where(ReviewerGroup.city_id == city_id,
                                                       ReviewerGroup.slug == ALTERNATE_GROUP)).first()


@dataclass(frozen=True)
class Visibility:
    """Which cases one reviewer may read in one city, read once: their groups; the cases of those groups hidden
    from them (excluded, or gone to the alternate group); the cases of other groups they see (fallen back to the
    alternate group, which they are in); and the rule as a condition with those lists put in literally."""

    group_ids: tuple[int, ...]
    hidden_case_ids: tuple[str, ...]
    extra_case_ids: tuple[str, ...]
    alternate_group_id: int | None
    condition: ColumnElement[bool]
    # The two halves of ``condition``: the reviewer's groups less the hidden cases, and the extra cases (None: none).
    in_groups: ColumnElement[bool]
    extra: ColumnElement[bool] | None

    @property
    def excluded_case_ids(self) -> tuple[str, ...]:
        return self.hidden_case_ids


def visibility_for(session: Session, key: bytes, reviewer_id: int, city_id: int) -> Visibility:
    """The one rule every listing, count and read of cases goes through: the case is released, in this city,
    routed to a group the reviewer belongs to and not hidden from them, or fallen back to the alternate group
    and they are in it and not excluded. The lists go to the driver as expanding parameters, so the inbox walks
    an index in page order over 100,000 cases without a subquery per row."""
    groups = tuple(session.exec(
        select(GroupMember.group_id).join(ReviewerGroup, col(ReviewerGroup.id) == col(GroupMember.group_id))
        .where(GroupMember.reviewer_id == reviewer_id, ReviewerGroup.city_id == city_id)).all())
    routing = load_routing(session, key, city_id)
    alternate_id = _alternate_group_id(session, city_id)
    excluded = routing.excluded_from(reviewer_id)
    extra = (routing.alternate - excluded) if alternate_id is not None and alternate_id in groups else set()
    # A case that fell back is the alternate group's, whatever group its row keeps: never seen through that group.
    hidden = tuple(sorted(excluded | routing.alternate))
    # Pending cases (waiting for their release slot) have no group, so no group condition matches them.
    condition = and_(col(Case.city_id) == city_id,
                     col(Case.group_id).in_(bindparam("visible_groups", value=list(groups), expanding=True)))
    if hidden:
        condition = and_(condition, ids_in(session, col(Case.id), hidden, "hidden_cases", negate=True))
    in_groups, extra_condition = condition, None
    if extra:
        extra_condition = and_(col(Case.city_id) == city_id, col(Case.group_id).is_not(None),
                               ids_in(session, col(Case.id), extra, "extra_cases"))
        condition = or_(in_groups, extra_condition)
    return Visibility(groups, hidden, tuple(sorted(extra)), alternate_id, condition, in_groups, extra_condition)


def can_read(session: Session, key: bytes, reviewer_id: int, city_id: int, case_id: str) -> bool:
    """:func:`visibility_for` for one case."""
    case = session.get(Case, case_id) if len(case_id) <= 64 else None
    if case is None or case.city_id != city_id or case.group_id is None:
        return False
    routing = load_routing(session, key, city_id)
    if reviewer_id in routing.excluded.get(case.id, {}):
        return False
    group = _alternate_group_id(session, city_id) if case.id in routing.alternate else case.group_id
    return group is not None and session.get(GroupMember, (group, reviewer_id)) is not None


def effective_group_id(session: Session, key: bytes, case: Case) -> int | None:
    """The group that reads the case: the alternate group for a case that fell back to it, else its own."""
    if case.group_id is not None and case.id in load_routing(session, key, case.city_id).alternate:
        return _alternate_group_id(session, case.city_id)
    return case.group_id


def excluded_reviewers(session: Session, key: bytes, case: Case) -> set[int]:
    return set(load_routing(session, key, case.city_id).excluded.get(case.id, {}))
