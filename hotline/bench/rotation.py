"""``hotline bench rotation``: rotate a city key over many cases, beside the floor of re-sealing alone.

The floor is the same HPKE work (open each data key with the old city key, seal it to the new one) with no
database: in a loop on one core, and spread over every core in the worker processes a rotation uses. The rotation
figure adds reading items, storing the resealed keys in batches, the switch transaction and granting the key to
reviewers; the goal is half the all-core floor. Each figure is the median of three rotations, and one more runs
under py-spy (with its worker processes) for the profile printed beside them.

Cases are synthetic but real: each has a report sealed to the city (and to one shared reporter key, which is
not what is measured), routed to the city's ethics group, so the reviewer reads every one afterwards.
"""

from __future__ import annotations

import argparse
import os
import secrets
import statistics
import time
from dataclasses import dataclass
from datetime import timedelta

from sqlmodel import select

from crypto import hpke_keys
from crypto.report_keys import new_reporter_key_pair
from crypto.sealing import reseal_for_new_city_key
from hotline.bench.databases import add_common_arguments, analyze, bench_database
from hotline.bench.profile import this_process
from hotline.bench.report import BenchSection, write_section
from hotline.settings import INSECURE_TEST_KDF
from intake.accounts.reviewers import add_reviewer, sign_in
from intake.case_status import acknowledge_due, feedback_due
from intake.cities import create_city, find_city, open_city_key_with_recovery_key
from intake.clock import utc_now
from intake.config import IntakeConfig
from intake.db import Database
from intake.items import KIND_REPORT, item_context, new_id, sealed_text_item, text_for_city
from intake.keys.resealing import reseal_batch, resealers
from intake.keys.rotation import rotate_city_key
from intake.models import Case, CaseItem, City
from intake.operations.migrate import upgrade
from intake.routing import DEFAULT_CASE_GROUP, group_by_slug

PASSWORD = secrets.token_urlsafe(16)  # the synthetic reviewer's, for this run only
REVIEWER_EMAIL = "bench@example.org"
DEFAULT_CASES = 10_000
TARGET_SHARE = 0.5  # of re-sealing alone on every core


@dataclass(frozen=True)
class SeededCity:
    slug: str
    recovery_key: str
    config: IntakeConfig


def seed_city(database: Database, slug: str, cases: int, *, chunk: int = 500) -> SeededCity:
    """A migrated city with one reviewer and ``cases`` synthetic cases (one sealed report item each)."""
    config = IntakeConfig(pepper=secrets.token_bytes(32), reviewer_kdf=INSECURE_TEST_KDF,
                          report_key_kdf=INSECURE_TEST_KDF)
    upgrade(database)
    created = create_city(database, slug, slug.title())
    city = find_city(database, slug)
    assert city.id is not None
    add_reviewer(database, config, city_slug=slug, email=REVIEWER_EMAIL, display_name="Bench Reviewer",
                 password=PASSWORD, role="reviewer",
                 city_private_key=open_city_key_with_recovery_key(city, created.recovery_key))
    reporter_public, reporter_wrapped = new_reporter_key_pair("0" * 20, "bench", INSECURE_TEST_KDF)
    today = utc_now().date()
    with database.read() as session:
        group_id = group_by_slug(session, city.id, DEFAULT_CASE_GROUP).id
    number = 0
    while number < cases:
        with database.write() as session:
            for _ in range(min(chunk, cases - number)):
                number += 1
                received = today - timedelta(days=number % 365)
                case = Case(id=new_id(), city_id=city.id, number=number, category="safety", channel="web",
                            received_on=received, acknowledge_due_on=acknowledge_due(received),
                            feedback_due_on=feedback_due(received), group_id=group_id,
                            report_key_lookup=secrets.token_bytes(32), reporter_public_key=reporter_public,
                            reporter_wrapped_private_key=reporter_wrapped)
                session.add(case)
                session.add(sealed_text_item(case, item_id=new_id(), kind=KIND_REPORT, author="reporter",
                                             text=f"synthetic report {number}", city_public_key=city.public_key,
                                             position=1, created_on=received, for_reporter=True))
            locked = session.get(City, city.id)
            assert locked is not None
            locked.last_case_number = number
            session.add(locked)
    return SeededCity(slug, created.recovery_key, config)


def reseal_floor(database: Database, seeded: SeededCity, sample: int, recovery_key: str | None = None) -> float:
    """Items per second of re-sealing alone: the HPKE open and seal, no database."""
    city = find_city(database, seeded.slug)
    old = hpke_keys.load_private_key(open_city_key_with_recovery_key(city, recovery_key or seeded.recovery_key))
    new = hpke_keys.load_public_key(hpke_keys.generate_key_pair().public_bytes)
    with database.read() as session:
        items = list(session.exec(select(CaseItem).limit(sample)).all())
    started = time.perf_counter()
    for item in items:
        reseal_for_new_city_key(item.key_for_city, item_context(item), old, new)
    return len(items) / (time.perf_counter() - started)


def every_case_opens(database: Database, seeded: SeededCity) -> int:
    """Sign the reviewer in (taking the new key) and open every item with it; returns how many opened."""
    signed_in = sign_in(database, seeded.config, REVIEWER_EMAIL, PASSWORD)
    key = signed_in.memberships[0].city_private_key
    assert key is not None, "the reviewer did not get the new city key"
    opened = 0
    with database.read() as session:
        for item in session.exec(select(CaseItem)):
            assert text_for_city(item, key).startswith("synthetic report")
            opened += 1
    return opened


def run(args: argparse.Namespace) -> int:
    with bench_database(args.database_url, "hotline-bench-rotation-") as (url, kind):
        return measure(args, Database(url), kind)


def all_cores_floor(database: Database, seeded: SeededCity, sample: int, recovery_key: str) -> float:
    """Items per second of re-sealing alone on every core: the same worker processes a rotation uses, each given
    an equal share of the sample at once (their start-up is not counted), no database."""
    city = find_city(database, seeded.slug)
    old = open_city_key_with_recovery_key(city, recovery_key)
    new = hpke_keys.generate_key_pair().public_bytes
    with database.read() as session:
        items = [(item.key_for_city, item_context(item)) for item in session.exec(select(CaseItem).limit(sample))]
    workers = os.cpu_count() or 1
    shares = [items[n::workers] for n in range(workers)]
    with resealers(workers) as pool:
        list(pool.map(reseal_batch, [old] * workers, [new] * workers, [share[:5] for share in shares]))  # start-up
        started = time.perf_counter()
        list(pool.map(reseal_batch, [old] * workers, [new] * workers, shares))
        return len(items) / (time.perf_counter() - started)


@dataclass(frozen=True)
class Measured:
    seconds: float
    items: int
    one_core: float
    all_cores: float

    @property
    def rate(self) -> float:
        return self.items / self.seconds


def measure(args: argparse.Namespace, database: Database, kind: str) -> int:
    load_before = os.getloadavg()
    print(f"Seeding {args.cases} cases on {kind} ...", flush=True)
    seeded = seed_city(database, "bench-city", args.cases)
    analyze(database)  # planner statistics for the bulk load, as autovacuum would have them for a grown city
    recovery_key = seeded.recovery_key
    sample = min(args.cases, 2000)
    runs: list[Measured] = []
    for number in range(max(1, args.runs)):
        # The floors are sampled just before each rotation, so a busy moment on a shared machine falls on both.
        one_core = reseal_floor(database, seeded, sample, recovery_key)
        all_cores = all_cores_floor(database, seeded, sample, recovery_key)
        print(f"Run {number + 1}: rotating ({args.batch_size} items per transaction) ...", flush=True)
        started = time.perf_counter()
        result = rotate_city_key(database, seeded.slug, recovery_key, batch_size=args.batch_size)
        runs.append(Measured(time.perf_counter() - started, result.items, one_core, all_cores))
        assert result.recovery_key is not None
        recovery_key = result.recovery_key
        sign_in(database, seeded.config, REVIEWER_EMAIL, PASSWORD)  # takes the new key, so the next rotation grants it
        print(f"  {runs[-1].rate:,.0f} items/s; floors {one_core:,.0f} (one core), {all_cores:,.0f} (all cores)",
              flush=True)
    with this_process("--subprocesses") as profile:
        result = rotate_city_key(database, seeded.slug, recovery_key, batch_size=args.batch_size)
    opened = every_case_opens(database, seeded)
    database.dispose()
    seconds = statistics.median(run.seconds for run in runs)
    rate = statistics.median(run.rate for run in runs)
    one_core = statistics.median(run.one_core for run in runs)
    all_cores = statistics.median(run.all_cores for run in runs)
    share = statistics.median(run.rate / run.all_cores for run in runs)
    met = share >= TARGET_SHARE
    load = os.getloadavg()
    per_run = "; ".join(f"{run.rate:,.0f} items/s = {run.rate / run.all_cores:.0%} of {run.all_cores:,.0f}"
                        for run in runs)
    table = (
        f"Median of {len(runs)} rotations of the same city (each a full rotation of every item), each beside floors "
        f"measured just before it. Load average (1, 5 min) before: {load_before[0]:.1f}, {load_before[1]:.1f}; "
        f"after: {load[0]:.1f}, {load[1]:.1f}, on {os.cpu_count()} cores shared with other work.\n\n"
        "| database | cases | items re-sealed | rotation | rotation rate | floor, one core | floor, all cores "
        "| share of the all-core floor |\n"
        "|---|---|---|---|---|---|---|---|\n"
        f"| {kind} | {args.cases:,} | {runs[-1].items:,} | {seconds:.1f} s | {rate:,.0f} items/s | "
        f"{one_core:,.0f} items/s | {all_cores:,.0f} items/s | {share:.0%} |\n\n"
        f"Runs: {per_run}. Goal: at least {TARGET_SHARE:.0%} of the all-core floor: **{'met' if met else 'NOT met'}**."
        f"\n\nAfter the rotations the reviewer signed in, took the newest key and opened all {opened:,} items with "
        f"it. {args.batch_size} items per transaction; the HPKE work runs in one worker process per core "
        "(intake/keys/resealing.py, started for the rotation) several batches ahead of the writes, which are one at "
        "a time and in order. The floors are HPKE open + seal per item with no database (ML-KEM-768 + X25519): on "
        "one core in this process, and on every core in the same worker processes, each given an equal share. The "
        "seeded tables are analyzed before the first rotation, as autovacuum would have them for a city that grew "
        "to this size (without statistics PostgreSQL plans each batch's read as a scan of the city's items).\n\n"
        + profile.markdown("one more rotation (untimed; the worker processes included)")
    )
    print(table)
    if args.write:
        command = f"hotline bench rotation --cases {args.cases}" + (" --database-url URL" if args.database_url else "")
        write_section(BenchSection(part=f"rotation-{kind.lower()}", title=f"Key rotation ({kind})",
                                   command=command + " --write", markdown=table), args.report)
        print(f"Recorded in {args.report}.")
    return 0 if met else 1


def register(parts: argparse._SubParsersAction) -> None:
    parser = parts.add_parser(
        "rotation", help="Rotate a city key over many cases, beside the floor of re-sealing alone.",
        description="Seed a fresh database with synthetic cases, rotate the city key, check every case still opens "
                    "for its reviewer, and print the rate beside the floor of re-sealing alone.")
    parser.add_argument("--cases", type=int, default=DEFAULT_CASES, help=f"Cases to seed (default {DEFAULT_CASES}).")
    parser.add_argument("--batch-size", type=int, default=200, help="Items re-sealed per transaction (default 200).")
    parser.add_argument("--runs", type=int, default=3, help="Rotations timed; the median counts (default 3).")
    add_common_arguments(parser)
    parser.set_defaults(run=run)
