"""``hotline bench intake``: how many web reports a server takes per second, against what the CPU allows.

Every report costs one Argon2id derivation at the production report-key cost (the reporter's key pair is wrapped
under it, docs/design.md#report-keys), so the ceiling of intake is how many of those derivations all cores can do per
second. This measures that ceiling, then starts a real server (``hotline serve``, production settings, a fresh
database: a new SQLite file, or a new schema in the PostgreSQL database given) and drives it with concurrent
clients posting a 2 KB report through the web form, in the same run:

- *closed loop*: each client posts again as soon as it has its answer, so the server is saturated; throughput
  against the ceiling says how much of the CPU goes to anything but the derivation (the target is 80 %);
- *open loop*: the same clients post on a fixed schedule at 80 % of the ceiling, so latency is that of a busy
  server rather than the queue a saturated one builds (under saturation Little's law makes the latency of
  N closed-loop clients N / throughput whatever the server does).

cryptography's Argon2id releases the GIL while it derives (the Rust binding runs it outside the interpreter),
so the server's thread pool spreads derivations over every core with no process pool; the city row lock is held
only around the inserts, never around the derivation or the sealing (intake.reports.submission.submit_report).
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import os
import re
import secrets
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from crypto.params import REPORT_KEY_KDF
from crypto.wrapping import derive_key_argon2id
from hotline.bench.databases import add_common_arguments, bench_database
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


def register(parts: argparse._SubParsersAction) -> None:
    parser = parts.add_parser(
        "intake", help="Concurrent web report submissions against the key-derivation ceiling.",
        description="Measure the report-key derivation ceiling of all cores, then drive a real server with "
                    "concurrent clients posting a 2 KB report (production KDF, fresh database) and print throughput "
                    "and p50/p99 latency beside it.")
    parser.add_argument("--clients", type=int, default=20, help="Concurrent clients (default 20).")
    parser.add_argument("--seconds", type=float, default=20.0, help="Length of each measured phase (default 20).")
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


def derivation_ceiling(seconds: float = 8.0) -> float:
    """Report-key Argon2id derivations per second with one worker process per core (nothing else running)."""
    workers = os.cpu_count() or 1
    with ProcessPoolExecutor(workers) as pool:
        list(pool.map(_derive_for, [0.5] * workers))  # warm up each process
        start = time.perf_counter()
        total = sum(pool.map(_derive_for, [seconds] * workers))
        return total / (time.perf_counter() - start)


# ---------------------------------------------------------------------------------------------------- server


def _free_port() -> int:
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


@contextlib.contextmanager
def running_server(url: str) -> Iterator[tuple[int, int]]:
    port = _free_port()
    env = {**os.environ, "HOTLINE_DATABASE_URL": url, "HOTLINE_PEPPER": secrets.token_hex(32),
           "HOTLINE_SESSION_KEY": secrets.token_hex(32), "HOTLINE_PUBLIC_URL": f"http://127.0.0.1:{port}",
           "HOTLINE_LOG_LEVEL": "warning",
           # The caps exist against abuse; every bench client comes from one address, so they are lifted here.
           "HOTLINE_REPORTS_PER_CLIENT_PER_HOUR": "100000000", "HOTLINE_REPORTS_PER_CITY_PER_HOUR": "100000000"}
    env.pop("HOTLINE_INSECURE_TEST_KDF", None)  # production KDF cost, always
    process = subprocess.Popen([sys.executable, "-m", "hotline", "serve", "--port", str(port)], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError("the server did not start: " + (process.stderr.read().decode()[-2000:]
                                                                   if process.stderr else ""))
            try:
                probe = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
                probe.request("GET", "/")
                probe.getresponse().read()
                probe.close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("the server did not start within a minute") from None
                time.sleep(0.2)
        yield process.pid, port
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


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
        """Reports completed within the measured window, per second."""
        return self.completed / self.seconds


def _narrative() -> str:
    sentence = "The crew logged overtime on days the yard was closed, and the fuel card was used twice. "
    return (sentence * (NARRATIVE_BYTES // len(sentence) + 1))[:NARRATIVE_BYTES]


def drive(port: int, clients: int, seconds: float, *, rate: float | None, warmup: float = 3.0) -> Phase:
    """``clients`` threads post reports; closed loop when ``rate`` is None, else paced to ``rate`` in all."""
    narrative = _narrative()
    start = time.perf_counter() + 0.5
    measure_from, measure_to = start + warmup, start + warmup + seconds
    latencies: list[float] = []
    counts = {"completed": 0, "failed": 0, "done_in_window": 0, "all": 0}
    lock = threading.Lock()

    def client(number: int) -> None:
        # One keep-alive connection per client, as a browser has; the standard library keeps the client light.
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        try:
            connection.request("GET", f"/report/{CITY}?category=safety")
            page = connection.getresponse().read().decode()
            token = re.search(r'name="form_token" value="([^"]*)"', page)
            assert token is not None
            body = urllib.parse.urlencode({"form_token": token.group(1), "category": "safety",
                                           "narrative": narrative})
            headers = {"Content-Type": "application/x-www-form-urlencoded"}
            interval = clients / rate if rate else 0.0
            next_at = start + (number * interval / clients if rate else 0.0)
            while True:
                if rate:
                    delay = next_at - time.perf_counter()
                    if delay > 0:
                        time.sleep(delay)
                    sent = next_at  # latency counts from when it was due: queueing in the client counts too
                    next_at += interval
                else:
                    sent = time.perf_counter()
                if sent >= measure_to:
                    return
                ok = False
                try:
                    connection.request("POST", f"/report/{CITY}", body=body, headers=headers)
                    response = connection.getresponse()
                    response.read()
                    ok = response.status == 200
                except (OSError, http.client.HTTPException):
                    connection.close()
                    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                done = time.perf_counter()
                with lock:
                    counts["all"] += 1
                    if ok and measure_from <= done < measure_to:
                        counts["done_in_window"] += 1
                if sent >= measure_from:
                    with lock:
                        if ok:
                            counts["completed"] += 1
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
    name = "closed loop (saturated)" if rate is None else f"open loop, offered {rate:.1f}/s"
    return Phase(name, rate, counts["done_in_window"], counts["failed"], seconds, latencies,
                 requests_sent=counts["all"])


# ---------------------------------------------------------------------------------------------------- report


def _row(phase: Phase, ceiling: float) -> str:
    share = phase.throughput / ceiling if ceiling else float("nan")
    cpu = f"{phase.server_cpu_ms:.0f} ms" if phase.server_cpu_ms is not None else "n/a"
    return (f"| {phase.name} | {phase.throughput:.1f}/s | {share:.0%} | {median(phase.latencies_ms):.0f} ms | "
            f"{percentile(phase.latencies_ms, 0.99):.0f} ms | {cpu} | {phase.completed} | {phase.failed} |")


def process_cpu_seconds(pid: int) -> float | None:
    """User plus system CPU time of a process, from /proc (Linux)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def derivation_cpu_ms(samples: int = 10) -> float:
    """CPU time of one report-key derivation, measured in this process."""
    salt, key = os.urandom(16), secrets.token_bytes(20)
    start = time.process_time()
    for _ in range(samples):
        derive_key_argon2id(key, salt, REPORT_KEY_KDF)
    return (time.process_time() - start) / samples * 1000


def measured(pid: int, phase_run: Callable[[], Phase]) -> Phase:
    before = process_cpu_seconds(pid)
    phase = phase_run()
    after = process_cpu_seconds(pid)
    if before is not None and after is not None and phase.requests_sent:
        phase.server_cpu_ms = (after - before) / phase.requests_sent * 1000
    return phase


def run(args: argparse.Namespace) -> int:
    print(f"Measuring the derivation ceiling (Argon2id m={REPORT_KEY_KDF.memory_kib} KiB, "
          f"t={REPORT_KEY_KDF.iterations}, p={REPORT_KEY_KDF.lanes}) on {os.cpu_count()} cores...", flush=True)
    load_before = os.getloadavg()[0]
    ceiling = derivation_ceiling()
    kdf_cpu = derivation_cpu_ms()
    print(f"Ceiling: {ceiling:.1f} report-key derivations per second ({kdf_cpu:.0f} ms CPU each).", flush=True)
    with fresh_database(args.database_url) as (url, description), running_server(url) as (pid, port):
        print(f"Driving {args.clients} clients at {description} for {args.seconds:g} s per phase...", flush=True)
        saturated = measured(pid, lambda: drive(port, args.clients, args.seconds, rate=None))
        paced = measured(pid, lambda: drive(port, args.clients, args.seconds, rate=TARGET_SHARE * ceiling))
    # Measured again after the load, and the two averaged: on a shared machine the CPU left to us drifts.
    ceiling_before, ceiling_after = ceiling, derivation_ceiling()
    ceiling = (ceiling_before + ceiling_after) / 2
    verdict_throughput = saturated.throughput >= TARGET_SHARE * ceiling
    verdict_latency = percentile(paced.latencies_ms, 0.99) < TARGET_P99_MS
    lines = [
        f"Database: {description}. Report: {NARRATIVE_BYTES} bytes through the web form, production KDF "
        f"(Argon2id m={REPORT_KEY_KDF.memory_kib} KiB, t={REPORT_KEY_KDF.iterations}, p={REPORT_KEY_KDF.lanes}). "
        f"Clients: {args.clients}, {args.seconds:g} s measured per phase after a 3 s warm-up.",
        "",
        f"Ceiling (report-key derivations per second, one process per core, same run, mean of before and after "
        f"the load: {ceiling_before:.1f} and {ceiling_after:.1f}): **{ceiling:.1f}/s**; "
        f"one derivation takes {kdf_cpu:.0f} ms of CPU, so a server spending C ms of CPU per report can reach at "
        f"most {kdf_cpu:.0f}/C of the ceiling.",
        "",
        "| phase | throughput | of ceiling | p50 | p99 | server CPU per report | reports | failed |",
        "|---|---|---|---|---|---|---|---|",
        _row(saturated, ceiling),
        _row(paced, ceiling),
        "",
        f"Throughput at saturation >= {TARGET_SHARE:.0%} of the ceiling: "
        f"**{'met' if verdict_throughput else 'NOT met'}**. p99 under {TARGET_P99_MS:.0f} ms at "
        f"{TARGET_SHARE:.0%} of the ceiling: **{'met' if verdict_latency else 'NOT met'}**. "
        f"Saturated, {args.clients} clients wait {args.clients / max(saturated.throughput, 1e-9) * 1000:.0f} ms on "
        "average by Little's law (clients / throughput), whatever the server does.",
        "",
        f"CPU bound: the server spent {saturated.server_cpu_ms or float('nan'):.0f} ms of CPU per report, "
        f"{kdf_cpu:.0f} ms of it the derivation, so on cores it had to itself it could reach "
        f"{kdf_cpu / (saturated.server_cpu_ms or float('nan')):.0%} of the ceiling. A lower share measured above "
        "means other processes took CPU during the run (the load average before and after is printed).",
        f"Load average (1 min) before the run: {load_before:.2f}; after: {os.getloadavg()[0]:.2f}.",
    ]
    markdown = "\n".join(lines)
    print()
    print(markdown)
    if args.write:
        kind = "postgresql" if args.database_url else "sqlite"
        command = "hotline bench intake" + (" --database-url postgresql://..." if args.database_url else "")
        write_section(BenchSection(part=f"intake-{kind}", title=f"Intake ({description.split(' ')[0]})",
                                   command=command + " --write", markdown=markdown), args.report)
        print(f"\nRecorded in {args.report}.")
    return 0 if verdict_throughput and verdict_latency else 1
