"""``hotline bench intake``: how many web reports a server takes per second, against what the CPU allows.

Every report costs one Argon2id derivation at the production report-key cost (the reporter's key pair is wrapped
under it, docs/design.md#report-keys), so the ceiling of intake is how many of those derivations all cores can do per
second. This measures that ceiling, then starts a real server (``hotline serve``, production settings, a fresh
database: a new SQLite file, or a new schema in the PostgreSQL database given) and drives it with concurrent
clients posting a 2 KB report through the web form, three times over (``--runs``), each run measuring the ceiling
again around its phases:

- *closed loop*: each client posts again as soon as it has its answer, so the server is saturated; throughput
  against the ceiling says how much of the CPU goes to anything but the derivation (the target is 80 %). The
  phase is cut into slices (``--slices``) with the ceiling measured before each and after the last, and each
  slice is set against the two ceilings beside it: a VM's CPU drifts (on a two-core VM the ceiling went from 41
  to 57 derivations/s within nine seconds, and from 49 to 83 within two minutes), and a ceiling measured half a
  minute away from the load it is set against adds that drift to the share;
- *open loop*: reports arrive on a schedule made before the phase starts (Poisson arrivals by default, or a
  fixed rate) at 50 % of the run's ceiling, whatever the server answers; the clients take each arrival when it is
  due and its latency counts from then, so time an arrival waits for a free client counts too. This is the
  latency of a server with headroom, rather than the queue a saturated one builds (under saturation Little's law
  makes the latency of N closed-loop clients N / throughput whatever the server does).

Every figure printed is the median of the runs. After them, one more closed-loop phase runs under py-spy
(hotline.bench.profile), untimed, and the server's top functions are printed beside the figures.

cryptography's Argon2id releases the GIL while it derives (the Rust binding runs it outside the interpreter),
so the server's thread pool spreads derivations over every core with no process pool; the city row lock is held
only around the inserts, never around the derivation or the sealing (intake.reports.submission.submit_report).
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import html
import http.client
import itertools
import os
import queue
import random
import re
import secrets
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from crypto.params import REPORT_KEY_KDF
from crypto.wrapping import derive_key_argon2id
from hotline.bench.databases import add_common_arguments, bench_database
from hotline.bench.keep_alive import KeepAliveConnection, prepared_post
from hotline.bench.profile import Profile, sampled
from hotline.bench.report import BenchSection, median, percentile, write_section
from intake.accounts.reviewers import add_reviewer
from intake.cities import create_city, find_city, open_city_key_with_recovery_key
from intake.config import IntakeConfig
from intake.db import Database
from intake.operations.migrate import upgrade

CITY = "bench-city"
NARRATIVE_BYTES = 2048
TARGET_SHARE = 0.8
TARGET_P99_MS = 250.0
OPEN_LOOP_SHARE = 0.5  # the open loop is offered this share of the ceiling
WARMUP_SECONDS = 3.0
CLOSED_LOOP_SLICES = 4
CEILING_SECONDS = 3.0  # each measurement of the ceiling: (slices + 1) of them a run
# Each closed-loop slice after the first starts twenty new clients on a warm server: the first second, while they
# fetch their forms and fill the queue, is not measured.
SLICE_WARMUP_SECONDS = 1.0


def register(parts: argparse._SubParsersAction) -> None:
    parser = parts.add_parser(
        "intake", help="Concurrent web report submissions against the key-derivation ceiling.",
        description="Measure the report-key derivation ceiling of all cores, then drive a real server with "
                    "concurrent clients posting a 2 KB report (production KDF, fresh database): a closed loop "
                    "(saturated) and an open loop offered half the ceiling; print throughput and p50/p99 latency "
                    "(medians of three runs) and the server's profile beside them.")
    parser.add_argument("--clients", type=int, default=20, help="Concurrent clients (default 20).")
    parser.add_argument("--seconds", type=float, default=20.0, help="Length of each measured phase (default 20).")
    parser.add_argument("--slices", type=int, default=CLOSED_LOOP_SLICES,
                        help="Slices the closed loop is cut into, the ceiling measured between them (default "
                             f"{CLOSED_LOOP_SLICES}).")
    parser.add_argument("--runs", type=int, default=3, help="Runs of both phases; each figure is the median "
                                                            "(default 3).")
    parser.add_argument("--arrivals", choices=("poisson", "fixed"), default="poisson",
                        help="Open-loop arrivals: Poisson (exponential gaps) or a fixed rate (default poisson).")
    parser.add_argument("--open-share", type=float, default=OPEN_LOOP_SHARE,
                        help=f"Share of the ceiling offered in the open loop (default {OPEN_LOOP_SHARE}).")
    parser.add_argument("--profile-seconds", type=float, default=10.0,
                        help="Length of the extra closed-loop phase profiled with py-spy (default 10; 0: none).")
    add_common_arguments(parser)
    parser.set_defaults(run=run)


# ---------------------------------------------------------------------------------------------------- ceiling


def _derive_for(seconds: float) -> int:
    salt, key = os.urandom(16), secrets.token_bytes(20)
    done, end = 0, time.perf_counter() + seconds
    while time.perf_counter() < end:
        derive_key_argon2id(key, salt, REPORT_KEY_KDF)
        done += 1
    return done


def derivation_ceiling(seconds: float = CEILING_SECONDS) -> float:
    """Report-key Argon2id derivations per second with one worker process per core (nothing else running)."""
    workers = os.cpu_count() or 1
    with ProcessPoolExecutor(workers) as pool:
        list(pool.map(_derive_for, [0.5] * workers))  # warm up each process
        start = time.perf_counter()
        total = sum(pool.map(_derive_for, [seconds] * workers))
        return total / (time.perf_counter() - start)


# ---------------------------------------------------------------------------------------------------- server


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def fresh_database(database_url: str | None) -> Iterator[tuple[str, str]]:
    """(url, description) of an empty, migrated database with one city; removed afterwards."""
    with bench_database(database_url) as (url, kind):
        _prepare(url)
        yield url, f"{kind} (new {'file' if kind == 'SQLite' else 'schema'})"


def _prepare(url: str) -> None:
    """Migrate, and make a city with one reviewer in its ethics group, so reports route as they do in life."""
    database = Database(url)
    try:
        upgrade(database)
        created = create_city(database, CITY, "Bench City")
        city_key = open_city_key_with_recovery_key(find_city(database, CITY), created.recovery_key)
        add_reviewer(database, IntakeConfig(pepper=secrets.token_bytes(32)), city_slug=CITY,
                     email="reviewer@bench.example", display_name="Bench Reviewer",
                     password=secrets.token_urlsafe(16), role="reviewer", city_private_key=city_key)
    finally:
        database.dispose()


def server_environment(url: str, port: int, *, pepper: str | None = None, session_key: str | None = None,
                       extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of a benchmark's ``hotline serve`` or ``hotline worker``: production KDF, quiet logs."""
    env = {**os.environ, "HOTLINE_DATABASE_URL": url, "HOTLINE_PEPPER": pepper or secrets.token_hex(32),
           "HOTLINE_SESSION_KEY": session_key or secrets.token_hex(32),
           "HOTLINE_PUBLIC_URL": f"http://127.0.0.1:{port}", "HOTLINE_LOG_LEVEL": "warning",
           # The caps exist against abuse; every bench client comes from one address, so they are lifted here.
           "HOTLINE_REPORTS_PER_CLIENT_PER_HOUR": "100000000", "HOTLINE_REPORTS_PER_CITY_PER_HOUR": "100000000",
           **(extra or {})}
    env.pop("HOTLINE_INSECURE_TEST_KDF", None)  # production KDF cost, always
    return env


def wait_until_serving(process: subprocess.Popen[bytes], port: int, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while True:
        if process.poll() is not None:
            raise RuntimeError("the server did not start: " + (process.stderr.read().decode()[-2000:]
                                                               if process.stderr else ""))
        try:
            probe = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            probe.request("GET", "/")
            probe.getresponse().read()
            probe.close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise RuntimeError("the server did not start within a minute") from None
            time.sleep(0.2)


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextlib.contextmanager
def running_server(url: str, env: Mapping[str, str] | None = None,
                   port: int | None = None) -> Iterator[tuple[int, int]]:
    """(pid, port) of a ``hotline serve`` on ``url`` until the block ends."""
    port = port or free_port()
    process = subprocess.Popen([sys.executable, "-m", "hotline", "serve", "--port", str(port)],
                               env=dict(env) if env else server_environment(url, port),
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    try:
        wait_until_serving(process, port)
        yield process.pid, port
    finally:
        stop(process)


# ---------------------------------------------------------------------------------------------------- load


@dataclass
class Phase:
    name: str
    offered_per_second: float | None
    completed: int
    failed: int
    seconds: float
    latencies_ms: list[float]

    # Every request of the phase, warm-up and drain included (what the server's CPU time is divided by).
    requests_sent: int = 0
    # CPU milliseconds the server process used per request (from /proc; None where there is no /proc).
    server_cpu_ms: float | None = None

    @property
    def throughput(self) -> float:
        """Reports completed within the measured window, per second (for the open loop: the achieved rate)."""
        return self.completed / self.seconds


def _narrative() -> str:
    sentence = "The crew logged overtime on days the yard was closed, and the fuel card was used twice. "
    return (sentence * (NARRATIVE_BYTES // len(sentence) + 1))[:NARRATIVE_BYTES]


def arrival_times(rate: float, until: float, arrivals: str, rng: random.Random) -> list[float]:
    """Offsets in seconds from the phase's start at which reports arrive, up to ``until``."""
    times: list[float] = []
    at = 0.0
    while True:
        at += rng.expovariate(rate) if arrivals == "poisson" else 1.0 / rate
        if at >= until:
            return times
        times.append(at)


def report_form(connection: http.client.HTTPConnection, city: str) -> tuple[str, dict[str, str]]:
    """The body and headers of a report post, with the form token the report page gave this client: what a
    browser sends for the page's report form with the narrative typed and nothing else changed. The form is
    ``multipart/form-data`` (it has a file input), so every control with a name goes, in the page's order: text
    and hidden inputs and text areas with what they hold (the questionnaire's empty answers too), the empty file
    input as an empty part with no file name, radio buttons and check boxes only where the page checks them.
    (It posted a urlencoded body of three fields before, which the server parses in a fifth of the time.)"""
    connection.request("GET", f"/report/{city}?category=safety")
    page = connection.getresponse().read().decode()
    form = re.search(r'<form [^>]*class="report-form"[^>]*>(.*?)</form>', page, re.DOTALL)
    assert form is not None, "the report page has no report form"
    boundary = "----HotlineBenchBoundary" + secrets.token_hex(8)
    parts = []
    for control in re.finditer(r"<textarea\b([^>]*)>(.*?)</textarea>|<input\b([^>]*)>", form.group(1), re.DOTALL):
        tag = "textarea" if control.group(1) is not None else "input"
        attributes, text = control.group(1) or control.group(3), control.group(2)
        found = dict(re.findall(r'\b(name|type|value)="([^"]*)"', attributes))
        name, kind = found.get("name"), found.get("type", "text")
        if name is None or (kind in ("radio", "checkbox") and not re.search(r"\bchecked\b", attributes)):
            continue
        disposition = f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"'
        if kind == "file":
            parts.append(f'{disposition}; filename=""\r\nContent-Type: application/octet-stream\r\n\r\n\r\n')
            continue
        value = _narrative() if name == "narrative" else html.unescape(text if tag == "textarea" else
                                                                        found.get("value", ""))
        parts.append(f"{disposition}\r\n\r\n{value}\r\n")
    assert any('name="form_token"' in part for part in parts), "the report form has no form token"
    return "".join(parts) + f"--{boundary}--\r\n", {"Content-Type": f"multipart/form-data; boundary={boundary}"}


def drive(port: int | Sequence[int], clients: int, seconds: float, *, rate: float | None,
          arrivals: str = "poisson", warmup: float = WARMUP_SECONDS,
          cities: Sequence[str] = (CITY,)) -> Phase:
    """``clients`` threads post reports: closed loop when ``rate`` is None, else an open loop whose arrivals
    (``rate`` per second in all) are fixed before it starts. Client n talks to ``ports[n % len(ports)]`` about
    ``cities[n % len(cities)]``."""
    ports = [port] if isinstance(port, int) else list(port)
    start = time.perf_counter() + 0.5
    measure_from, measure_to = start + warmup, start + warmup + seconds
    latencies: list[float] = []
    counts = {"failed": 0, "done_in_window": 0, "all": 0}
    lock = threading.Lock()
    due: queue.Queue[float] = queue.Queue()
    if rate:
        for offset in arrival_times(rate, warmup + seconds, arrivals, random.Random()):
            due.put(start + offset)

    def next_due() -> float | None:
        if not rate:
            sent = time.perf_counter()
            return sent if sent < measure_to else None
        try:
            at = due.get_nowait()
        except queue.Empty:
            return None
        delay = at - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        return at  # latency counts from when it was due: waiting for a free client counts too

    def client(number: int) -> None:
        # One keep-alive connection per client, as a browser has, sending bytes prepared once (bench.keep_alive):
        # the clients share the cores with the server they measure.
        client_port, city = ports[number % len(ports)], cities[number % len(cities)]
        form_page = http.client.HTTPConnection("127.0.0.1", client_port, timeout=60)
        try:
            body, headers = report_form(form_page, city)
        finally:
            form_page.close()
        post = prepared_post("127.0.0.1", client_port, f"/report/{city}", body.encode("ascii"),
                             headers["Content-Type"])
        connection = KeepAliveConnection("127.0.0.1", client_port)
        try:
            while (sent := next_due()) is not None:
                try:
                    ok = connection.exchange(post) == 200
                except OSError:
                    ok = False  # the connection is closed; the next exchange opens a new one
                done = time.perf_counter()
                with lock:
                    counts["all"] += 1
                    if ok and measure_from <= done < measure_to:
                        counts["done_in_window"] += 1
                    if sent >= measure_from:
                        if ok:
                            latencies.append((done - sent) * 1000)
                        else:
                            counts["failed"] += 1
        finally:
            connection.close()

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    name = "closed loop (saturated)" if rate is None else f"open loop, {arrivals} arrivals"
    return Phase(name, rate, counts["done_in_window"], counts["failed"], seconds, latencies,
                 requests_sent=counts["all"])


# ---------------------------------------------------------------------------------------------------- report


def process_cpu_seconds(pid: int) -> float | None:
    """User plus system CPU time of a process, from /proc (Linux)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def derivation_cpu_ms(samples: int = 20) -> float:
    """CPU time of one report-key derivation, measured in this process after three untimed ones: the first few
    in a process also pay for faulting in their 19 MiB (45, 42 and 32 ms, then 22 ms, on a two-core VM), and
    counted among ten they made the figure up to a third too high."""
    salt, key = os.urandom(16), secrets.token_bytes(20)
    for _ in range(3):
        derive_key_argon2id(key, salt, REPORT_KEY_KDF)
    start = time.process_time()
    for _ in range(samples):
        derive_key_argon2id(key, salt, REPORT_KEY_KDF)
    return (time.process_time() - start) / samples * 1000


def measured(pids: int | Sequence[int], phase_run: Callable[[], Phase]) -> Phase:
    """Run a phase and note the CPU the server processes spent on it, per request."""
    pid_list = [pids] if isinstance(pids, int) else list(pids)
    before = [process_cpu_seconds(pid) for pid in pid_list]
    phase = phase_run()
    after = [process_cpu_seconds(pid) for pid in pid_list]
    if None not in before and None not in after and phase.requests_sent:
        spent = sum(a for a in after if a is not None) - sum(b for b in before if b is not None)
        phase.server_cpu_ms = spent / phase.requests_sent * 1000
    return phase


def combined(name: str, slices: Sequence[Phase]) -> Phase:
    """One phase of several slices: their reports, seconds and latencies together, and the server's CPU per request
    over all of them."""
    sent = sum(part.requests_sent for part in slices)
    cpu = [part.server_cpu_ms * part.requests_sent for part in slices if part.server_cpu_ms is not None]
    return Phase(name, None, sum(part.completed for part in slices), sum(part.failed for part in slices),
                 sum(part.seconds for part in slices), [ms for part in slices for ms in part.latencies_ms],
                 requests_sent=sent, server_cpu_ms=sum(cpu) / sent if sent and len(cpu) == len(slices) else None)


@dataclass
class Run:
    ceilings: list[float]  # measured before each closed-loop slice and after the last
    slices: list[Phase]  # the closed loop, slice by slice
    paced: Phase  # offered its share of the mean of ``ceilings``

    @property
    def ceiling(self) -> float:
        return statistics.fmean(self.ceilings)

    @property
    def closed_share(self) -> float:
        """Each slice's throughput against the mean of the ceilings measured just before and just after it, averaged
        over the slices (all of one length)."""
        return statistics.fmean(part.throughput / ((before + after) / 2)
                                for part, (before, after) in zip(self.slices, itertools.pairwise(self.ceilings),
                                                                 strict=True))

    @functools.cached_property
    def saturated(self) -> Phase:
        return combined("closed loop (saturated)", self.slices)


def _median_of(runs: list[Run], figure: Callable[[Run], float | None]) -> float:
    values = [value for value in (figure(run) for run in runs) if value is not None]
    return median(values)


def _figures(runs: list[Run]) -> dict[str, float]:
    return {
        "ceiling": _median_of(runs, lambda r: r.ceiling),
        "closed_throughput": _median_of(runs, lambda r: r.saturated.throughput),
        "closed_share": _median_of(runs, lambda r: r.closed_share),
        "closed_p50": _median_of(runs, lambda r: median(r.saturated.latencies_ms)),
        "closed_p99": _median_of(runs, lambda r: percentile(r.saturated.latencies_ms, 0.99)),
        "closed_cpu": _median_of(runs, lambda r: r.saturated.server_cpu_ms),
        "open_offered": _median_of(runs, lambda r: r.paced.offered_per_second),
        "open_achieved": _median_of(runs, lambda r: r.paced.throughput),
        "open_p50": _median_of(runs, lambda r: median(r.paced.latencies_ms)),
        "open_p99": _median_of(runs, lambda r: percentile(r.paced.latencies_ms, 0.99)),
        "open_cpu": _median_of(runs, lambda r: r.paced.server_cpu_ms),
    }


def _run_rows(runs: list[Run]) -> list[str]:
    rows = []
    for number, run in enumerate(runs, 1):
        rows.append(
            f"| {number} | {run.ceiling:.1f}/s ({min(run.ceilings):.1f} to {max(run.ceilings):.1f}) "
            f"| {run.saturated.throughput:.1f}/s "
            f"({run.closed_share:.0%}) | {percentile(run.saturated.latencies_ms, 0.99):.0f} ms "
            f"| {run.paced.offered_per_second or 0:.1f}/s | {run.paced.throughput:.1f}/s "
            f"| {median(run.paced.latencies_ms):.0f} ms | {percentile(run.paced.latencies_ms, 0.99):.0f} ms "
            f"| {run.saturated.failed + run.paced.failed} |")
    return rows


def run(args: argparse.Namespace) -> int:
    print(f"Argon2id m={REPORT_KEY_KDF.memory_kib} KiB, t={REPORT_KEY_KDF.iterations}, p={REPORT_KEY_KDF.lanes} "
          f"on {os.cpu_count()} cores.", flush=True)
    load_before = os.getloadavg()
    kdf_cpu = derivation_cpu_ms()
    runs: list[Run] = []
    profile = Profile(tool="py-spy", problem="not asked for (--profile-seconds 0)")
    with fresh_database(args.database_url) as (url, description), running_server(url) as (pid, port):
        slices = max(1, args.slices)
        for number in range(max(1, args.runs)):
            print(f"Run {number + 1}: driving {args.clients} clients at {description} for {args.seconds:g} s per "
                  f"phase, the closed loop in {slices} slices with the ceiling measured between them...", flush=True)
            # On a shared machine (or a VM whose CPU share moves) the CPU left to us drifts from second to second:
            # each slice of the closed loop is set against the ceilings measured just before and just after it.
            ceilings, parts = [derivation_ceiling()], []
            for index in range(slices):
                parts.append(measured(pid, functools.partial(
                    drive, port, args.clients, args.seconds / slices, rate=None,
                    warmup=WARMUP_SECONDS if index == 0 else SLICE_WARMUP_SECONDS)))
                ceilings.append(derivation_ceiling())
            paced = measured(pid, functools.partial(drive, port, args.clients, args.seconds,
                                                    rate=args.open_share * statistics.fmean(ceilings),
                                                    arrivals=args.arrivals))
            runs.append(run_result := Run(ceilings, parts, paced))
            print(f"  ceiling {' '.join(f'{c:.1f}' for c in ceilings)} derivations/s; closed loop "
                  f"{run_result.saturated.throughput:.1f}/s ({run_result.closed_share:.0%} of the ceiling), p99 "
                  f"{percentile(run_result.saturated.latencies_ms, 0.99):.0f} ms; open loop achieved "
                  f"{paced.throughput:.1f}/s, p99 {percentile(paced.latencies_ms, 0.99):.0f} ms", flush=True)
        if args.profile_seconds > 0:
            print(f"Profiling the server under a closed loop for {args.profile_seconds:g} s (untimed)...", flush=True)
            with sampled(pid) as profile:
                drive(port, args.clients, args.profile_seconds, rate=None, warmup=0.0)
    figures = _figures(runs)
    markdown = render(args, description, runs, figures, kdf_cpu, load_before, profile)
    print()
    print(markdown)
    if args.write:
        kind = "postgresql" if args.database_url else "sqlite"
        command = "hotline bench intake" + (" --database-url postgresql://..." if args.database_url else "")
        write_section(BenchSection(part=f"intake-{kind}", title=f"Intake ({description.split(' ')[0]})",
                                   command=command + " --write", markdown=markdown), args.report)
        print(f"\nRecorded in {args.report}.")
    met = figures["closed_share"] >= TARGET_SHARE and figures["open_p99"] < TARGET_P99_MS
    return 0 if met else 1


def render(args: argparse.Namespace, description: str, runs: list[Run], figures: dict[str, float], kdf_cpu: float,
           load_before: tuple[float, float, float], profile: Profile) -> str:
    verdict_throughput = figures["closed_share"] >= TARGET_SHARE
    verdict_latency = figures["open_p99"] < TARGET_P99_MS
    cpu_closed = figures["closed_cpu"]
    # Core-milliseconds a derivation took in the ceiling: every core deriving at once, as under saturation.
    derivation_in_ceiling = (os.cpu_count() or 1) * 1000 / figures["ceiling"]
    load_after = os.getloadavg()
    lines = [
        f"Database: {description}. Report: {NARRATIVE_BYTES} bytes through the web form, production KDF "
        f"(Argon2id m={REPORT_KEY_KDF.memory_kib} KiB, t={REPORT_KEY_KDF.iterations}, p={REPORT_KEY_KDF.lanes}). "
        f"Clients: {args.clients}; {len(runs)} runs. Each run measures the ceiling (report-key derivations per "
        f"second, one process per core, {CEILING_SECONDS:g} s) before each of {args.slices} slices of the closed "
        f"loop ({args.seconds:g} s in all, after a {WARMUP_SECONDS:g} s warm-up, {SLICE_WARMUP_SECONDS:g} s for "
        "each later slice) and after the last; each slice's throughput is set against the mean of the two "
        "ceilings beside it, and the run's share is the mean over its slices. The run's ceiling is the mean of "
        f"its {args.slices + 1}. The open loop ({args.seconds:g} s after a {WARMUP_SECONDS:g} s warm-up) is "
        f"offered {args.open_share:.0%} of that ceiling, with {args.arrivals} arrivals fixed before it starts; "
        "its latency counts from each report's arrival. **Every figure is the median of the runs** (per run "
        "below).",
        "",
        f"Ceiling: **{figures['ceiling']:.1f}/s**, so with every core deriving a derivation takes "
        f"{derivation_in_ceiling:.0f} ms of a core ({kdf_cpu:.0f} ms alone in one process, before the runs): a "
        f"server spending C ms of CPU per report can reach at most {derivation_in_ceiling:.0f}/C of the ceiling.",
        "",
        "| phase | offered | throughput | of ceiling | p50 | p99 | server CPU per report |",
        "|---|---|---|---|---|---|---|",
        f"| closed loop (saturated) | - | {figures['closed_throughput']:.1f}/s | {figures['closed_share']:.0%} | "
        f"{figures['closed_p50']:.0f} ms | {figures['closed_p99']:.0f} ms | {cpu_closed:.0f} ms |",
        f"| open loop, {args.arrivals} arrivals | {figures['open_offered']:.1f}/s | "
        f"{figures['open_achieved']:.1f}/s (achieved) | {figures['open_achieved'] / figures['ceiling']:.0%} | "
        f"{figures['open_p50']:.0f} ms | {figures['open_p99']:.0f} ms | {figures['open_cpu']:.0f} ms |",
        "",
        "| run | ceiling (lowest to highest) | closed loop | closed p99 | open offered | open achieved | open p50 "
        "| open p99 | failed |",
        "|---|---|---|---|---|---|---|---|---|",
        *_run_rows(runs),
        "",
        f"Throughput at saturation >= {TARGET_SHARE:.0%} of the ceiling: **{'met' if verdict_throughput else 'NOT met'}"
        f"**. p99 under {TARGET_P99_MS:.0f} ms in the open loop at {args.open_share:.0%} of the ceiling: "
        f"**{'met' if verdict_latency else 'NOT met'}**. Saturated, {args.clients} clients wait "
        f"{args.clients / max(figures['closed_throughput'], 1e-9) * 1000:.0f} ms on average by Little's law "
        "(clients / throughput), whatever the server does.",
        "",
        f"CPU bound: the server spent {cpu_closed:.0f} ms of CPU per report saturated, against "
        f"{derivation_in_ceiling:.0f} ms a derivation in the ceiling, so on cores it had to itself it could reach "
        f"{derivation_in_ceiling / cpu_closed:.0%} of the ceiling. A lower share measured above means other "
        "processes took CPU during the run. (A derivation alone costs less than in the ceiling, where every core "
        "derives and they share the memory; in the server it shares the cores with the requests' work too.)",
        f"Load average (1, 5, 15 min) before the run: {load_before[0]:.2f}, {load_before[1]:.2f}, "
        f"{load_before[2]:.2f}; after: {load_after[0]:.2f}, {load_after[1]:.2f}, {load_after[2]:.2f}, on "
        f"{os.cpu_count()} cores.",
        "",
        profile.markdown(f"the server in a further {args.profile_seconds:g} s closed loop (untimed)"),
    ]
    return "\n".join(lines)
