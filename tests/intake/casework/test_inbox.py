"""The inbox at scale: every filter, both orders, pages and counts agree with a plain count over the
cases, on both databases, with exclusions and fallbacks to the alternate group sealed in the city's routing set;
tallies stay right through every kind of change; visibility_for is can_read, case by case."""

import random
from datetime import date, timedelta

import pytest
from sqlmodel import col, select

from intake.case_status import STATUSES
from intake.casework.deadlines import next_due
from intake.casework.inbox import PAGE_SIZE, InboxFilter, list_inbox, parse_filter
from intake.categories import CATEGORY_SLUGS
from intake.clock import utc_now
from intake.errors import NotFound
from intake.models import Case, CaseTally, GroupMember, ReviewerGroup
from intake.models import tally as case_tally
from intake.routing import NAMED_IN_REPORT, RoutingSet, can_read, load_routing, save_routing, visibility_for
from tests.intake.casework.console_helpers import context_for, make_city

CHANNELS = ("web", "phone", "letter")


def add_cases(database, city_id: int, groups: list[int], assignees: list[int], count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    today = utc_now().date()
    ids = []
    with database.write() as session:
        last = session.exec(select(Case.number).where(Case.city_id == city_id).order_by(col(Case.number).desc())
                            ).first() or 0
        for n in range(count):
            received = today - timedelta(days=rng.randint(0, 200))
            case = Case(id=f"{seed:04d}{n:028d}", city_id=city_id, number=last + n + 1,
                        category=rng.choice(sorted(CATEGORY_SLUGS)), channel=rng.choice(CHANNELS),
                        status=rng.choice(STATUSES), received_on=received,
                        acknowledge_due_on=received + timedelta(days=7), feedback_due_on=received + timedelta(days=90),
                        acknowledged_on=received + timedelta(days=2) if rng.random() < 0.5 else None,
                        assignee_id=rng.choice([*assignees, None]), group_id=rng.choice(groups),
                        report_key_lookup=rng.randbytes(32), reporter_public_key=b"k",
                        reporter_wrapped_private_key=b"k")
            case.next_due_on = next_due(case)
            session.add(case)
            ids.append(case.id)
    return ids


@pytest.fixture
def scene(database, config):
    raytown = make_city(database, config, "raytown", {"ana": ("reviewer", ["ethics"]), "bo": ("reviewer", ["ethics",
                        "alternate"]), "cy": ("reviewer", ["alternate"])})
    grandview = make_city(database, config, "grandview", {"gus": ("reviewer", None)})
    with database.read() as session:
        groups = {g.slug: g.id for g in session.exec(select(ReviewerGroup).where(ReviewerGroup.city_id == 1)).all()}
        other = session.exec(select(ReviewerGroup.id).where(ReviewerGroup.city_id == 2)).first()
    ids = add_cases(database, 1, [groups["ethics"], groups["alternate"]], list(raytown.reviewer_ids.values()), 260, 1)
    add_cases(database, 2, [other], list(grandview.reviewer_ids.values()), 40, 2)
    with database.write() as session:
        in_ethics = [case_id for case_id in ids if session.get(Case, case_id).group_id == groups["ethics"]]
        # Bo is named in 15 cases; 20 ethics cases fell back to the alternate group (3 of them also naming bo),
        # and keep the ethics group in their row, as a report's would.
        routing = RoutingSet({case_id: {raytown.reviewer_ids["bo"]: NAMED_IN_REPORT}
                              for case_id in [*ids[:15], *in_ethics[-3:]]}, set(in_ethics[-20:]))
        save_routing(session, config.routing_key, 1, routing)
    contexts = {name: context_for(database, config, f"{name}@raytown.example") for name in ("ana", "bo", "cy")}
    return contexts, groups


def readable(database, context) -> tuple[list[Case], dict[str, int]]:
    """The rule written out again, case by case: released, in the city, not excluded, and in one of the reviewer's
    groups, counting a fallback case as the alternate group's. With each case's group as the reviewer sees it."""
    with database.read() as session:
        routing = load_routing(session, context.routing_key, context.city_id)
        mine = set(session.exec(select(GroupMember.group_id).where(GroupMember.reviewer_id == context.reviewer_id)))
        alternate = session.exec(select(ReviewerGroup.id).where(ReviewerGroup.city_id == context.city_id,
                                                                ReviewerGroup.slug == "alternate")).one()
        cases = list(session.exec(select(Case).where(Case.city_id == context.city_id)).all())
    groups = {case.id: alternate if case.id in routing.alternate else case.group_id for case in cases}
    return [case for case in cases if case.group_id is not None and groups[case.id] in mine
            and context.reviewer_id not in routing.excluded.get(case.id, {})], groups


def expected(database, context, wanted: InboxFilter, today: date) -> list[Case]:
    rows, groups = readable(database, context)

    def keep(case: Case, *, status: bool = True, overdue: bool = True) -> bool:
        assignee = {"me": context.reviewer_id, "none": None}.get(wanted.assignee or "", wanted.assignee)
        return ((not status or wanted.status is None or case.status == wanted.status)
                and (wanted.category is None or case.category == wanted.category)
                and (wanted.channel is None or case.channel == wanted.channel)
                and (wanted.group_id is None or groups[case.id] == wanted.group_id)
                and (wanted.assignee is None or case.assignee_id == (None if assignee is None else int(assignee)))
                and (not overdue or not wanted.overdue or (case.next_due_on is not None and case.next_due_on < today)))

    matching = [case for case in rows if keep(case)]
    if wanted.sort == "due" or wanted.overdue:
        due = sorted((c for c in matching if c.next_due_on), key=lambda c: (c.next_due_on, c.number))
        rest = sorted((c for c in matching if not c.next_due_on), key=lambda c: (c.received_on, c.number),
                      reverse=True)
        return due + rest
    return sorted(matching, key=lambda c: (c.received_on, c.number), reverse=True)


FILTERS = [InboxFilter(), InboxFilter(status="assessing"), InboxFilter(category="safety"), InboxFilter(channel="phone"),
           InboxFilter(assignee="me"), InboxFilter(assignee="none"), InboxFilter(overdue=True),
           InboxFilter(sort="due"), InboxFilter(sort="due", page=2), InboxFilter(page=3),
           InboxFilter(status="received", category="other", overdue=True),
           InboxFilter(channel="web", assignee="me", sort="due")]


@pytest.mark.parametrize("who", ["ana", "bo", "cy"])
def test_every_filter_page_and_count_matches_a_plain_count(database, scene, who):
    contexts, groups = scene
    context = contexts[who]
    today = utc_now().date()
    for wanted in [*FILTERS, InboxFilter(group_id=groups["alternate"]), InboxFilter(group_id=groups["ethics"],
                                                                                   sort="due")]:
        page = list_inbox(database, context, wanted)
        want = expected(database, context, wanted, today)
        assert page.total == len(want), wanted
        start = (page.page - 1) * PAGE_SIZE
        assert [row.case_id for row in page.rows] == [c.id for c in want[start:start + PAGE_SIZE]], wanted
        everything = expected(database, context, InboxFilter(category=wanted.category, channel=wanted.channel,
                                                             group_id=wanted.group_id, assignee=wanted.assignee),
                              today)
        if not wanted.overdue:
            assert page.by_status == {s: sum(c.status == s for c in everything) for s in STATUSES}, wanted
        overdue = [c for c in everything if c.next_due_on and c.next_due_on < today
                   and wanted.status in (None, c.status)]
        assert page.overdue == len(overdue), wanted
        assert all(row.overdue == (row.next_due_on is not None and row.next_due_on < today) for row in page.rows)


def test_visibility_is_the_same_rule_as_can_read(database, scene):
    contexts, _groups = scene
    for context in contexts.values():
        with database.read() as session:
            every = session.exec(select(Case.id)).all()
            by_case = {case_id for case_id in every
                       if can_read(session, context.routing_key, context.reviewer_id, context.city_id, case_id)}
            by_lists = set(session.exec(select(Case.id).where(
                visibility_for(session, context.routing_key, context.reviewer_id, context.city_id).condition)).all())
        assert by_case == by_lists and by_case
        assert by_case == {case.id for case in readable(database, context)[0]}


def test_tallies_follow_every_change_and_match_a_rebuild(database, scene):
    with database.write() as session:
        cases = session.exec(select(Case).order_by(Case.number).limit(40)).all()
        for n, case in enumerate(cases):
            case.status = STATUSES[n % 4]
            case.assignee_id = None if n % 3 else case.assignee_id
            case.next_due_on = None if n % 5 == 0 else case.next_due_on
            session.add(case)
        session.delete(cases[-1])
    with database.read() as session:
        kept = {(t.city_id, t.group_id, t.status, t.category, t.channel, t.assignee_id, t.has_due): t.count
                for t in session.exec(select(CaseTally)).all() if t.count}
    with database.write() as session:
        case_tally.rebuild(session)
    with database.read() as session:
        rebuilt = {(t.city_id, t.group_id, t.status, t.category, t.channel, t.assignee_id, t.has_due): t.count
                   for t in session.exec(select(CaseTally)).all()}
    assert kept == rebuilt


def test_roles_without_an_inbox_and_bad_parameters(database, config, scene):
    make_city(database, config, "lees-summit", {"aud": ("auditor", None)})
    auditor = context_for(database, config, "aud@lees-summit.example")
    with pytest.raises(NotFound):
        list_inbox(database, auditor, InboxFilter())
    wanted = parse_filter({"status": "deleted", "category": "<b>", "channel": "x" * 40, "group_id": "1;drop",
                           "assignee": "someone", "overdue": "maybe", "sort": "random", "page": "-3"})
    assert wanted == InboxFilter()
    assert parse_filter({"page": "999999999999"}).page == 1
    contexts, _ = scene
    assert list_inbox(database, contexts["ana"], InboxFilter(page=10_000)).page >= 1


def test_open_urgent_cases_are_listed_above_the_inbox(tmp_path):
    """A reporter who says someone is in danger now marks the case urgent (a clear flag): it is listed above every
    page of the inbox until concluded, and never to a reviewer who may not read it."""
    from intake.accounts.reviewers import sign_in
    from intake.accounts.sessions import resume_session, start_session
    from intake.casework.inbox import InboxFilter, list_inbox
    from intake.casework.status_changes import change_status
    from intake.cities import create_city, find_city, open_city_key_with_recovery_key
    from intake.config import IntakeConfig
    from intake.db import Database
    from intake.models import Case
    from intake.reports.submission import submit_report
    from tests.conftest import TEST_KDF

    database = Database(f"sqlite:///{tmp_path / 'h.sqlite3'}")
    database.create_schema()
    config = IntakeConfig(pepper=b"p" * 40, reviewer_kdf=TEST_KDF, report_key_kdf=TEST_KDF)
    created = create_city(database, "raytown", "Raytown")
    key = open_city_key_with_recovery_key(find_city(database, "raytown"), created.recovery_key)
    from intake.accounts.reviewers import add_reviewer
    add_reviewer(database, config, city_slug="raytown", email="o@r.example", display_name="O", password="p" * 12,
                 role="reviewer", city_private_key=key)
    urgent = submit_report(database, config, city_slug="raytown", category="safety", narrative="Fire", urgent=True)
    for n in range(3):
        submit_report(database, config, city_slug="raytown", category="other", narrative=f"calm {n}")
    with database.read() as session:
        assert session.get(Case, urgent.case_id).urgent is True
    signed = sign_in(database, config, "o@r.example", "p" * 12)
    context = resume_session(database, config, start_session(database, signed, signed.memberships[0].city_id))
    page = list_inbox(database, context, InboxFilter(category="other"))
    assert [row.case_id for row in page.urgent] == [urgent.case_id]
    assert urgent.case_id not in [row.case_id for row in page.rows]  # the filter still applies to the list
    change_status(database, config, context, urgent.case_id, "concluded", outcome="referred")
    assert list_inbox(database, context, InboxFilter()).urgent == ()


def test_new_reporter_messages_are_counted_by_position_for_each_reviewer(database, config):
    """A reviewer who opens a case has read it up to its last item: the reporter's later messages are new to them
    (counted by item position, never by time), and to a colleague who never opened it every message is new."""
    from intake.casework.cases import read_case, reply_to_reporter
    from intake.reports.submission import add_reporter_message, open_report, submit_report

    make_city(database, config, "raytown", {"ana": ("reviewer", ["ethics"]), "bo": ("reviewer", ["ethics"])})
    ana = context_for(database, config, "ana@raytown.example")
    bo = context_for(database, config, "bo@raytown.example")
    submitted = submit_report(database, config, city_slug="raytown", category="safety", narrative="The ladder.")
    quiet = submit_report(database, config, city_slug="raytown", category="safety", narrative="Another ladder.")

    def new_for(context) -> dict[str, int]:
        return {row.case_id: row.new_messages for row in list_inbox(database, context, InboxFilter()).rows}

    assert new_for(ana) == {submitted.case_id: 0, quiet.case_id: 0}  # a report alone is no message
    add_reporter_message(database, config, open_report(database, config, submitted.report_key), "It broke again.")
    assert new_for(ana)[submitted.case_id] == 1
    read_case(database, ana, submitted.case_id)
    assert new_for(ana)[submitted.case_id] == 0 and new_for(bo)[submitted.case_id] == 1
    # Ana's own reply moves nothing; two more messages from the reporter are two new ones.
    reply_to_reporter(database, config, ana, submitted.case_id, "Which ladder?")
    for text in ("The red one.", "In the depot."):
        add_reporter_message(database, config, open_report(database, config, submitted.report_key), text)
    assert new_for(ana) == {submitted.case_id: 2, quiet.case_id: 0}
    assert new_for(bo)[submitted.case_id] == 3
    assert read_case(database, bo, submitted.case_id).seen_before == 0  # never opened: nothing marked new
    assert new_for(bo)[submitted.case_id] == 0 and new_for(ana)[submitted.case_id] == 2
    # Ana's case page knows where she stopped: the two messages after it are the new ones.
    view = read_case(database, ana, submitted.case_id)
    assert [item.text for item in view.items if item.position > view.seen_before] == [
        "Which ladder?", "The red one.", "In the depot."]
    assert read_case(database, ana, submitted.case_id).seen_before == view.items[-1].position


def test_deadline_state_in_days(database, config):
    """Each row knows how many days are left before its next deadline: due soon within DUE_SOON_DAYS, overdue
    after it."""
    from intake.casework.deadlines import DUE_SOON_DAYS
    from intake.reports.submission import submit_report

    make_city(database, config, "raytown", {"ana": ("reviewer", ["ethics"])})
    ana = context_for(database, config, "ana@raytown.example")
    today = utc_now()
    for days_ago in (0, 5, 8):  # acknowledgement due 7 days after receipt
        submit_report(database, config, city_slug="raytown", category="safety", narrative=f"{days_ago} days",
                      clock=lambda d=days_ago: today - timedelta(days=d))
    rows = {row.received_on: row for row in list_inbox(database, ana, InboxFilter()).rows}
    fresh, soon, late = (rows[(today - timedelta(days=d)).date()] for d in (0, 5, 8))
    assert (fresh.days_left, fresh.due_soon, fresh.overdue) == (7, False, False)
    assert (soon.days_left, soon.due_soon, soon.overdue) == (2, True, False) and DUE_SOON_DAYS >= 2
    assert (late.days_left, late.due_soon, late.overdue) == (-1, False, True)
