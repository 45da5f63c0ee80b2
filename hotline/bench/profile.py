"""Where the time goes: a sampling profile of a benchmark's process, summarised as its top entries.

The benchmarks print the profile's top entries beside their figures, so the next change starts from data rather
than a guess. The profile is taken by py-spy (``pip install py-spy``), which samples a process from outside by
reading its memory (it needs ptrace permission: root, or ``kernel.yama.ptrace_scope`` 0 for a process of one's
own), so it profiles a served process as it runs, with nothing added to the server. It is taken in a phase of its
own, never during a timed one: py-spy pauses the process for a moment at each sample.

Without py-spy an in-process benchmark falls back to the standard library's cProfile (which slows every Python
call, so its shares lean towards code that makes many small calls); a served process is then not profiled, and
the report says so.
"""

from __future__ import annotations

import contextlib
import cProfile
import os
import pstats
import shutil
import signal
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

SAMPLE_RATE = 250  # samples per second: enough for a few thousand samples in a phase of ten seconds
TOP = 12
_ROOT = str(Path(__file__).resolve().parents[2])
# Leaf frames of a thread that waits rather than works (a pool thread waiting for work, the event loop waiting for
# input, a join): py-spy can count a thread blocked on a lock as active, so these are left out of the shares.
_IDLE_LEAVES = ("threading.py:Condition.wait", "threading.py:Event.wait", "threading.py:Thread.join",
                "threading.py:Thread._wait_for_tstate_lock", "selectors.py:EpollSelector.select",
                "selectors.py:PollSelector.select", "selectors.py:SelectSelector.select", "queue.py:Queue.get",
                "concurrent/futures/thread.py:_worker", "thread.py:_worker")


@dataclass(frozen=True)
class Entry:
    function: str
    self_share: float  # of samples where this function was running itself
    total_share: float  # of samples where it was on the stack


@dataclass
class Profile:
    tool: str
    samples: int = 0
    idle_samples: int = 0  # left out: threads waiting for work
    entries: list[Entry] = field(default_factory=list)
    problem: str | None = None  # why no profile was taken

    def markdown(self, what: str, top: int = TOP) -> str:
        """A table of the top entries by own time, with their inclusive share beside it."""
        if self.problem:
            return f"Profile of {what}: not taken ({self.problem})."
        idle = (f"; {self.idle_samples:,} more samples of threads waiting for work are left out"
                if self.idle_samples else "")
        lines = [f"Profile of {what} ({self.tool}, {self.samples:,} samples{idle}): the top {top} functions by own "
                 "time (\"self\": the function itself was running, as a share of the samples; \"total\": it was "
                 "on the stack).", "",
                 "| function | self | total |", "|---|---:|---:|"]
        lines += [f"| `{entry.function}` | {entry.self_share:.1%} | {entry.total_share:.1%} |"
                  for entry in self.entries[:top]]
        return "\n".join(lines)


def py_spy() -> str | None:
    """The py-spy executable beside this Python (a virtualenv's bin) or on PATH."""
    beside = Path(sys.executable).parent / "py-spy"
    return str(beside) if beside.exists() else shutil.which("py-spy")


def _short(frame: str) -> str:
    """``function (path:line)`` with the path cut to the package: ``intake/audit/chain.py:verify_entries``."""
    function, _, where = frame.rpartition(" (")
    path = where.rstrip(")").rsplit(":", 1)[0]
    for marker in ("/site-packages/", _ROOT + "/", "/lib/python3"):
        if marker in path:
            path = path.split(marker, 1)[1]
            if marker == "/lib/python3":
                path = "stdlib " + path.split("/", 1)[-1]
            break
    return f"{path}:{function or frame}"


def summarise_collapsed(text: str, tool: str = "py-spy") -> Profile:
    """Top entries of py-spy's raw (collapsed stack) output: one ``frame;frame;... count`` line per stack."""
    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    samples = idle = 0
    for line in text.splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [_short(frame) for frame in stack.split(";") if frame]
        if not frames:
            continue
        if frames[-1].endswith(_IDLE_LEAVES):
            idle += count
            continue
        samples += count
        own[frames[-1]] += count
        for frame in set(frames):
            inclusive[frame] += count
    entries = [Entry(name, count / samples, inclusive[name] / samples) for name, count in own.most_common()]
    return Profile(tool=tool, samples=samples, idle_samples=idle, entries=entries,
                   problem=None if samples else "no samples")


@contextlib.contextmanager
def sampled(pid: int, *extra: str) -> Iterator[Profile]:
    """Sample process ``pid`` with py-spy for the duration of the block; the profile is filled in on exit."""
    profile = Profile(tool=f"py-spy at {SAMPLE_RATE} Hz")
    executable = py_spy()
    if executable is None:
        profile.problem = "py-spy is not installed: `pip install py-spy`"
        yield profile
        return
    with tempfile.TemporaryDirectory(prefix="hotline-profile-") as directory:
        output = Path(directory) / "profile.txt"
        process = subprocess.Popen([executable, "record", "--pid", str(pid), "--rate", str(SAMPLE_RATE), *extra,
                                    "--format", "raw", "--function", "--output", str(output)],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            yield profile
        finally:
            # py-spy writes its output when interrupted, as after Ctrl-C.
            if process.poll() is None:
                process.send_signal(signal.SIGINT)
            try:
                _, errors = process.communicate(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                _, errors = process.communicate()
            if output.exists():
                filled = summarise_collapsed(output.read_text(), profile.tool)
                profile.samples, profile.idle_samples = filled.samples, filled.idle_samples
                profile.entries, profile.problem = filled.entries, filled.problem
            else:
                message = (errors or b"").decode(errors="replace").strip().splitlines()
                profile.problem = "py-spy failed: " + (message[-1] if message else f"exit {process.returncode}")


@contextlib.contextmanager
def this_process(*extra: str) -> Iterator[Profile]:
    """Profile the block in this process: py-spy from outside where it is installed (``extra``: more of its
    options, such as ``--subprocesses``), else cProfile."""
    if py_spy() is not None:
        with sampled(os.getpid(), *extra) as profile:
            yield profile  # if py-spy could not attach, the profile says why
        return
    profile = Profile(tool="cProfile (py-spy not installed; cProfile slows each Python call)")
    profiler = cProfile.Profile()
    profiler.enable()
    try:
        yield profile
    finally:
        profiler.disable()
        stats = pstats.Stats(profiler)
        table = stats.stats  # type: ignore[attr-defined]
        total = sum(own for _, _, own, _, _ in table.values()) or 1.0
        rows = sorted(table.items(), key=lambda item: -item[1][2])
        profile.samples = sum(calls for _, calls, _, _, _ in table.values())
        profile.tool += ", counted in calls"
        profile.entries = [Entry(_short(f"{name} ({path}:{line})"), own / total, cumulative / total)
                           for (path, line, name), (_, _, own, cumulative, _) in rows]
