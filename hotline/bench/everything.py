"""``hotline bench all``: every part, on SQLite and (with ``--database-url``) on PostgreSQL, into one report.

One command writes docs/BENCHMARKS.md whole: each part runs with its defaults (or, with
``--quick``, with sizes small enough for the test suite to prove the command works), once per database (the
region only on PostgreSQL), and records its own section. A part that misses its target still records its figures
and the run goes on.
"""

from __future__ import annotations

import argparse
import importlib
import time

from hotline.bench import PARTS, POSTGRESQL_ONLY, STANDALONE
from hotline.bench.databases import POSTGRESQL, SQLITE, add_common_arguments

# Sizes for --quick: every code path of every part, in seconds rather than half an hour.
QUICK: dict[str, list[str]] = {
    "intake": ["--clients", "2", "--seconds", "1", "--slices", "2", "--runs", "1", "--profile-seconds", "1"],
    "inbox": ["--cases", "300", "--rounds", "1"],
    "voice": ["--callers", "2", "--rounds", "1", "--think", "0", "--seconds", "1"],
    "exit": ["--responses", "40", "--repeat", "1"],
    "audit": ["--entries", "300", "--repeat", "1"],
    "rotation": ["--cases", "40", "--runs", "1"],
    "transcribe": ["--sentences", "1"],
    "region": ["--cities", "3", "--cases", "300", "--clients", "2", "--seconds", "1", "--runs", "1", "--rounds", "1",
               "--jobs", "50"],
}


def register(parts: argparse._SubParsersAction) -> None:
    parser = parts.add_parser("all", help="Every benchmark, on SQLite and PostgreSQL, into docs/BENCHMARKS.md.",
                              description="Run every part with its defaults, on a new SQLite file and, with "
                                          "--database-url, on PostgreSQL, and (with --write) record each.")
    parser.add_argument("--only", nargs="+", choices=(*PARTS, *POSTGRESQL_ONLY, *STANDALONE), metavar="PART",
                        help=f"Run only these parts (of {', '.join((*PARTS, *POSTGRESQL_ONLY, *STANDALONE))}).")
    parser.add_argument("--quick", action="store_true",
                        help="Tiny sizes that check every part runs (figures from it mean nothing).")
    add_common_arguments(parser)
    parser.set_defaults(run=run)


def _parts_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="hotline bench")
    parts = parser.add_subparsers(dest="bench_part", required=True)
    for name in (*PARTS, *POSTGRESQL_ONLY, *STANDALONE):
        importlib.import_module(f"hotline.bench.{name}").register(parts)
    return parser


def run(args: argparse.Namespace) -> int:
    parser = _parts_parser()
    databases = [(SQLITE, None)] + ([(POSTGRESQL, args.database_url)] if args.database_url else [])
    summary = []
    for name in args.only or (*PARTS, *POSTGRESQL_ONLY, *STANDALONE):
        where = databases[:1] if name in STANDALONE else databases[1:] if name in POSTGRESQL_ONLY else databases
        for kind, url in where:
            argv = [name, *(QUICK[name] if args.quick else []), "--report", str(args.report)]
            argv += ["--database-url", url] if url and name not in STANDALONE else []
            argv += ["--write"] if args.write else []
            print(f"\n=== hotline bench {name} on {kind}", flush=True)
            started = time.perf_counter()
            part_args = parser.parse_args(argv)
            status = part_args.run(part_args)
            summary.append(f"{name} on {kind}: {'target met' if status == 0 else 'target missed (see its section)'} "
                           f"({time.perf_counter() - started:.0f} s)")
    print("\n" + "\n".join(summary))
    if not args.database_url:
        print("PostgreSQL was not measured: give --database-url postgresql://... for the other half (and for "
              f"{', '.join(POSTGRESQL_ONLY)}, which runs on PostgreSQL only).")
    return 0
