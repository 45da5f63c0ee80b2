"""``hotline bench inbox``: a page of 50 from a city with 100,000 cases, on SQLite and PostgreSQL.

The city gets ``--cases`` cases spread over five years (statuses, categories, channels, assignees and
deadlines mixed as in a busy city), a second city gets a few hundred, and the reviewer is excluded from some
cases. Each case has its report and, for some, messages the reporter added; the reviewer has opened about half
of them before (intake.casework.readings), so every page also counts new messages. Then every filter and both sort
orders of the inbox are asked for, first pages and deep ones, through intake.casework.inbox.list_inbox exactly as
the console calls it (counts included); the figure is the time of that call. Target: p95 under 50 ms on both databases.
"""

from __future__ import annotations

import argparse
import os
import random
import time
import uuid
from collections.abc import Iterator
from datetime import date, timedelta

from sqlalchemy import insert, text

from crypto.params import Argon2Cost
from hotline.bench.databases import add_common_arguments, analyze, bench_database
from hotline.bench.report import BenchSection, median, percentile, write_section
from intake.accounts.reviewers import add_reviewer, sign_in
from intake.accounts.sessions import ReviewerContext, resume_session, start_session
from intake.case_status import ACKNOWLEDGE_WITHIN, FEEDBACK_WITHIN, OUTCOMES, STATUSES
from intake.casework.inbox import InboxFilter, list_inbox
from intake.categories import CATEGORY_SLUGS
from intake.cities import create_city, find_city, open_city_key_with_recovery_key
from intake.config import IntakeConfig
from intake.db import Database
from intake.models import Case, CaseItem, CaseReading
from intake.models import tally as case_tally
from intake.operations.migrate import upgrade
from intake.routing import NAMED_IN_REPORT, RoutingSet, group_by_slug, save_routing

TARGET_P95_MS = 50.0
CHANNELS = ("web", "web", "web", "phone", "phone", "letter", "walk-in", "hr-call")
BENCH_KDF = Argon2Cost(memory_kib=256, iterations=1, lanes=1)  # a throwaway database; sign-in speed is not measured
PASSWORD = "bench password, long enough"  # noqa: S105 (a throwaway database)


def register(parts: argparse._SubParsersAction) -> None:
    parser = parts.add_parser("inbox", help="Inbox page of 50 with 100,000 cases in one city (p95 < 50 ms).",
                              description="Time the reviewer inbox (filters, sorts, counts) with many cases in "
                                          "one city, on a fresh SQLite database or, with --database-url, "
                                          "on PostgreSQL in a throwaway schema.")
    parser.add_argument("--cases", type=int, default=100_000, help="Cases in the busy city (default 100000).")
    parser.add_argument("--rounds", type=int, default=15, help="Times each query is asked (default 15).")
    add_common_arguments(parser)
    parser.set_defaults(run=run)


def _fake_cases(city_id: int, group_id: int, alternate_id: int, assignees: list[int], count: int, start: int,
                today: date, rng: random.Random) -> Iterator[dict[str, object]]:
    for number in range(start + 1, start + count + 1):
        received = today - timedelta(days=int(rng.random() ** 1.5 * 5 * 365))
        age = (today - received).days
        status = rng.choice(STATUSES) if age < 365 else rng.choice(("concluded",) * 9 + ("investigating",))
        acknowledged = received + timedelta(days=rng.randint(0, 9)) if rng.random() < 0.9 else None
        feedback = received + timedelta(days=rng.randint(20, 100)) if acknowledged and rng.random() < 0.7 else None
        if acknowledged and acknowledged > today:
            acknowledged = None
        if feedback and feedback > today:
            feedback = None
        next_due = None
        if status != "concluded":
            next_due = (received + ACKNOWLEDGE_WITHIN if acknowledged is None
                        else received + FEEDBACK_WITHIN if feedback is None else None)
        yield {
            "id": uuid.UUID(int=rng.getrandbits(128)).hex, "city_id": city_id, "number": number,
            "category": rng.choice(sorted(CATEGORY_SLUGS)), "channel": rng.choice(CHANNELS), "status": status,
            "outcome": rng.choice(OUTCOMES) if status == "concluded" else None, "received_on": received,
            "acknowledge_due_on": received + ACKNOWLEDGE_WITHIN, "feedback_due_on": received + FEEDBACK_WITHIN,
            "acknowledged_on": acknowledged, "feedback_given_on": feedback,
            "concluded_on": received + timedelta(days=rng.randint(5, 200)) if status == "concluded" else None,
            "next_due_on": next_due,
            "assignee_id": rng.choice([*assignees, None, None]),
            # 2% fall back to the alternate group: their rows keep the ethics group, the fallback is sealed
            # (intake.routing), as a report's would be.
            "group_id": group_id, "_alternate": rng.random() < 0.02,
            "report_key_lookup": rng.getrandbits(256).to_bytes(32, "big"),
            "reporter_public_key": b"bench", "reporter_wrapped_private_key": b"bench",
        }


def _fake_items_and_readings(rows: list[dict[str, object]], city_id: int, reviewer_id: int,
                             rng: random.Random) -> tuple[list[dict[str, object]], list[dict[str, object]]]:
    """Each case's report, up to three reporter messages for a third of them, and the reviewer's reading of about
    half the cases (up to a random position), as stand-in rows: the inbox reads their kinds and positions only."""
    items: list[dict[str, object]] = []
    readings: list[dict[str, object]] = []
    for row in rows:
        messages = rng.randint(1, 3) if rng.random() < 0.33 else 0
        for position in range(1, messages + 2):
            items.append({"id": uuid.UUID(int=rng.getrandbits(128)).hex, "case_id": row["id"], "city_id": city_id,
                          "position": position, "kind": "report" if position == 1 else "reporter_message",
                          "author": "reporter", "created_on": row["received_on"], "visible_to_reporter": True,
                          "ciphertext": b"bench", "key_for_city": b"bench"})
        if rng.random() < 0.5:
            readings.append({"reviewer_id": reviewer_id, "case_id": row["id"],
                             "seen_position": rng.randint(1, messages + 1)})
    return items, readings


def seed_city(database: Database, config: IntakeConfig, slug: str, count: int, rng: random.Random, today: date, *,
              reviewers: int = 5) -> tuple[list[int], int]:
    """A city with ``reviewers`` reviewers and ``count`` cases, bulk-inserted around the ORM in chunks of 5,000;
    returns the reviewers' ids and the ethics group's id. Also used by ``hotline bench region``."""
    created = create_city(database, slug, slug.replace("-", " ").title())
    city = find_city(database, slug)
    key = open_city_key_with_recovery_key(city, created.recovery_key)
    ids = [add_reviewer(database, config, city_slug=slug, email=f"r{n}@{slug}.example",
                        display_name=f"Reviewer {n}", password=PASSWORD, role="reviewer",
                        city_private_key=key).reviewer_id for n in range(reviewers)]
    with database.read() as session:
        assert city.id is not None
        ethics, alternate = group_by_slug(session, city.id, "ethics"), group_by_slug(session, city.id, "alternate")
    assert ethics.id is not None and alternate.id is not None
    rows = list(_fake_cases(city.id, ethics.id, alternate.id, ids, count, 0, today, rng))
    fallbacks = {str(row["id"]) for row in rows if row.pop("_alternate")}
    with database.engine.begin() as connection:
        for start in range(0, len(rows), 5000):
            connection.execute(insert(Case.__table__), rows[start:start + 5000])  # type: ignore[attr-defined]
        items, readings = _fake_items_and_readings(rows, city.id, ids[0], rng)
        for start in range(0, len(items), 5000):
            connection.execute(insert(CaseItem.__table__), items[start:start + 5000])  # type: ignore[attr-defined]
        for start in range(0, len(readings), 5000):
            connection.execute(insert(CaseReading.__table__),  # type: ignore[attr-defined]
                               readings[start:start + 5000])
        connection.execute(text("UPDATE city SET last_case_number = :count WHERE id = :city"),
                           {"count": count, "city": city.id})
    # 40 cases name the benchmark's reviewer: sealed with the fallbacks in the city's routing set.
    routing = RoutingSet({str(row["id"]): {ids[0]: NAMED_IN_REPORT}
                          for row in rng.sample(rows, min(40, len(rows)))}, fallbacks)
    with database.write() as session:
        save_routing(session, config.routing_key, city.id, routing)
    with database.write() as session:
        case_tally.rebuild(session, city.id)  # the bulk insert went around the ORM
    return ids, ethics.id


def seed(database: Database, cases: int) -> tuple[ReviewerContext, int]:
    config = IntakeConfig(pepper=os.urandom(32), reviewer_kdf=BENCH_KDF, report_key_kdf=BENCH_KDF)
    upgrade(database)
    rng = random.Random(20261126)
    today = date.today()
    _ids, group_id = seed_city(database, config, "busy-city", cases, rng, today)
    seed_city(database, config, "quiet-city", 300, rng, today)
    analyze(database)
    return reviewer_context(database, config, "busy-city"), group_id


def reviewer_context(database: Database, config: IntakeConfig, slug: str) -> ReviewerContext:
    """Reviewer r0 of the city, signed in, as the console holds them."""
    signed_in = sign_in(database, config, f"r0@{slug}.example", PASSWORD)
    cookie = start_session(database, signed_in, signed_in.memberships[0].city_id)
    return resume_session(database, config, cookie)


def queries(group_id: int) -> list[tuple[str, InboxFilter]]:
    return [
        ("newest first, page 1", InboxFilter()),
        ("newest first, page 2", InboxFilter(page=2)),
        ("newest first, page 100", InboxFilter(page=100)),
        ("newest first, last page", InboxFilter(page=100_000)),
        ("status assessing", InboxFilter(status="assessing")),
        ("status concluded, page 10", InboxFilter(status="concluded", page=10)),
        ("category safety", InboxFilter(category="safety")),
        ("channel phone", InboxFilter(channel="phone")),
        ("assigned to me", InboxFilter(assignee="me")),
        ("unassigned", InboxFilter(assignee="none")),
        ("overdue", InboxFilter(overdue=True)),
        ("overdue, due date order", InboxFilter(overdue=True, sort="due")),
        ("due date order, page 1", InboxFilter(sort="due")),
        ("due date order, page 300", InboxFilter(sort="due", page=300)),
        ("status + category + channel", InboxFilter(status="investigating", category="fraud-waste-abuse",
                                                    channel="web")),
        ("one group, due date order", InboxFilter(group_id=group_id, sort="due")),
    ]


def measure(database: Database, context: ReviewerContext, group_id: int,
            rounds: int) -> tuple[list[float], dict[str, float], int]:
    samples: list[float] = []
    worst: dict[str, float] = {}
    total = 0
    plan = queries(group_id)
    for _name, wanted in plan:  # warm the cache once, as a running server would be
        list_inbox(database, context, wanted)
    for _ in range(rounds):
        for name, wanted in plan:
            started = time.perf_counter()
            page = list_inbox(database, context, wanted)
            elapsed = (time.perf_counter() - started) * 1000
            samples.append(elapsed)
            worst[name] = max(worst.get(name, 0.0), elapsed)
            total = max(total, page.total)
    return samples, worst, total


def bench_one(url: str, cases: int, rounds: int) -> tuple[list[float], dict[str, float], int, float]:
    database = Database(url)
    try:
        started = time.perf_counter()
        context, group_id = seed(database, cases)
        seeded = time.perf_counter() - started
        samples, worst, total = measure(database, context, group_id, rounds)
        return samples, worst, total, seeded
    finally:
        database.dispose()


def run(args: argparse.Namespace) -> int:
    with bench_database(args.database_url) as (url, kind):
        print(f"{kind}: seeding {args.cases:,} cases ...", flush=True)
        samples, worst, _total, seeded = bench_one(url, args.cases, args.rounds)
    load = os.getloadavg()
    p95 = percentile(samples, 0.95)
    slowest = max(worst.items(), key=lambda item: item[1])
    passed = p95 < TARGET_P95_MS
    print(f"{kind}: seeded in {seeded:.0f} s; median {median(samples):.1f} ms, p95 {p95:.1f} ms, "
          f"max {max(samples):.1f} ms; slowest: {slowest[0]} {slowest[1]:.1f} ms")
    for query, ms in sorted(worst.items(), key=lambda item: -item[1])[:5]:
        print(f"    {query}: {ms:.1f} ms")
    lines = [f"{args.cases:,} cases in one city; {len(queries_names())} inbox queries (every filter, both sorts, "
             f"first and deep pages, counts included) x {args.rounds} rounds after one warm-up, timed around "
             "`intake.casework.inbox.list_inbox`. Target: p95 under 50 ms.",
             f"\nLoad average when the timing ended: {load[0]:.1f} (1 min), {load[1]:.1f} (5 min), on "
             f"{os.cpu_count()} cores shared with other work; times are wall-clock.", "",
             "| database | samples | median ms | p95 ms | max ms | slowest query (max ms) | verdict |",
             "|---|---|---|---|---|---|---|",
             f"| {kind} | {len(samples)} | {median(samples):.1f} | {p95:.1f} | {max(samples):.1f} | "
             f"{slowest[0]} ({slowest[1]:.1f}) | {'pass' if passed else 'FAIL'} |"]
    section = BenchSection(part=f"inbox-{kind.lower()}", title=f"Reviewer inbox at {args.cases:,} cases ({kind})",
                           command="hotline bench inbox" + (" --database-url URL" if args.database_url else "")
                           + (f" --cases {args.cases}" if args.cases != 100_000 else "") + " --write",
                           markdown="\n".join(lines))
    if args.write:
        write_section(section, args.report)
        print(f"Recorded in {args.report}.")
    return 0 if passed else 1


def queries_names() -> list[str]:
    return [name for name, _ in queries(0)]
