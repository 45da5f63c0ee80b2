"""``hotline bench PART``: run a benchmark and print it; ``--write`` also records it in docs/BENCHMARKS.md."""

from __future__ import annotations

import argparse

BENCH_PARTS: tuple[str, ...] = ("intake", "inbox", "rotation", "voice", "exit")  # modules under hotline.bench


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("bench", help="Run benchmarks (see docs/BENCHMARKS.md).",
                                 description="Run a benchmark. --write records the result in docs/BENCHMARKS.md.")
    parts = parser.add_subparsers(dest="bench_part", required=True, metavar="PART")
    for name in BENCH_PARTS:
        module = __import__(f"hotline.bench.{name}", fromlist=["register"])
        module.register(parts)
