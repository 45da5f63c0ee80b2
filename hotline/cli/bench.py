"""``hotline bench PART``: run a benchmark and print it; ``--write`` also records it in docs/BENCHMARKS.md."""

from __future__ import annotations

import argparse
import importlib

from hotline.bench import PARTS, POSTGRESQL_ONLY, STANDALONE

# "all" (hotline.bench.everything) runs every other part, on both databases (STANDALONE ones once).
BENCH_MODULES: dict[str, str] = {**{name: name for name in (*PARTS, *POSTGRESQL_ONLY, *STANDALONE)},
                                 "all": "everything"}


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("bench", help="Run benchmarks (see docs/BENCHMARKS.md).",
                                 description="Run a benchmark. --write records the result in docs/BENCHMARKS.md.")
    parts = parser.add_subparsers(dest="bench_part", required=True, metavar="PART")
    for module_name in BENCH_MODULES.values():
        importlib.import_module(f"hotline.bench.{module_name}").register(parts)
