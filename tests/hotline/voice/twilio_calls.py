"""Replaying calls as Twilio makes them: every webhook signed with the account's auth token, every caller field
filled with real-looking values, and the TwiML answers parsed to find where Twilio would go next."""

from __future__ import annotations

import io
import math
import secrets
import threading
import time
import wave
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import UTC, timedelta
from urllib.parse import urlsplit

import numpy as np
from sqlmodel import func, select
from starlette.testclient import TestClient
from twilio.request_validator import RequestValidator

from hotline.bench.fake_twilio import FakeTwilio
from hotline.settings import Settings
from hotline.worker import job_handlers
from intake.clock import utc_now
from intake.db import Database
from intake.models import Job
from intake.models.job import QUEUED
from intake.operations import jobs

ACCOUNT_SID = "AC" + "5f0c1e2d3b4a59687f6e5d4c3b2a1908"
AUTH_TOKEN = "9c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f"
# Behind a proxy: Twilio signs this URL, while the app sees http://testserver (or 127.0.0.1 on another port). Plain
# HTTP on this machine, because the suite's cheap KDF is refused with any other public address (a deployment's is
# https://..., tested with production cost in hotline bench voice).
PUBLIC_URL = "http://localhost:8443"
SHARED_NUMBER = "+18165550100"
RAYTOWN_NUMBER = "+18165550111"
GRANDVIEW_NUMBER = "+18165550122"

# What Twilio sends about a caller (its "Voice webhooks" reference). None of it may be kept anywhere.
CALLER_FIELDS = {
    "From": "+18165550187", "Caller": "+18165550187", "CallerName": "JORDAN QUINTERO",
    "FromCity": "LONE JACK", "FromState": "MO", "FromZip": "64070", "FromCountry": "US",
    "CallerCity": "LONE JACK", "CallerState": "MO", "CallerZip": "64070", "CallerCountry": "US",
}
CALLER_MARKERS = ("+18165550187", "8165550187", "LONE JACK", "64070", "JORDAN QUINTERO", "Jordan Quintero")


@dataclass
class Twiml:
    status_code: int
    text: str
    root: ET.Element | None = None

    @classmethod
    def of(cls, response) -> Twiml:
        root = None
        if response.status_code == 200 and response.text.startswith("<?xml"):
            root = ET.fromstring(response.text)
        return cls(response.status_code, response.text, root)

    def said(self) -> str:
        assert self.root is not None, self.text
        return " ".join((node.text or "") for node in self.root.iter("Say"))

    def gather(self) -> ET.Element:
        assert self.root is not None, self.text
        found = self.root.find(".//Gather")
        assert found is not None, self.text
        return found

    def record(self) -> ET.Element:
        assert self.root is not None, self.text
        found = self.root.find(".//Record")
        assert found is not None, self.text
        return found

    def hangs_up(self) -> bool:
        return self.root is not None and self.root.find("Hangup") is not None


@dataclass
class TwilioCall:
    """One call: a call SID, the number called and the caller's fields, sent with every webhook."""

    client: TestClient
    to: str
    caller: dict[str, str] = field(default_factory=lambda: dict(CALLER_FIELDS))
    call_sid: str = field(default_factory=lambda: "CA" + secrets.token_hex(16))
    auth_token: str = AUTH_TOKEN

    def params(self, **extra: str) -> dict[str, str]:
        return {"AccountSid": ACCOUNT_SID, "CallSid": self.call_sid, "To": self.to, "Called": self.to,
                "Direction": "inbound", "CallStatus": "in-progress", "ApiVersion": "2010-04-01",
                "CalledCity": "KANSAS CITY", "CalledState": "MO", "CalledZip": "64106", "CalledCountry": "US",
                **self.caller, **extra}

    def post(self, url: str, *, signed: bool = True, signature: str | None = None, **extra: str) -> Twiml:
        """POST to ``url`` (absolute public URL or a path) as Twilio would, signed for the public URL."""
        absolute = url if url.startswith("http") else PUBLIC_URL + url
        parts = urlsplit(absolute)
        params = self.params(**extra)
        headers = {}
        if signed:
            headers["X-Twilio-Signature"] = signature or RequestValidator(self.auth_token).compute_signature(
                absolute, params)
        path = parts.path + ("?" + parts.query if parts.query else "")
        return Twiml.of(self.client.post(path, data=params, headers=headers))

    def start(self) -> Twiml:
        return self.post("/voice/incoming")

    def press(self, twiml: Twiml, digits: str) -> Twiml:
        return self.post(twiml.gather().attrib["action"], Digits=digits)

    def finish_recording(self, twiml: Twiml, recording_sid: str, recording_url: str, seconds: int = 3) -> Twiml:
        return self.post(twiml.record().attrib["action"], RecordingSid=recording_sid, RecordingUrl=recording_url,
                         RecordingDuration=str(seconds), Digits="#")

    def recording_status(self, twiml: Twiml, recording_sid: str, recording_url: str, status: str = "completed",
                         **extra: str) -> Twiml:
        return self.post(twiml.record().attrib["recordingStatusCallback"], RecordingSid=recording_sid,
                         RecordingUrl=recording_url, RecordingStatus=status, RecordingDuration="3",
                         RecordingChannels="1", RecordingSource="RecordVerb", **extra)

    def completed(self, fake: FakeTwilio | None = None) -> Twiml:
        if fake is not None:
            fake.end_call(self.call_sid)
        return self.post("/voice/call-status", CallStatus="completed", CallDuration="95")


def spoken_key(twiml: Twiml) -> str:
    """The report key as read out: twenty digits, one at a time, in groups."""
    said = twiml.said()
    digits = "".join(ch for ch in said.split(":", 1)[-1] if ch.isdigit())
    return digits[:20]


def voiced_wav(seconds: float = 1.0, f0: float = 120.0, rate: int = 8000, seed: int = 0) -> bytes:
    """A vowel-like voiced sound (a glottal pulse train through three formant resonators), as Twilio's 8 kHz
    16-bit mono WAV, with a little seeded noise so every recording is unique."""
    from scipy import signal

    n = int(seconds * rate)
    t = np.arange(n) / rate
    frequency = f0 * (1 + 0.04 * np.sin(2 * math.pi * 1.3 * t))
    phase = np.cumsum(frequency) / rate
    pulses = np.zeros(n)
    pulses[np.nonzero(np.diff(np.floor(phase)) > 0)[0]] = 1.0
    x = signal.lfilter([1.0], [1.0, -0.97], pulses)
    for centre, bandwidth in ((700, 130), (1220, 70), (2600, 160)):
        r = math.exp(-math.pi * bandwidth / rate)
        theta = 2 * math.pi * centre / rate
        x = signal.lfilter([1 - r], [1, -2 * r * math.cos(theta), r * r], x)
    x = 0.5 * x / np.max(np.abs(x)) + 0.002 * np.random.default_rng(seed).standard_normal(n)
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(rate)
        writer.writeframes(np.round(np.clip(x, -1, 1) * 32767).astype("<i2").tobytes())
    return buffer.getvalue()


class TestClock:
    """The worker's clock in tests: it stands still while jobs are due and, when none is, leaps to the moment
    the next one is, so jobs waiting out a backoff run in their real order without anyone sleeping."""

    def __init__(self) -> None:
        self.now = utc_now()

    def __call__(self):
        return self.now

    def leap(self, database: Database) -> bool:
        with database.read() as session:
            due = session.exec(select(func.min(Job.run_after)).where(Job.state == QUEUED)).one()
        if due is None:
            return False
        due = due if due.tzinfo else due.replace(tzinfo=UTC)
        self.now = max(self.now, due) + timedelta(microseconds=1)
        return True


def drain(settings: Settings, database: Database, *, max_runs: int = 100_000, workers: int = 1) -> int:
    """Run the worker's job handlers until no job is left to run, ever; returns how many runs it took.

    With ``workers`` > 1, that many threads take jobs at once, as workers on several instances do (on
    PostgreSQL they claim with SKIP LOCKED); a last single sweep picks up what the others left behind.
    """
    handlers = job_handlers(settings, database)
    clock = TestClock()
    lock = threading.Lock()
    counts = {"runs": 0, "inside": 0}
    done = threading.Event()

    def work() -> None:
        while not done.is_set() and counts["runs"] < max_runs:
            with lock:
                counts["inside"] += 1
            ran = False
            try:
                ran = jobs.run_one(database, handlers, clock=clock)
            finally:
                with lock:
                    counts["inside"] -= 1
                    counts["runs"] += 1 if ran else 0
            if ran:
                continue
            with lock:  # nobody enters run_one while the clock leaps, so no lease ends mid-job
                others_inside = counts["inside"] > 0
                more = others_inside or clock.leap(database)
            if others_inside:
                time.sleep(0.02)
            elif not more:
                done.set()

    threads = [threading.Thread(target=work) for _ in range(workers - 1)]
    for thread in threads:
        thread.start()
    work()
    for thread in threads:
        thread.join()
    done.clear()
    work()
    return counts["runs"]
