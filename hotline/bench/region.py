"""``hotline bench region``: a region of a hundred cities on PostgreSQL with two instances, beside one city.

The design promises a region, not a town (docs/design.md#operations-and-scale-out): any number of cities in one
PostgreSQL database, several ``hotline serve`` instances and several ``hotline worker`` processes on it. This
seeds ``--cities`` cities with ``--cases`` cases between them (one city holds a tenth of them, one a hundredth,
the rest share the remainder; with the defaults, 100 cities, 1,000,000 cases, a city of 100,000 and one of
10,000) and one audit entry per case in each city's chain, by the inbox bench's bulk inserts
(hotline.bench.inbox.seed_city) and the audit bench's appends (hotline.bench.audit.append_entries). Beside it, in
schemas of their own, the same two cities alone ("one city"), each seeded the same way.

Then, in the same run, each figure twice, for the region and for one city:

- *intake*: a closed loop of ``--clients`` clients posting a 2 KB report through the web form (hotline.bench.intake):
  in the region spread over two ``hotline serve`` instances and as many cities as clients; alone, one instance and
  the one city. Both layouts have the same cores: the region's two instances share them. So the throughput (reports
  per second of the whole machine) compares directly, and the server CPU per report (from /proc, summed over the
  instances) compares the work each report costs, which is what each instance would pay on a machine of its own.
- *inbox p95*: the inbox bench's queries (intake.casework.inbox.list_inbox) for the city of 10,000 cases and the
  city of 100,000, in the region and alone;
- *audit verification* of the big city's chain (intake.audit.verify_city), among every city's entries or alone;
- *job table throughput*: jobs run per second by two job runners (hotline.bench.job_worker: ``hotline worker``'s
  loop with a job that only finishes) on the region's job table, and by one on the one city's. Two runners on two
  shared cores against one: the per-job CPU of the runners is printed beside it for the same reason as above.
  The two ``hotline worker`` processes run on the region's database throughout.

Every figure is the median of ``--runs`` runs; the goal is the region within 20 % of one city (a rate at least
0.8 of it, a time at most 1.2 of it).

It also checks that nothing lives in one instance's memory but what the design allows: a reviewer signed in on
instance A is let in by instance B; sign-in failures on A delay the next try on B (the database counter); a report
form served by A is accepted by B (the form token is sealed under the shared session key). The per-client counters
of hotline/throttle.py are per process by design and are not checked as shared.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import os
import random
import re
import secrets
import statistics
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date

import pyotp
from sqlalchemy import delete, func, insert
from sqlmodel import col, select

from hotline.bench import inbox
from hotline.bench.audit import append_entries, verify_once
from hotline.bench.databases import add_common_arguments, analyze, bench_database
from hotline.bench.intake import (
    drive,
    free_port,
    measured,
    process_cpu_seconds,
    report_form,
    server_environment,
    stop,
    wait_until_serving,
)
from hotline.bench.job_worker import JOB_KIND
from hotline.bench.report import BenchSection, percentile, write_section
from hotline.settings import Settings
from intake.accounts.account import set_up_totp
from intake.clock import utc_now
from intake.config import IntakeConfig
from intake.db import Database, normalize_url
from intake.models.job import DONE, QUEUED, Job
from intake.operations.migrate import upgrade

DEFAULT_CITIES = 100
DEFAULT_CASES = 1_000_000
TARGET_RATE_RATIO = 0.8  # a rate in the region at least this share of one city's
TARGET_TIME_RATIO = 1.2  # a time in the region at most this multiple of one city's


def register(parts: argparse._SubParsersAction) -> None:
    parser = parts.add_parser(
        "region", help="A region (100 cities, 1,000,000 cases, two instances) beside one city; PostgreSQL only.",
        description="Seed a region of many cities on PostgreSQL, run two `hotline serve` instances and two workers "
                    "on it, and measure intake, the inbox, audit verification and the job table beside the same "
                    "figures for one city and one instance, in the same run; check that sessions, sign-in delays "
                    "and form tokens hold across instances.")
    parser.add_argument("--cities", type=int, default=DEFAULT_CITIES, help=f"Cities (default {DEFAULT_CITIES}).")
    parser.add_argument("--cases", type=int, default=DEFAULT_CASES,
                        help=f"Cases in the region (default {DEFAULT_CASES}); one city holds a tenth, one a "
                             "hundredth.")
    parser.add_argument("--clients", type=int, default=20, help="Concurrent intake clients (default 20).")
    parser.add_argument("--seconds", type=float, default=20.0, help="Length of each intake phase (default 20).")
    parser.add_argument("--runs", type=int, default=3, help="Runs of each figure; the median counts (default 3).")
    parser.add_argument("--rounds", type=int, default=5, help="Rounds of the inbox queries per run (default 5).")
    parser.add_argument("--jobs", type=int, default=2000, help="Jobs per job-table run (default 2000).")
    add_common_arguments(parser)
    parser.set_defaults(run=run)


def city_sizes(cities: int, cases: int) -> list[int]:
    """Cases per city: a tenth in the first, a hundredth in the second, the rest shared by the others."""
    big, medium = max(1, cases // 10), max(1, cases // 100)
    base, extra = divmod(max(0, cases - big - medium), cities - 2)
    return [big, medium] + [base + (1 if index < extra else 0) for index in range(cities - 2)]


def slug_of(index: int) -> str:
    return f"city-{index:03d}"


# ---------------------------------------------------------------------------------------------------- seeding


@dataclass
class Seeded:
    cases: int = 0
    entries: int = 0
    seconds: float = 0.0
    groups: dict[str, int] = field(default_factory=dict)
    # (cases, seconds) of each city: the fixed cost of a city and the cost of a case are told apart from them.
    per_city: list[tuple[int, float]] = field(default_factory=list)

    def estimate(self, cities: int, cases: int) -> tuple[float, float, float]:
        """(seconds per city, seconds per case with its entry, seconds to seed ``cities`` with ``cases``): a line
        through the mean of the biggest city and the mean of the others."""
        ordered = sorted(self.per_city)
        if len(ordered) < 2 or ordered[-1][0] == ordered[0][0]:
            per_case = self.seconds / max(self.cases, 1)
            return 0.0, per_case, per_case * cases
        small = ordered[:-1]
        small_cases = statistics.mean(count for count, _ in small)
        small_seconds = statistics.mean(seconds for _, seconds in small)
        per_case = max(0.0, (ordered[-1][1] - small_seconds) / (ordered[-1][0] - small_cases))
        per_city = max(0.0, small_seconds - per_case * small_cases)
        return per_city, per_case, per_city * cities + per_case * cases


def seed(database: Database, config: IntakeConfig, sizes: list[int], first_index: int = 0,
         progress: Callable[[str], None] = print) -> Seeded:
    """The cities, in their sizes, with their cases and one audit entry per case."""
    upgrade(database)
    rng = random.Random(20261206)
    today = date.today()
    seeded = Seeded()
    started = time.perf_counter()
    for offset, count in enumerate(sizes):
        index = first_index + offset
        city_started = time.perf_counter()
        _ids, group = inbox.seed_city(database, config, slug_of(index), count, rng, today,
                                      reviewers=5 if index < 2 else 1)
        append_entries(database, slug_of(index), count)
        seeded.per_city.append((count, time.perf_counter() - city_started))
        seeded.groups[slug_of(index)] = group
        seeded.cases += count
        seeded.entries += count
        if offset % 10 == 9 or offset == len(sizes) - 1:
            elapsed = time.perf_counter() - started
            progress(f"  {offset + 1} cities, {seeded.cases:,} cases in {elapsed:.0f} s "
                     f"({seeded.cases / max(elapsed, 1e-9):,.0f} cases and entries/s)")
    analyze(database)
    seeded.seconds = time.perf_counter() - started
    return seeded


# ---------------------------------------------------------------------------------------------------- processes


@contextlib.contextmanager
def processes(url: str, env: dict[str, str], servers: int, workers: int) -> Iterator[tuple[list[int], list[int]]]:
    """``servers`` ``hotline serve`` instances and ``workers`` ``hotline worker`` processes on ``url``:
    (server pids, server ports). Stopped when the block ends."""
    started: list[subprocess.Popen[bytes]] = []
    ports = [free_port() for _ in range(servers)]
    try:
        for port in ports:
            server_env = {**env, "HOTLINE_PUBLIC_URL": f"http://127.0.0.1:{port}"}
            started.append(subprocess.Popen([sys.executable, "-m", "hotline", "serve", "--port", str(port)],
                                            env=server_env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                            start_new_session=True))
        for _ in range(workers):
            started.append(subprocess.Popen([sys.executable, "-m", "hotline", "worker"], env=env,
                                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                            start_new_session=True))
        for process, port in zip(started, ports, strict=False):
            wait_until_serving(process, port)
        yield [process.pid for process in started[:servers]], ports
    finally:
        for process in started:
            stop(process)


def job_throughput(url: str, runners: int, jobs: int) -> tuple[float, float | None]:
    """(jobs per second, runner CPU ms per job) of ``runners`` job runners working off ``jobs`` queued jobs."""
    env = {**os.environ, "HOTLINE_DATABASE_URL": url}
    started = [subprocess.Popen([sys.executable, "-m", "hotline.bench.job_worker"], env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL, start_new_session=True) for _ in range(runners)]
    database = Database(url)
    try:
        for process in started:
            assert process.stdout is not None and process.stdout.readline().strip() == b"ready"
        before = [process_cpu_seconds(process.pid) for process in started]
        now = utc_now()
        with database.write() as session:
            session.execute(insert(Job), [{"kind": JOB_KIND, "payload": "{}", "state": QUEUED, "attempts": 0,
                                           "max_attempts": 3, "run_after": now, "created_at": now}
                                          for _ in range(jobs)])
        began = time.perf_counter()
        while True:
            with database.read() as session:
                finished = session.exec(select(func.count()).select_from(Job).where(
                    Job.kind == JOB_KIND, Job.state == DONE)).one()
            if finished >= jobs:
                break
            time.sleep(0.01)
        seconds = time.perf_counter() - began
        after = [process_cpu_seconds(process.pid) for process in started]
        cpu = None
        if None not in before and None not in after:
            cpu = (sum(a or 0.0 for a in after) - sum(b or 0.0 for b in before)) / jobs * 1000
        with database.write() as session:
            session.execute(delete(Job).where(col(Job.kind) == JOB_KIND))
        return jobs / seconds, cpu
    finally:
        for process in started:
            stop(process)
        database.dispose()


# ---------------------------------------------------------------------------------------------------- checks


def _request(port: int, method: str, path: str, *, body: dict[str, str] | None = None,
             cookie: str | None = None) -> tuple[int, dict[str, str], str]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {"Content-Type": "application/x-www-form-urlencoded"} if body is not None else {}
    if cookie:
        headers["Cookie"] = cookie
    try:
        connection.request(method, path, body=urllib.parse.urlencode(body) if body is not None else None,
                           headers=headers)
        response = connection.getresponse()
        return response.status, {name.lower(): value for name, value in response.getheaders()}, \
            response.read().decode(errors="replace")
    finally:
        connection.close()


def _form_token(page: str) -> str:
    match = re.search(r'name="form_token" value="([^"]*)"', page)
    assert match is not None, "the page has no form token"
    return match.group(1)


def check_shared_state(database: Database, config: IntakeConfig, ports: list[int]) -> list[tuple[str, bool, str]]:
    """(what, held, how) for each thing that must hold across the instances at ``ports`` (A and B)."""
    a, b = ports[0], ports[1]
    slug = slug_of(0)
    results: list[tuple[str, bool, str]] = []
    # A seeded reviewer the inbox figures do not use, given TOTP, signs in on A through the form.
    email = f"r4@{slug}.example"
    secret = set_up_totp(database, config, email, inbox.PASSWORD)
    _, _, page = _request(a, "GET", "/review/sign-in")
    status, headers, _ = _request(a, "POST", "/review/sign-in", body={
        "form_token": _form_token(page), "email": email, "password": inbox.PASSWORD,
        "code": pyotp.TOTP(secret).now()})
    cookie = (headers.get("set-cookie") or "").split(";", 1)[0]
    signed_in = status == 303 and "=" in cookie
    followed = 0
    if signed_in:
        status_b, headers_b, _ = _request(b, "GET", "/review/home", cookie=cookie)
        target = headers_b.get("location", "")
        if status_b == 303 and "sign-in" not in target:
            followed, _, _ = _request(b, "GET", urllib.parse.urlsplit(target).path or "/", cookie=cookie)
    results.append(("a reviewer signed in on instance A is let in by instance B", signed_in and followed == 200,
                    f"sign-in on A answered {status}; B's console page answered {followed or 'a redirect to sign-in'}"))
    # Failures counted on A hold the next try on B (docs/design.md#limits-an-attacker-cannot-turn-against-users).
    victim = f"delayed@{slug}.example"
    waited = False
    tries = 0
    while not waited and tries < 10:
        tries += 1
        _, _, page = _request(a, "GET", "/review/sign-in")
        status, headers, _ = _request(a, "POST", "/review/sign-in", body={
            "form_token": _form_token(page), "email": victim, "password": secrets.token_hex(8), "code": "000000"})
        waited = "retry-after" in headers
    _, _, page = _request(b, "GET", "/review/sign-in")
    status_b, headers_b, _ = _request(b, "POST", "/review/sign-in", body={
        "form_token": _form_token(page), "email": victim, "password": secrets.token_hex(8), "code": "000000"})
    results.append(("sign-in failures on A make the next try on B wait", waited and status_b == 429
                    and "retry-after" in headers_b,
                    f"{tries} failures on A imposed a wait; the next try on B answered {status_b} "
                    f"(Retry-After {headers_b.get('retry-after', 'absent')})"))
    # A report form served by A is sent to B.
    connection = http.client.HTTPConnection("127.0.0.1", a, timeout=60)
    try:
        body, form_headers = report_form(connection, slug)
    finally:
        connection.close()
    connection = http.client.HTTPConnection("127.0.0.1", b, timeout=60)
    try:
        connection.request("POST", f"/report/{slug}", body=body, headers=form_headers)
        response = connection.getresponse()
        page = response.read().decode(errors="replace")
        accepted = response.status == 200 and "report key" in page
    finally:
        connection.close()
    results.append(("a report form served by A is accepted by B", accepted, f"B answered {response.status}"))
    return results


# ---------------------------------------------------------------------------------------------------- run


@dataclass
class Figure:
    name: str
    unit: str
    one_city: list[float] = field(default_factory=list)
    region: list[float] = field(default_factory=list)
    higher_is_better: bool = True
    note: str = ""

    def medians(self) -> tuple[float, float]:
        return statistics.median(self.one_city), statistics.median(self.region)

    def ratio(self) -> float:
        alone, region = self.medians()
        return region / alone if alone else float("nan")

    def met(self) -> bool:
        ratio = self.ratio()
        return ratio >= TARGET_RATE_RATIO if self.higher_is_better else ratio <= TARGET_TIME_RATIO

    def row(self) -> str:
        alone, region = self.medians()
        goal = f">= {TARGET_RATE_RATIO:.2f}" if self.higher_is_better else f"<= {TARGET_TIME_RATIO:.2f}"
        return (f"| {self.name} | {alone:,.1f} {self.unit} | {region:,.1f} {self.unit} | {self.ratio():.2f} | {goal} "
                f"| {'met' if self.met() else 'NOT met'} |")


def run(args: argparse.Namespace) -> int:
    url = normalize_url(args.database_url) if args.database_url else ""
    if not url.startswith("postgresql"):
        print("hotline bench region runs on PostgreSQL only: a region is several instances and workers on one "
              "PostgreSQL database (docs/design.md#operations-and-scale-out), which SQLite is not meant for. "
              "Give --database-url postgresql://...", file=sys.stderr)
        return 2
    if args.cities < 3 or args.cases < args.cities:
        print("--cities must be at least 3 and --cases at least one per city.", file=sys.stderr)
        return 2
    sizes = city_sizes(args.cities, args.cases)
    load_before = os.getloadavg()
    with bench_database(args.database_url, "hotline-bench-region-") as (region_url, _), \
            bench_database(args.database_url) as (big_url, _), bench_database(args.database_url) as (medium_url, _):
        env = server_environment(region_url, 0)
        settings = Settings.from_env(env)
        config = IntakeConfig(pepper=settings.pepper, reviewer_kdf=inbox.BENCH_KDF, report_key_kdf=inbox.BENCH_KDF)
        region_db, big_db, medium_db = Database(region_url), Database(big_url), Database(medium_url)
        try:
            print(f"Seeding the region: {args.cities} cities, {args.cases:,} cases, one audit entry per case ...",
                  flush=True)
            seeded = seed(region_db, config, sizes)
            print(f"Seeded in {seeded.seconds:.0f} s. Seeding one city of {sizes[0]:,} and one of {sizes[1]:,} "
                  "alone ...", flush=True)
            alone_big = seed(big_db, config, sizes[:1], progress=lambda _line: None)
            alone_medium = seed(medium_db, config, sizes[1:2], first_index=1, progress=lambda _line: None)
            figures, checks = measure_all(args, sizes, env, (region_url, big_url), (region_db, big_db, medium_db),
                                          config, (seeded, alone_big, alone_medium))
        finally:
            for database in (region_db, big_db, medium_db):
                database.dispose()
    markdown = render(args, sizes, seeded, figures, checks, load_before)
    print()
    print(markdown)
    if args.write:
        command = "hotline bench region --database-url URL" + (
            f" --cities {args.cities}" if args.cities != DEFAULT_CITIES else "") + (
            f" --cases {args.cases}" if args.cases != DEFAULT_CASES else "") + " --write"
        write_section(BenchSection(part="region-postgresql", title="A region: many cities, two instances "
                                   "(PostgreSQL)", command=command, markdown=markdown), args.report)
        print(f"\nRecorded in {args.report}.")
    ok = all(figure.met() for figure in figures) and all(held for _, held, _ in checks)
    return 0 if ok else 1


def measure_all(args: argparse.Namespace, sizes: list[int], env: dict[str, str], urls: tuple[str, str],
                databases: tuple[Database, Database, Database], config: IntakeConfig,
                seeded: tuple[Seeded, Seeded, Seeded]) -> tuple[list[Figure], list[tuple[str, bool, str]]]:
    region_url, big_url = urls
    region_db, big_db, medium_db = databases
    region, alone_big, alone_medium = seeded
    intake_rate = Figure("intake, closed loop: reports per second (all cores)", "/s")
    intake_cpu = Figure("intake: server CPU per report (summed over instances)", "ms", higher_is_better=False)
    inbox_medium = Figure(f"inbox p95, city of {sizes[1]:,} cases", "ms", higher_is_better=False)
    inbox_big = Figure(f"inbox p95, city of {sizes[0]:,} cases", "ms", higher_is_better=False)
    verification = Figure(f"audit verification of the city of {sizes[0]:,} entries", "entries/s")
    jobs_rate = Figure("job table: jobs per second (two runners in the region, one alone)", "/s")
    jobs_cpu = Figure("job table: runner CPU per job", "ms", higher_is_better=False)
    region_cities = [slug_of(index) for index in range(min(args.cities, max(args.clients, 2)))]
    contexts = {
        "region-big": inbox.reviewer_context(region_db, config, slug_of(0)),
        "region-medium": inbox.reviewer_context(region_db, config, slug_of(1)),
        "alone-big": inbox.reviewer_context(big_db, config, slug_of(0)),
        "alone-medium": inbox.reviewer_context(medium_db, config, slug_of(1)),
    }
    alone_env = {**env, "HOTLINE_DATABASE_URL": big_url}
    with processes(region_url, env, servers=2, workers=2) as (region_pids, region_ports), \
            processes(big_url, alone_env, servers=1, workers=0) as (alone_pids, alone_ports):
        checks = check_shared_state(region_db, config, region_ports)
        for number in range(max(1, args.runs)):
            print(f"Run {number + 1} of {args.runs}: intake ...", flush=True)
            alone = measured(alone_pids, lambda: drive(alone_ports, args.clients, args.seconds, rate=None,
                                                       cities=[slug_of(0)]))
            spread = measured(region_pids, lambda: drive(region_ports, args.clients, args.seconds, rate=None,
                                                         cities=region_cities))
            intake_rate.one_city.append(alone.throughput)
            intake_rate.region.append(spread.throughput)
            intake_cpu.one_city.append(alone.server_cpu_ms or float("nan"))
            intake_cpu.region.append(spread.server_cpu_ms or float("nan"))
            print("  inbox ...", flush=True)
            for figure, database, context, group in (
                    (inbox_medium, medium_db, contexts["alone-medium"], alone_medium.groups[slug_of(1)]),
                    (inbox_big, big_db, contexts["alone-big"], alone_big.groups[slug_of(0)])):
                figure.one_city.append(percentile(inbox.measure(database, context, group, args.rounds)[0], 0.95))
            inbox_medium.region.append(percentile(inbox.measure(
                region_db, contexts["region-medium"], region.groups[slug_of(1)], args.rounds)[0], 0.95))
            inbox_big.region.append(percentile(inbox.measure(
                region_db, contexts["region-big"], region.groups[slug_of(0)], args.rounds)[0], 0.95))
            print("  audit verification ...", flush=True)
            for figure_list, database in ((verification.one_city, big_db), (verification.region, region_db)):
                seconds, verdict = verify_once(database, slug_of(0))
                assert verdict.ok, verdict
                figure_list.append(verdict.entries / seconds)
            print("  job table ...", flush=True)
            rate, cpu = job_throughput(big_url, 1, args.jobs)
            jobs_rate.one_city.append(rate)
            jobs_cpu.one_city.append(cpu or float("nan"))
            rate, cpu = job_throughput(region_url, 2, args.jobs)
            jobs_rate.region.append(rate)
            jobs_cpu.region.append(cpu or float("nan"))
    return [intake_rate, intake_cpu, inbox_medium, inbox_big, verification, jobs_rate, jobs_cpu], checks


def render(args: argparse.Namespace, sizes: list[int], seeded: Seeded, figures: list[Figure],
           checks: list[tuple[str, bool, str]], load_before: tuple[float, float, float]) -> str:
    load = os.getloadavg()
    rate = seeded.cases / max(seeded.seconds, 1e-9)
    per_city, per_case, full = seeded.estimate(DEFAULT_CITIES, DEFAULT_CASES)
    lines = [
        f"{args.cities} cities and {seeded.cases:,} cases on PostgreSQL (one city of {sizes[0]:,}, one of "
        f"{sizes[1]:,}, {args.cities - 2} of about {sizes[2]:,}), one audit entry per case; two `hotline serve` "
        "instances and two `hotline worker` processes on the region's database. Beside it, in the same run and on "
        f"the same database server: the city of {sizes[0]:,} alone with one instance, and the city of {sizes[1]:,} "
        f"alone. Each figure is the median of {args.runs} runs; {args.clients} intake clients for {args.seconds:g} s "
        f"per phase (in the region spread over both instances and {min(args.cities, max(args.clients, 2))} cities); "
        f"{args.rounds} rounds of the inbox bench's 16 queries; {args.jobs:,} jobs per job-table run.",
        "",
        f"Seeding (bulk inserts of cases, appended audit entries): {seeded.seconds:.0f} s for {seeded.cases:,} cases "
        f"and {seeded.entries:,} entries, {rate:,.0f} cases (with their entries) per second overall. Per city "
        f"{per_city:.2f} s of setup (its key pair, groups, reviewers, tallies) and {per_case * 1000:.2f} ms per case "
        f"with its audit entry (from the biggest city against the others), so the full region of {DEFAULT_CITIES} "
        f"cities and {DEFAULT_CASES:,} cases would take about {full / 60:.0f} minutes to seed, and the one-city "
        "copies beside it about a tenth more.",
        "",
        "| figure | one city, one instance | region | region / one city | goal | verdict |",
        "|---|---|---|---|---|---|",
        *[figure.row() for figure in figures],
        "",
        "Per-core work: both layouts ran on the same cores of this machine, the region's two instances (and two job "
        "runners) sharing them as two machines would not. So a rate above is the whole machine's, compared as it "
        "is, and the CPU per report or per job (user + system time of the server or runner processes, from /proc, "
        "divided by the requests or jobs) is the work each one costs wherever it runs: the region is within 20% "
        "per core when that ratio is at most 1.2.",
        "",
        "Across instances (nothing lives in one instance's memory but what docs/design.md#operations-and-scale-out "
        "allows):",
        "",
        *[f"- {what}: **{'holds' if held else 'DOES NOT HOLD'}** ({how})." for what, held, how in checks],
        "- per-client counters (hotline/throttle.py) are per process by design, and not checked as shared.",
        "",
        f"Load average (1, 5, 15 min) before the run: {load_before[0]:.2f}, {load_before[1]:.2f}, "
        f"{load_before[2]:.2f}; after: {load[0]:.2f}, {load[1]:.2f}, {load[2]:.2f}, on {os.cpu_count()} cores "
        "shared with other work.",
    ]
    return "\n".join(lines)
