"""Writing benchmark results into docs/BENCHMARKS.md, and describing the machine they ran on."""

from __future__ import annotations

import contextlib
import os
import platform
import re
import shutil
import sqlite3
import statistics
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

DEFAULT_REPORT = Path("docs") / "BENCHMARKS.md"
HEADER = ("# Benchmarks\n\nEvery figure below is written by `hotline bench all --database-url postgresql://... "
          "--write` (one part: `hotline bench PART --write`); none is typed by hand.\n")


@dataclass(frozen=True)
class BenchSection:
    part: str
    title: str
    command: str
    markdown: str


def percentile(samples: list[float], fraction: float) -> float:
    """The nearest-rank percentile (fraction in 0..1) of ``samples``."""
    ordered = sorted(samples)
    if not ordered:
        return float("nan")
    index = max(0, min(len(ordered) - 1, round(fraction * len(ordered) + 0.5) - 1))
    return ordered[index]


def median(samples: list[float]) -> float:
    return statistics.median(samples) if samples else float("nan")


def machine_description() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as handle:
            names = [line.split(":", 1)[1].strip() for line in handle if line.startswith("model name")]
        if names:
            cpu = names[0]
    except OSError:
        pass
    memory = ""
    try:
        with open("/proc/meminfo") as handle:
            kib = int(handle.readline().split()[1])
        memory = f", {kib / 1024 / 1024:.0f} GiB memory"
    except (OSError, ValueError, IndexError):
        pass
    postgres = "not found"
    psql = shutil.which("psql")
    if psql:
        with contextlib.suppress(OSError, subprocess.TimeoutExpired):
            postgres = subprocess.run([psql, "--version"], capture_output=True, text=True, check=False,
                                      timeout=5).stdout.strip() or postgres
    return (f"{cpu}, {os.cpu_count()} logical cores{memory}; {platform.system()} {platform.release()}; "
            f"Python {platform.python_version()}; SQLite {sqlite3.sqlite_version}; {postgres}")


def render_section(section: BenchSection) -> str:
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return (f"<!-- bench:{section.part}:start -->\n## {section.title}\n\n"
            f"Command: `{section.command}`  \nRun: {stamp}  \nMachine: {machine_description()}\n\n"
            f"{section.markdown.strip()}\n<!-- bench:{section.part}:end -->\n")


def write_section(section: BenchSection, path: Path = DEFAULT_REPORT) -> None:
    """Replace this part's section in the report (or append it), leaving every other part as it was."""
    text = path.read_text() if path.exists() else HEADER
    block = render_section(section)
    part = re.escape(section.part)
    pattern = re.compile(rf"<!-- bench:{part}:start -->.*?<!-- bench:{part}:end -->\n", re.DOTALL)
    text = pattern.sub(lambda _: block, text) if pattern.search(text) else text.rstrip("\n") + "\n\n" + block
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
