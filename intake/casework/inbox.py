"""The reviewer inbox at scale (docs/design.md#case-handling): filters, two sort orders, pages of 50, and counts.

Content-free: nothing is decrypted, so a page costs two indexed queries whatever the city's size. Which cases
a reviewer sees is intake.routing's rule (readable_condition, equivalent to readable_by). Counts come from one
GROUP BY over the covering index ix_cases_inbox_counts: per status (under the other filters), overdue, and the
filtered total. Sorting by due date lists cases with something due, soonest first, then the rest newest first.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, or_
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from intake.accounts.reviewers import CONTENT_ROLES
from intake.accounts.sessions import ReviewerContext
from intake.case_status import CONCLUDED, OUTCOMES, STATUSES
from intake.casework.deadlines import is_due_soon
from intake.casework.readings import new_reporter_messages
from intake.categories import CATEGORY_SLUGS
from intake.clock import Clock, utc_now
from intake.db import Database
from intake.errors import NotFound
from intake.models import Case, CaseTally, GroupMember, Reviewer, ReviewerGroup
from intake.models.routing import PURPOSE_HR
from intake.routing import Visibility, by_ids, ids_in, visibility_for

PAGE_SIZE = 50
SORT_RECEIVED = "received"
SORT_DUE = "due"
SORTS = (SORT_RECEIVED, SORT_DUE)
ASSIGNED_TO_ME = "me"
UNASSIGNED = "none"
MAX_PAGE = 100_000
# Paging reaches the newest 5,000 matches; past that a reviewer narrows the filters, as with any search, and
# no page has to skip over tens of thousands of rows.
MAX_PAGES = 100
# Open urgent cases (someone in danger) listed above the inbox, whatever the filters: at most this many.
URGENT_LIMIT = 20

@dataclass(frozen=True)
class InboxFilter:
    """What the reviewer asked for. Unknown values are dropped by :func:`parse_filter`, never an error."""

    status: str | None = None
    category: str | None = None
    channel: str | None = None
    group_id: int | None = None
    assignee: str | None = None  # "me", "none", or a reviewer id as text
    overdue: bool = False
    sort: str = SORT_RECEIVED
    page: int = 1

    def query_items(self, **changes: object) -> list[tuple[str, str]]:
        """The filter as query parameters (for links to other pages or sort orders)."""
        value = replace(self, **changes)  # type: ignore[arg-type]
        items = [(name, str(getattr(value, name))) for name in ("status", "category", "channel", "group_id",
                                                                "assignee") if getattr(value, name) is not None]
        if value.overdue:
            items.append(("overdue", "1"))
        if value.sort != SORT_RECEIVED:
            items.append(("sort", value.sort))
        if value.page != 1:
            items.append(("page", str(value.page)))
        return items

def _small_int(text: str | None) -> int | None:
    if text is None or not text.isascii() or not text.isdigit() or len(text) > 9:
        return None
    return int(text)

def parse_filter(params: dict[str, str]) -> InboxFilter:
    status = params.get("status")
    category = params.get("category")
    channel = params.get("channel")
    assignee = params.get("assignee")
    if assignee not in (ASSIGNED_TO_ME, UNASSIGNED) and _small_int(assignee) is None:
        assignee = None
    return InboxFilter(
        status=status if status in STATUSES else None,
        category=category if category in CATEGORY_SLUGS else None,
        channel=channel if channel and len(channel) <= 16 and channel.replace("-", "").isalpha() else None,
        group_id=_small_int(params.get("group_id")),
        assignee=assignee,
        overdue=params.get("overdue") in ("1", "on", "true"),
        sort=params.get("sort") if params.get("sort") in SORTS else SORT_RECEIVED,  # type: ignore[arg-type]
        page=min(max(1, _small_int(params.get("page")) or 1), MAX_PAGE),
    )

@dataclass(frozen=True)
class InboxRow:
    case_id: str
    number: int
    category: str
    channel: str
    status: str
    outcome: str | None
    received_on: date
    next_due_on: date | None
    overdue: bool
    assignee_id: int | None
    group_id: int | None
    urgent: bool = False
    # Days until the next deadline (negative: overdue by that many days); None: nothing due.
    days_left: int | None = None
    # The reporter's messages added since this reviewer last opened the case (intake.casework.readings).
    new_messages: int = 0

    @property
    def due_soon(self) -> bool:
        return is_due_soon(self.days_left)

@dataclass(frozen=True)
class InboxPage:
    rows: tuple[InboxRow, ...]
    filter: InboxFilter
    total: int  # cases matching every filter
    page: int
    pages: int
    by_status: dict[str, int] = field(default_factory=dict)  # under every filter but status
    overdue: int = 0  # under every filter but overdue
    capped: bool = False  # more matches than MAX_PAGES pages show
    # Open cases whose reporter said someone is in danger now, newest first, shown above every page
    # (ix_cases_inbox_urgent: only urgent cases are read).
    urgent: tuple[InboxRow, ...] = ()

@dataclass(frozen=True)
class InboxChoices:
    """What the filter form offers: the reviewer's groups, the city's reviewers and channels seen."""

    groups: tuple[tuple[int, str], ...]
    assignees: tuple[tuple[int, str], ...]
    outcomes: tuple[str, ...] = OUTCOMES

def _conditions(columns: Any, context: ReviewerContext, wanted: InboxFilter, *, status: bool = True,
                assignee_none: Any = None) -> list[ColumnElement[bool]]:
    """The filters as SQL on ``columns`` (the cases table or the tally, which share these column names)."""
    conditions: list[ColumnElement[bool]] = []
    if status and wanted.status is not None:
        conditions.append(columns.status == wanted.status)
    if wanted.category is not None:
        conditions.append(columns.category == wanted.category)
    if wanted.channel is not None:
        conditions.append(columns.channel == wanted.channel)
    if wanted.group_id is not None:
        conditions.append(columns.group_id == wanted.group_id)
    if wanted.assignee == ASSIGNED_TO_ME:
        conditions.append(columns.assignee_id == context.reviewer_id)
    elif wanted.assignee == UNASSIGNED:
        conditions.append(assignee_none if assignee_none is not None else columns.assignee_id.is_(None))
    elif wanted.assignee is not None:
        conditions.append(columns.assignee_id == int(wanted.assignee))
    return conditions


def _matches(case_row: Any, context: ReviewerContext, wanted: InboxFilter, group_id: int | None = None) -> bool:
    """:func:`_conditions` (without status), in Python, for the few hidden or extra cases; ``group_id`` in place
    of the case's own (the alternate group, for a case that fell back to it)."""
    assignee = {ASSIGNED_TO_ME: context.reviewer_id, UNASSIGNED: None}.get(wanted.assignee or "", wanted.assignee)
    group = case_row.group_id if group_id is None else group_id
    return ((wanted.category is None or case_row.category == wanted.category)
            and (wanted.channel is None or case_row.channel == wanted.channel)
            and (wanted.group_id is None or group == wanted.group_id)
            and (wanted.assignee is None or case_row.assignee_id == (None if assignee is None else int(assignee))))


# The columns an inbox row needs: selected as plain tuples, which is several times cheaper than loading models.
_COLUMNS = (col(Case.id), col(Case.number), col(Case.category), col(Case.channel), col(Case.status),
            col(Case.outcome), col(Case.received_on), col(Case.next_due_on), col(Case.assignee_id),
            col(Case.group_id), col(Case.urgent))


def _row(case_row: Any, today: date, new_messages: dict[str, int]) -> InboxRow:
    due = case_row.next_due_on
    return InboxRow(case_row.id, case_row.number, case_row.category, case_row.channel, case_row.status,
                    case_row.outcome, case_row.received_on, due, due is not None and due < today,
                    case_row.assignee_id, case_row.group_id, bool(case_row.urgent),
                    (due - today).days if due is not None else None, new_messages.get(case_row.id, 0))


@dataclass(frozen=True)
class _Counts:
    by_status: dict[str, int]  # under every filter but status and overdue
    with_due_by_status: dict[str, int]
    overdue_by_status: dict[str, int]  # under every filter but status

    def total(self, wanted: InboxFilter) -> int:
        source = self.overdue_by_status if wanted.overdue else self.by_status
        return sum(n for status, n in source.items() if wanted.status in (None, status))

    def with_due(self, wanted: InboxFilter) -> int:
        source = self.overdue_by_status if wanted.overdue else self.with_due_by_status
        return sum(n for status, n in source.items() if wanted.status in (None, status))

    def overdue(self, wanted: InboxFilter) -> int:
        return sum(n for status, n in self.overdue_by_status.items() if wanted.status in (None, status))


def _counts(session: Session, visibility: Visibility, context: ReviewerContext, wanted: InboxFilter,
            today: date) -> _Counts:
    """Counts from the tallies (a few hundred rows), less the cases this reviewer is excluded from; overdue
    from the overdue part of ix_cases_inbox_due only."""
    tally = CaseTally.__table__.c  # type: ignore[attr-defined]
    by_status = {status: 0 for status in STATUSES}
    with_due = {status: 0 for status in STATUSES}
    overdue = {status: 0 for status in STATUSES}
    if visibility.group_ids:
        rows = session.connection().execute(
            sa_select(tally.status, func.sum(tally.count), func.sum(case((tally.has_due, tally.count), else_=0)))
            .where(tally.city_id == context.city_id, tally.group_id.in_(visibility.group_ids),
                   *_conditions(tally, context, wanted, status=False, assignee_none=tally.assignee_id == 0))
            .group_by(tally.status)).all()
        for status, count, due_count in rows:
            by_status[status] = by_status.get(status, 0) + int(count or 0)
            with_due[status] = with_due.get(status, 0) + int(due_count or 0)
        if visibility.hidden_case_ids:
            # Tallies count every case of the groups; take away the ones this reviewer may not see, counted by the
            # database from their primary keys (a few, or a few thousand fallbacks in a busy city).
            # Each found by its primary key (intake.routing.by_ids), counted by the database under the filters.
            found = by_ids(session, visibility.hidden_case_ids, "hidden_cases")
            hidden_counts = session.connection().execute(
                sa_select(found.c.status, func.count(), func.sum(case((found.c.next_due_on.is_not(None), 1),
                                                                      else_=0)),
                          func.sum(case((found.c.next_due_on < today, 1), else_=0)))
                .where(found.c.group_id.in_(visibility.group_ids),
                       *_conditions(found.c, context, wanted, status=False))
                .group_by(found.c.status)).all()
            for status, count, due_count, overdue_count in hidden_counts:
                by_status[status] -= int(count)
                with_due[status] -= int(due_count or 0)
                overdue[status] -= int(overdue_count or 0)
        # Overdue: only the overdue part of ix_cases_inbox_due is read, and without the per-row exclusion test
        # (the excluded cases were taken away just above).
        overdue_rows = session.connection().execute(
            sa_select(col(Case.status), func.count())
            .where(col(Case.city_id) == context.city_id, col(Case.group_id).in_(visibility.group_ids),
                   col(Case.next_due_on) < today, *_conditions(Case, context, wanted, status=False))
            .group_by(col(Case.status))).all()
        for status, count in overdue_rows:
            overdue[status] = overdue.get(status, 0) + int(count)
    if visibility.extra_case_ids:
        # Cases that fell back to the alternate group keep their category's group (intake.routing), so the tallies
        # count them there (and they were taken away above): count them again as the alternate group's.
        extra_rows = sa_select(*_COLUMNS).where(ids_in(session, col(Case.id), visibility.extra_case_ids,
                                                       "extra_cases"), col(Case.group_id).is_not(None))
        for extra in session.connection().execute(extra_rows):
            if _matches(extra, context, wanted, visibility.alternate_group_id):
                by_status[extra.status] += 1
                with_due[extra.status] += int(extra.next_due_on is not None)
                overdue[extra.status] += int(extra.next_due_on is not None and extra.next_due_on < today)
    return _Counts(by_status, with_due, overdue)


def list_inbox(db: Database, context: ReviewerContext, wanted: InboxFilter, *, clock: Clock = utc_now) -> InboxPage:
    """One page of the cases this reviewer may read, filtered and sorted, with counts. Nothing is decrypted.

    Pages stop at MAX_PAGES (5,000 cases): past that, the reviewer narrows the filters, as with any search.
    """
    if context.role not in CONTENT_ROLES:
        raise NotFound("this role has no inbox")
    today = clock().date()
    if wanted.overdue:
        wanted = replace(wanted, sort=SORT_DUE)
    with db.read(plan_for_each_value=True) as session:  # pages deep in a long list (intake.db)
        visibility = visibility_for(session, context.routing_key, context.reviewer_id, context.city_id)
        counts = _counts(session, visibility, context, wanted, today)
        total = counts.total(wanted)
        with_due = counts.with_due(wanted)
        pages = min(MAX_PAGES, max(1, -(-total // PAGE_SIZE)))
        page = min(wanted.page, pages)
        offset = (page - 1) * PAGE_SIZE
        where = and_(visibility.in_groups, *_conditions(Case, context, wanted))
        if visibility.extra is not None and wanted.group_id in (None, visibility.alternate_group_id):
            # The extra cases count as the alternate group's, whatever group they keep.
            where = or_(where, and_(visibility.extra, *_conditions(Case, context, replace(wanted, group_id=None))))
        if wanted.overdue:
            where = and_(where, col(Case.next_due_on) < today)
        newest_first = (col(Case.received_on).desc(), col(Case.number).desc())
        rows: list[Any] = []
        if not visibility.group_ids and not visibility.extra_case_ids:
            pass
        elif wanted.sort == SORT_DUE:  # overdue cases are always listed most overdue first (see above)
            if offset < with_due:
                rows = list(session.connection().execute(
                    sa_select(*_COLUMNS).where(where, col(Case.next_due_on).is_not(None))
                    .order_by(col(Case.next_due_on), col(Case.number)).offset(offset).limit(PAGE_SIZE)).all())
            if len(rows) < PAGE_SIZE and not wanted.overdue:
                rows += session.connection().execute(
                    sa_select(*_COLUMNS).where(where, col(Case.next_due_on).is_(None)).order_by(*newest_first)
                    .offset(max(0, offset - with_due)).limit(PAGE_SIZE - len(rows))).all()
        else:
            rows = list(session.connection().execute(sa_select(*_COLUMNS).where(where).order_by(*newest_first)
                                     .offset(offset).limit(PAGE_SIZE)).all())
        urgent: list[Any] = []
        if visibility.group_ids:
            urgent = list(session.connection().execute(
                sa_select(*_COLUMNS).where(visibility.condition, col(Case.urgent), col(Case.status) != CONCLUDED)
                .order_by(*newest_first).limit(URGENT_LIMIT)).all())
        new_messages = new_reporter_messages(session, context.reviewer_id,
                                             {row.id for row in rows} | {row.id for row in urgent})
    by_status = counts.by_status if not wanted.overdue else counts.overdue_by_status
    return InboxPage(tuple(_row(row, today, new_messages) for row in rows), replace(wanted, page=page), total,
                     page, pages, dict(by_status), counts.overdue(wanted), capped=total > MAX_PAGES * PAGE_SIZE,
                     urgent=tuple(_row(row, today, new_messages) for row in urgent))


def inbox_choices(db: Database, context: ReviewerContext) -> InboxChoices:
    """The groups this reviewer belongs to in the city, and the city's content reviewers, for the filters."""
    with db.read() as session:
        groups = session.exec(
            select(ReviewerGroup.id, ReviewerGroup.name)
            .join(GroupMember, col(GroupMember.group_id) == col(ReviewerGroup.id))
            .where(GroupMember.reviewer_id == context.reviewer_id, ReviewerGroup.city_id == context.city_id,
                   col(ReviewerGroup.purpose) != PURPOSE_HR)
            .order_by(col(ReviewerGroup.name))).all()
        people = session.exec(
            select(Reviewer.id, Reviewer.display_name)
            .join(GroupMember, col(GroupMember.reviewer_id) == col(Reviewer.id))
            .join(ReviewerGroup, col(ReviewerGroup.id) == col(GroupMember.group_id))
            .where(ReviewerGroup.city_id == context.city_id, col(Reviewer.active))
            .distinct().order_by(col(Reviewer.display_name))).all()
    return InboxChoices(tuple((gid, name) for gid, name in groups if gid is not None),
                        tuple((rid, name) for rid, name in people if rid is not None))
