"""Running the real ``hotline`` command as a subprocess, for tests that need a real server and real logs."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import httpx2 as httpx


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def hotline_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "hotline", *args]


def run_hotline(*args: str, env: Mapping[str, str], stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(hotline_command(*args), env={**os.environ, **env}, input=stdin, capture_output=True,
                          text=True, timeout=120, check=False)


@contextmanager
def running(args: list[str], env: Mapping[str, str], port: int, log_path: Path,
            cwd: Path | None = None) -> Iterator[subprocess.Popen[str]]:
    """Start ``hotline <args>`` (in ``cwd``), wait until it answers on ``port``, and stop it afterwards."""
    with open(log_path, "w") as log:
        process = subprocess.Popen(hotline_command(*args), env={**os.environ, **env}, stdout=log,
                                   stderr=subprocess.STDOUT, text=True, start_new_session=True, cwd=cwd)
        try:
            deadline = time.monotonic() + 60
            while True:
                if process.poll() is not None:
                    raise RuntimeError(f"hotline exited early:\n{log_path.read_text()}")
                try:
                    httpx.get(f"http://127.0.0.1:{port}/", timeout=1)
                    break
                except httpx.TransportError:
                    if time.monotonic() > deadline:
                        raise RuntimeError(f"hotline did not start:\n{log_path.read_text()}") from None
                    time.sleep(0.2)
            yield process
        finally:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
