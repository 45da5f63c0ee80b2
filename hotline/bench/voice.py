"""``hotline bench voice``: latency of each TwiML webhook under concurrent calls, and the recording pipeline's
throughput (target: p99 under 20 ms per webhook with 20 calls at once).

The app runs as ``hotline serve`` in its own process on 127.0.0.1, with production KDF costs, on a fresh SQLite
file (or the database given), with a local stand-in for Twilio's REST API (hotline.bench.fake_twilio). Each of
``--callers`` threads places ``--rounds`` calls as Twilio would (signed webhooks, caller fields filled), pausing
about ``--think`` seconds between webhooks as a caller listening to a prompt does: a new report with a recording
of ``--seconds`` of synthetic voice, then a follow-up call with the key it was given. Then the worker stores
every recording (disguised, sealed, committed, deleted at the fake) and the time that takes is the throughput.
"""

from __future__ import annotations

import argparse
import math
import os
import random
import secrets
import socket
import subprocess
import sys
import tempfile
import threading
import time
import xml.etree.ElementTree as ET
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import IO
from urllib.parse import urlsplit

import numpy as np
import requests
from sqlmodel import col, func, select
from twilio.request_validator import RequestValidator

from hotline.bench.databases import add_common_arguments, bench_database
from hotline.bench.fake_twilio import FakeTwilio
from hotline.bench.report import BenchSection, median, percentile, write_section
from hotline.settings import Settings
from hotline.voice import pipeline
from hotline.worker import job_handlers
from intake.cities import create_city
from intake.db import Database
from intake.models import Job
from intake.models.job import DONE
from intake.operations.jobs import run_worker
from intake.operations.migrate import upgrade
from intake.phone.audio import Audio, encode_wav
from intake.phone.lines import add_number

ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
AUTH_TOKEN = "b" * 32
NUMBERS = {"raytown": "+18165550111", "grandview": "+18165550122"}
CALLER = {"FromCity": "LONE JACK", "FromState": "MO", "FromZip": "64070", "FromCountry": "US",
          "CallerName": "BENCH CALLER"}


def register(parts: argparse._SubParsersAction) -> None:
    parser = parts.add_parser("voice", help="Phone webhook latency and recording throughput.",
                              description="Latency of each TwiML webhook under concurrent calls and the recording "
                                          "pipeline's throughput, against a local stand-in for Twilio.")
    parser.add_argument("--callers", type=int, default=20, help="Calls in progress at once (default 20).")
    parser.add_argument("--rounds", type=int, default=3, help="Reports each caller makes, each followed by a "
                                                               "follow-up call (default 3).")
    parser.add_argument("--think", type=float, default=1.0,
                        help="Seconds a caller spends between two webhooks, listening or keying (default 1; a "
                             "real prompt takes 5 to 30).")
    parser.add_argument("--seconds", type=float, default=10.0, help="Length of each recording (default 10).")
    parser.add_argument("--workers", type=int, default=1, help="Worker threads storing recordings (default 1).")
    add_common_arguments(parser)
    parser.set_defaults(run=run)


def synthetic_voice(seconds: float, f0: float, seed: int) -> bytes:
    """A voiced vowel (a pulse train through formant resonators) as Twilio's 8 kHz 16-bit mono WAV."""
    from scipy import signal

    rate = 8000
    n = int(seconds * rate)
    t = np.arange(n) / rate
    phase = np.cumsum(f0 * (1 + 0.05 * np.sin(2 * math.pi * 1.5 * t))) / rate
    pulses = np.zeros(n)
    pulses[np.nonzero(np.diff(np.floor(phase)) > 0)[0]] = 1.0
    x = signal.lfilter([1.0], [1.0, -0.97], pulses)
    for centre, bandwidth in ((700, 130), (1220, 70), (2600, 160)):
        r = math.exp(-math.pi * bandwidth / rate)
        x = signal.lfilter([1 - r], [1, -2 * r * math.cos(2 * math.pi * centre / rate), r * r], x)
    x = 0.5 * x / max(float(np.max(np.abs(x))), 1e-9) + 0.002 * np.random.default_rng(seed).standard_normal(n)
    return encode_wav(Audio(samples=x, sample_rate=rate))


class Caller:
    """One simulated call: signed webhooks over HTTP, timed per step."""

    def __init__(self, base: str, public: str, to: str, fake: FakeTwilio, timings: dict[str, list[float]],
                 lock: threading.Lock, caller_number: str, think: float) -> None:
        self.http = requests.Session()
        self.think = think
        # Each simulated caller has a number of their own: key checks are counted per number, as on the web.
        self.caller = {"From": caller_number, "Caller": caller_number, **CALLER}
        self.base, self.public, self.to, self.fake = base, public, to, fake
        self.call_sid = fake.new_call()
        self.timings, self.lock = timings, lock
        self.validator = RequestValidator(AUTH_TOKEN)

    def post(self, step: str, url: str, **extra: str) -> ET.Element:
        time.sleep(self.think * (0.5 + random.random()))
        absolute = url if url.startswith("http") else self.public + url
        params = {"AccountSid": ACCOUNT_SID, "CallSid": self.call_sid, "To": self.to, "Direction": "inbound",
                  "CallStatus": "in-progress", **self.caller, **extra}
        headers = {"X-Twilio-Signature": self.validator.compute_signature(absolute, params)}
        parts = urlsplit(absolute)
        target = self.base + parts.path + ("?" + parts.query if parts.query else "")
        started = time.perf_counter()
        response = self.http.post(target, data=params, headers=headers, timeout=60)
        elapsed = (time.perf_counter() - started) * 1000
        if response.status_code != 200:
            raise RuntimeError(f"{step} answered {response.status_code}")
        with self.lock:
            self.timings[step].append(elapsed)
        return ET.fromstring(response.content)  # noqa: S314 (TwiML from our own app on 127.0.0.1)

    @staticmethod
    def action(root: ET.Element, tag: str = "Gather", attribute: str = "action") -> str:
        node = root.find(f".//{tag}")
        assert node is not None
        return node.attrib[attribute]

    def new_report(self, wav: bytes) -> str:
        root = self.post("incoming", "/voice/incoming")
        root = self.post("language", self.action(root), Digits="1")
        root = self.post("menu", self.action(root), Digits="1")
        record = self.post("category", self.action(root), Digits="4")
        recording_sid = self.fake.add_recording(self.call_sid, wav)
        url = self.fake.recording_url(recording_sid)
        root = self.post("recorded (opens the case)", self.action(record, "Record"), RecordingSid=recording_sid,
                         RecordingUrl=url, RecordingDuration="10", Digits="#")
        said = " ".join(node.text or "" for node in root.iter("Say"))
        key = "".join(ch for ch in said.split("Here is your key.", 1)[1] if ch.isdigit())[:20]
        self.post("key", self.action(root), Digits="9")
        self.post("recording-status", self.action(record, "Record", "recordingStatusCallback"),
                  RecordingSid=recording_sid, RecordingUrl=url, RecordingStatus="completed")
        self.fake.end_call(self.call_sid)
        self.post("call-status", "/voice/call-status", CallStatus="completed")
        return key

    def follow_up(self, key: str) -> None:
        root = self.post("incoming", "/voice/incoming")
        root = self.post("language", self.action(root), Digits="1")
        root = self.post("menu", self.action(root), Digits="2")
        root = self.post("follow-up (checks the key)", self.action(root), Digits=key)
        self.post("follow-up choice", self.action(root), Digits="9")
        self.fake.end_call(self.call_sid)
        self.post("call-status", "/voice/call-status", CallStatus="completed")


def _serve(settings: Settings, port: int, log_file: IO[bytes]) -> subprocess.Popen[bytes]:
    env = {**os.environ, "HOTLINE_DATABASE_URL": settings.database_url, "HOTLINE_PEPPER": settings.pepper.decode(),
           "HOTLINE_SESSION_KEY": settings.session_key.decode(), "HOTLINE_PUBLIC_URL": settings.public_url,
           "HOTLINE_TWILIO_ACCOUNT_SID": settings.twilio_account_sid,
           "HOTLINE_TWILIO_AUTH_TOKEN": settings.twilio_auth_token.decode(),
           "HOTLINE_TWILIO_API_BASE_URL": settings.twilio_api_base_url, "HOTLINE_LOG_LEVEL": "info"}
    # Its access log (hotline.middleware.access_log) gives each request's time inside the app.
    server = subprocess.Popen([sys.executable, "-m", "hotline", "serve", "--port", str(port)], env=env,
                              stdout=subprocess.DEVNULL, stderr=log_file)
    deadline = time.monotonic() + 60
    while True:
        try:
            requests.get(f"http://127.0.0.1:{port}/", timeout=1)
            return server
        except requests.ConnectionError:
            if server.poll() is not None or time.monotonic() > deadline:
                server.kill()
                raise RuntimeError("the hotline server did not start") from None
            time.sleep(0.2)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _pending(database: Database) -> int:
    with database.read() as session:
        return int(session.exec(select(func.count()).select_from(Job).where(
            col(Job.kind).in_([pipeline.STORE_RECORDING, pipeline.DELETE_RECORDING]),
            col(Job.state) != DONE)).one())


def measure(args: argparse.Namespace, log: Callable[[str], None] = print) -> BenchSection:
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="hotline-bench-voice-") as directory, \
            bench_database(args.database_url) as (url, _kind):
        database = Database(url, pool_size=max(10, args.callers))
        upgrade(database)
        for slug in NUMBERS:
            create_city(database, slug, slug.title())
            add_number(database, slug, NUMBERS[slug])
        fake = FakeTwilio(ACCOUNT_SID, AUTH_TOKEN)
        with fake.running():
            port = _free_port()
            public = "https://hotline.example.org"
            settings = Settings(database_url=url, pepper=secrets.token_hex(32).encode(),
                                session_key=secrets.token_hex(32).encode(), public_url=public,
                                twilio_account_sid=ACCOUNT_SID, twilio_auth_token=AUTH_TOKEN.encode(),
                                twilio_api_base_url=fake.base_url)
            # The server runs in its own process, as deployed, so the callers' threads here do not share its
            # interpreter lock.
            server_log = Path(directory) / "server.log"
            with open(server_log, "wb") as log_file:
                server = _serve(settings, port, log_file)
                try:
                    timings = _drive_calls(args, f"http://127.0.0.1:{port}", public, fake, log)
                finally:
                    server.terminate()
                    server.wait(timeout=30)
            recordings = args.callers * args.rounds
            log(f"storing {recordings} recordings of {args.seconds:g} s with {args.workers} worker(s)...")
            stop = threading.Event()
            started = time.perf_counter()
            workers = [threading.Thread(target=run_worker, args=(database, job_handlers(settings, database), stop),
                                        kwargs={"idle_seconds": 0.02}) for _ in range(args.workers)]
            for worker in workers:
                worker.start()
            while _pending(database):
                time.sleep(0.1)
            elapsed = time.perf_counter() - started
            stop.set()
            for worker in workers:
                worker.join()
        database.dispose()
    return _section(args, timings, recordings, elapsed, database.dialect, load)


def _drive_calls(args: argparse.Namespace, base: str, public: str, fake: FakeTwilio,
                 log: Callable[[str], None]) -> dict[str, list[float]]:
    timings: dict[str, list[float]] = defaultdict(list)
    lock = threading.Lock()
    audio = [synthetic_voice(args.seconds, f0, seed) for seed, f0 in enumerate((105.0, 135.0, 190.0, 225.0))]
    errors: list[BaseException] = []

    def caller(index: int) -> None:
        try:
            for round_ in range(args.rounds):
                number = NUMBERS["raytown" if (index + round_) % 2 else "grandview"]
                own = f"+1913555{index:04d}"
                key = Caller(base, public, number, fake, timings, lock, own, args.think).new_report(
                    audio[(index + round_) % 4])
                Caller(base, public, number, fake, timings, lock, own, args.think).follow_up(key)
        except BaseException as error:  # reported after the others finish
            errors.append(error)

    log(f"{args.callers} callers placing {args.rounds} reports and {args.rounds} follow-ups each...")
    threads = [threading.Thread(target=caller, args=(i,)) for i in range(args.callers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return timings


# The step names of the calls, and the handler names the access log gives them.
def _section(args: argparse.Namespace, timings: dict[str, list[float]], recordings: int, elapsed: float,
             dialect: str, load: float) -> BenchSection:
    rows = ["| webhook | requests | p50 ms | p99 ms |", "|---|---:|---:|---:|"]
    for step, samples in timings.items():
        rows.append(f"| {step} | {len(samples)} | {median(samples):.1f} | {percentile(samples, 0.99):.1f} |")
    audio_seconds = recordings * args.seconds
    markdown = "\n".join([
        f"{args.callers} calls at once on {dialect} (each caller waits about {args.think:g} s between webhooks, as "
        "if listening), production Argon2id costs, against a local stand-in for "
        "Twilio's REST API. Latency is measured over HTTP by the calling side on 127.0.0.1, whose threads share the "
        "machine with the server (the server logs no phone request: a line's time would date a call). "
        f"The machine's load average when the run started: {load:.1f} (other work on the same cores slows every "
        "figure).",
        "",
        *rows,
        "",
        "\"recorded\" opens the case and \"follow-up\" checks a key: each derives Argon2id (m=19 MiB, t=2) by "
        "design (docs/design.md#report-keys), which sets their latency.",
        "",
        f"Recording pipeline, {args.workers} worker(s): {recordings} recordings of {args.seconds:g} s fetched, "
        f"voice-disguised, sealed, committed and deleted at Twilio in {elapsed:.1f} s: "
        f"{recordings / elapsed * 60:.0f} recordings a minute, {audio_seconds / elapsed:.0f} seconds of audio "
        "per second.",
    ])
    command = (f"hotline bench voice --callers {args.callers} --rounds {args.rounds} --think {args.think:g} "
               f"--seconds {args.seconds:g} --workers {args.workers}")
    kind = "SQLite" if dialect == "sqlite" else "PostgreSQL"
    command += " --database-url URL --write" if dialect != "sqlite" else " --write"
    return BenchSection(part=f"voice-{kind.lower()}", title=f"Phone: webhook latency and recording throughput ({kind})",
                        command=command,
                        markdown=markdown)


def run(args: argparse.Namespace) -> int:
    section = measure(args)
    print(section.markdown)
    if args.write:
        write_section(section, args.report)
        print(f"Recorded in {args.report}.")
    return 0
