"""A local stand-in for the part of Twilio's REST API the recording pipeline uses, for the test suite
and ``hotline bench voice``. The real ``twilio`` client is pointed at it with HOTLINE_TWILIO_API_BASE_URL.

It serves, under ``/2010-04-01/Accounts/{AccountSid}/`` and only with the account's HTTP basic auth:
``GET Recordings/{sid}.wav`` (the audio), ``DELETE Recordings/{sid}.json`` and ``DELETE Calls/{sid}.json``
(204, or 404 once gone; a call still in progress cannot be deleted). It records every request in order, and
``failure_rate`` makes that share of requests fail the ways a network and a busy provider do: a 500 or 503, a
connection dropped without an answer, an answer slower than the client waits (after the deletion was done), a
download cut short, or a 500 sent after the deletion was done.
"""

from __future__ import annotations

import base64
import json
import random
import re
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

FAULTS = ("500", "503", "reset", "slow", "short", "500-after")
_PATH = re.compile(r"^/2010-04-01/Accounts/(?P<account>AC[0-9a-f]{32})/(?P<kind>Recordings|Calls)/"
                   r"(?P<sid>(?:RE|CA)[0-9a-f]{32})\.(?P<ext>wav|json)$")


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        return  # a client that gave up on a slow answer closed its end: expected, not worth a traceback


@dataclass(frozen=True)
class FakeEvent:
    """One request as the fake saw it. ``outcome`` is "ok", "404", "401" or "fault:<kind>"; ``note`` is what
    the ``on_delete_recording`` hook returned when the deletion happened."""

    method: str
    resource: str
    sid: str
    outcome: str
    note: object = None


@dataclass
class FakeTwilio:
    account_sid: str
    auth_token: str
    failure_rate: float = 0.0
    faults: tuple[str, ...] = FAULTS
    slow_seconds: float = 0.3
    seed: int | None = None
    # Called with the recording SID just before a deletion takes effect; its result is kept in the event.
    on_delete_recording: Callable[[str], object] | None = None
    recordings: dict[str, tuple[str, bytes]] = field(default_factory=dict)
    calls: dict[str, str] = field(default_factory=dict)
    deleted_recordings: set[str] = field(default_factory=set)
    deleted_calls: set[str] = field(default_factory=set)
    events: list[FakeEvent] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._deleting = threading.Lock()
        self._random = random.Random(self.seed)
        self._server: ThreadingHTTPServer | None = None

    # --- what a test sets up -------------------------------------------------------------------------------

    def new_call(self) -> str:
        call_sid = "CA" + secrets.token_hex(16)
        with self._lock:
            self.calls[call_sid] = "in-progress"
        return call_sid

    def end_call(self, call_sid: str) -> None:
        with self._lock:
            if call_sid in self.calls:
                self.calls[call_sid] = "completed"

    def add_recording(self, call_sid: str, wav: bytes) -> str:
        recording_sid = "RE" + secrets.token_hex(16)
        with self._lock:
            self.recordings[recording_sid] = (call_sid, wav)
        return recording_sid

    def recording_url(self, recording_sid: str) -> str:
        return f"{self.base_url}/2010-04-01/Accounts/{self.account_sid}/Recordings/{recording_sid}"

    @property
    def base_url(self) -> str:
        assert self._server is not None, "start the fake first"
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def events_for(self, sid: str) -> list[FakeEvent]:
        with self._lock:
            return [event for event in self.events if event.sid == sid]

    @contextmanager
    def running(self) -> Iterator[FakeTwilio]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body go out in two writes: without this, Nagle's algorithm holds the body back until
            # the client's delayed ACK of the headers, tens of milliseconds a request.
            disable_nagle_algorithm = True

            def log_message(self, format: str, *args: object) -> None:
                return

            def do_GET(self) -> None:
                fake._handle(self, "GET")

            def do_DELETE(self) -> None:
                fake._handle(self, "DELETE")

        server = _QuietServer(("127.0.0.1", 0), Handler)
        self._server = server
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            server.shutdown()
            server.server_close()
            thread.join(timeout=5)

    # --- serving -------------------------------------------------------------------------------------------

    def _authorized(self, request: BaseHTTPRequestHandler) -> bool:
        expected = base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
        return request.headers.get("Authorization", "") == f"Basic {expected}"

    def _record(self, event: FakeEvent) -> None:
        with self._lock:
            self.events.append(event)

    def _fault(self) -> str | None:
        with self._lock:
            if self.failure_rate and self._random.random() < self.failure_rate:
                return self._random.choice(self.faults)
        return None

    def _handle(self, request: BaseHTTPRequestHandler, method: str) -> None:
        match = _PATH.match(request.path)
        resource = match["kind"].lower()[:-1] if match else "unknown"
        sid = match["sid"] if match else ""
        if match is None or match["account"] != self.account_sid:
            self._answer(request, 404, {"code": 20404, "message": "The requested resource was not found",
                                        "status": 404})
            self._record(FakeEvent(method, resource, sid, "404"))
            return
        if not self._authorized(request):
            self._answer(request, 401, {"code": 20003, "message": "Authenticate", "status": 401})
            self._record(FakeEvent(method, resource, sid, "401"))
            return
        fault = self._fault()
        if fault in ("500", "503"):
            self._answer(request, int(fault), {"code": 20500, "message": "Internal Server Error",
                                               "status": int(fault)})
            self._record(FakeEvent(method, resource, sid, f"fault:{fault}"))
            return
        if fault == "reset":  # the connection drops before any answer
            request.close_connection = True
            self._record(FakeEvent(method, resource, sid, "fault:reset"))
            return
        if method == "GET" and resource == "recording" and match["ext"] == "wav":
            self._serve_audio(request, sid, fault)
        elif method == "DELETE" and match["ext"] == "json":
            self._delete(request, resource, sid, fault)
        else:
            self._answer(request, 405, {"code": 20004, "message": "Method not allowed", "status": 405})
            self._record(FakeEvent(method, resource, sid, "405"))

    def _serve_audio(self, request: BaseHTTPRequestHandler, sid: str, fault: str | None) -> None:
        with self._lock:
            found = self.recordings.get(sid) if sid not in self.deleted_recordings else None
        if found is None:
            self._answer(request, 404, {"code": 20404, "message": "not found", "status": 404})
            self._record(FakeEvent("GET", "recording", sid, "404"))
            return
        body = found[1]
        if fault == "slow":
            time.sleep(self.slow_seconds)
        request.send_response(200)
        request.send_header("Content-Type", "audio/x-wav")
        request.send_header("Content-Length", str(len(body)))
        request.end_headers()
        if fault == "short":  # the body stops half way and the connection closes
            request.wfile.write(body[: len(body) // 2])
            request.close_connection = True
            self._record(FakeEvent("GET", "recording", sid, "fault:short"))
            return
        request.wfile.write(body)
        self._record(FakeEvent("GET", "recording", sid, "fault:slow" if fault == "slow" else "ok"))

    def _delete(self, request: BaseHTTPRequestHandler, resource: str, sid: str, fault: str | None) -> None:
        note: object = None
        with self._deleting:  # check and delete at once: of two requests racing, one deletes, one gets 404
            with self._lock:
                if resource == "recording":
                    exists = sid in self.recordings and sid not in self.deleted_recordings
                else:
                    exists = sid in self.calls and sid not in self.deleted_calls
                in_progress = resource == "call" and self.calls.get(sid) == "in-progress"
            if exists and not in_progress:
                if resource == "recording" and self.on_delete_recording is not None:
                    note = self.on_delete_recording(sid)
                with self._lock:
                    (self.deleted_recordings if resource == "recording" else self.deleted_calls).add(sid)
        if not exists:
            self._answer(request, 404, {"code": 20404, "message": "not found", "status": 404})
            self._record(FakeEvent("DELETE", resource, sid, "404"))
            return
        if in_progress:
            self._answer(request, 400, {"code": 21220, "message": "Call is in progress", "status": 400})
            self._record(FakeEvent("DELETE", resource, sid, "400"))
            return
        self._record(FakeEvent("DELETE", resource, sid, "ok" if fault not in ("slow", "500-after", "short")
                               else f"fault:{fault}-done", note))
        if fault == "slow":
            time.sleep(self.slow_seconds)
        if fault in ("500-after", "short"):
            self._answer(request, 500, {"code": 20500, "message": "Internal Server Error", "status": 500})
            return
        request.send_response(204)
        request.send_header("Content-Length", "0")
        request.end_headers()

    @staticmethod
    def _answer(request: BaseHTTPRequestHandler, status: int, payload: dict[str, object]) -> None:
        body = json.dumps(payload).encode()
        request.send_response(status)
        request.send_header("Content-Type", "application/json")
        request.send_header("Content-Length", str(len(body)))
        request.end_headers()
        request.wfile.write(body)
