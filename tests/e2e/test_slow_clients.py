"""Slow clients are cut off at the limit while others are served
(docs/design.md#limits-an-attacker-cannot-turn-against-users): 500 connections to the real server each send a
request one byte a second; every one is closed once HOTLINE_REQUEST_HEADER_TIMEOUT_SECONDS has passed, while honest
requests are answered at once throughout. A few more send their headers at once and then the body a byte a second,
and are closed at HOTLINE_REQUEST_BODY_TIMEOUT_SECONDS."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from pathlib import Path

import httpx2 as httpx

from tests.e2e.servers import free_port, running

SLOW_CLIENTS = 500
BODY_CLIENTS = 20
HEADER_LIMIT = 3
BODY_LIMIT = 4
SLACK = 4.0  # seconds beyond the limit for the server to notice and the client to see the close, on a busy machine
REQUEST = b"POST /follow-up HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\n"


async def dribble(port: int, payload: bytes, head: bytes = b"") -> float | None:
    """Connect, send ``head`` at once and then ``payload`` one byte a second; return how long until the server
    closed the connection (None: it never did before the payload ran out)."""
    # Timed from before the connection is made: the server's deadline starts when it accepts the connection, which
    # is after this, however long a loaded client takes to see its 500 connections open.
    started = time.monotonic()
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        if head:
            writer.write(head)
            await writer.drain()
        for byte in payload:
            writer.write(bytes([byte]))
            await writer.drain()
            try:
                data = await asyncio.wait_for(reader.read(1024), timeout=1.0)
            except TimeoutError:
                continue
            if data == b"" or data.startswith(b"HTTP/1.1 4"):
                return time.monotonic() - started
        return None
    except (ConnectionError, OSError):
        return time.monotonic() - started
    finally:
        writer.close()


def honest(base: str, answers: list[float], stop: threading.Event) -> None:
    """Ask for a page every quarter second until ``stop``, timing each answer. It runs in a thread of its own, so
    that what it times is the server, not this test's event loop opening 520 connections at once; its first
    request, before the attack, is the server's first render of the page (the templates compile then) and is not
    counted."""
    with httpx.Client(base_url=base, timeout=10) as client:
        assert client.get("/follow-up").status_code == 200
        while not stop.is_set():
            started = time.monotonic()
            response = client.get("/follow-up")
            assert response.status_code == 200
            answers.append(time.monotonic() - started)
            stop.wait(0.25)


async def attack(port: int) -> tuple[list[float | None], list[float | None], list[float]]:
    answers: list[float] = []
    stop = threading.Event()
    served = threading.Thread(target=honest, args=(f"http://127.0.0.1:{port}", answers, stop))
    served.start()
    try:
        slow = [dribble(port, REQUEST + b"X-Padding: " + b"a" * 40) for _ in range(SLOW_CLIENTS)]
        body = [dribble(port, b"report_key=" + b"1" * 40, head=REQUEST + b"Content-Length: 60\r\n\r\n")
                for _ in range(BODY_CLIENTS)]
        results = await asyncio.gather(*slow, *body)
    finally:
        stop.set()
        served.join()
    return results[:SLOW_CLIENTS], results[SLOW_CLIENTS:], answers


def _server_env(tmp_path: Path) -> dict[str, str]:
    env = {"HOTLINE_DATABASE_URL": f"sqlite:///{tmp_path / 'hotline.sqlite3'}", "HOTLINE_PEPPER": "p" * 40,
           "HOTLINE_SESSION_KEY": "s" * 40, "HOTLINE_INSECURE_TEST_KDF": "1",
           "HOTLINE_REQUEST_HEADER_TIMEOUT_SECONDS": str(HEADER_LIMIT),
           "HOTLINE_REQUEST_BODY_TIMEOUT_SECONDS": str(BODY_LIMIT)}
    from intake.db import Database
    from intake.operations.migrate import upgrade

    database = Database(env["HOTLINE_DATABASE_URL"])
    upgrade(database)
    database.dispose()
    return env


def test_slow_clients_are_cut_off_while_others_are_served(tmp_path: Path) -> None:
    port = free_port()
    with running(["serve", "--port", str(port)], _server_env(tmp_path), port, tmp_path / "server.log"):
        slow, body, answers = asyncio.run(attack(port))
    assert all(cut is not None for cut in slow), f"{sum(cut is None for cut in slow)} slow clients were never cut"
    assert max(slow) <= HEADER_LIMIT + SLACK and min(slow) >= HEADER_LIMIT - 0.05, (min(slow), max(slow))
    assert all(cut is not None and BODY_LIMIT - 0.05 <= cut <= BODY_LIMIT + SLACK for cut in body), body
    assert len(answers) >= 8 and max(answers) < 2.0, answers  # served throughout, promptly


def _exchange(port: int, *requests: bytes) -> bytes:
    """Send ``requests`` in one write on one connection; everything the server answers until it closes (a server
    that closes while the client is still sending resets the connection, and the answer may be lost with it)."""
    answer = b""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        try:
            connection.sendall(b"".join(requests))  # the last request asks the server to close
            while chunk := connection.recv(65536):
                answer += chunk
        except (ConnectionResetError, BrokenPipeError):
            pass
    return answer


def _get(path: str, header_bytes: int = 0, *, close: bool = False) -> bytes:
    padding = b"X-Padding: " + b"a" * header_bytes + b"\r\n" if header_bytes else b""
    return (f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n".encode() + padding
            + (b"Connection: close\r\n" if close else b"") + b"\r\n")


def test_a_request_head_is_bounded_and_bodies_and_kept_alive_requests_are_not(tmp_path: Path) -> None:
    """uvicorn's httptools protocol keeps a request's head however large; hotline.slow_clients answers one over
    16 KiB with 400 and closes, while a head just under it, a body of any size sent with its head in one write,
    and several requests on one kept-alive connection are all served."""
    port = free_port()
    with running(["serve", "--port", str(port)], _server_env(tmp_path), port, tmp_path / "server.log"):
        refused = _exchange(port, _get("/follow-up", 17 * 1024))
        assert refused.startswith(b"HTTP/1.1 400"), refused[:200]
        # A single header of 4 MiB: refused after its first 16 KiB, so the server closes while it is still being
        # sent, and the client may see the reset before the 400.
        one_header = _exchange(port, _get("/follow-up", 4 * 1024 * 1024))
        assert one_header.startswith(b"HTTP/1.1 400") or one_header == b"", one_header[:200]
        long_url = _exchange(port, _get("/follow-up?" + "a" * (20 * 1024)))
        assert long_url.startswith(b"HTTP/1.1 400"), long_url[:200]

        under = _exchange(port, _get("/follow-up", 15 * 1024, close=True))
        assert under.startswith(b"HTTP/1.1 200"), under[:200]
        body = b"report_key=" + b"1" * (200 * 1024)  # far over the head's bound, in the same write as the head
        posted = _exchange(port, b"POST /follow-up HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                                 b"Content-Type: application/x-www-form-urlencoded\r\n"
                                 + f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
        assert posted.startswith(b"HTTP/1.1 ") and not posted.startswith(b"HTTP/1.1 400"), posted[:200]
        # Five requests, each with a head of 8 KiB, in one write: 40 KiB of heads, none over the bound.
        kept = _exchange(port, *[_get("/follow-up", 8 * 1024) for _ in range(4)], _get("/follow-up", 8 * 1024,
                                                                                      close=True))
        assert kept.count(b"HTTP/1.1 200") == 5, kept.count(b"HTTP/1.1 ")
