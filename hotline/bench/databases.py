"""The throwaway database a benchmark runs in: a new SQLite file, or a new schema in a PostgreSQL database.

Every part of ``hotline bench`` takes ``--database-url`` the same way: the URL of a PostgreSQL database in which a
schema of its own is made for the run and dropped afterwards, so a benchmark never touches live tables and two
runs never meet. Without it, a new SQLite file in a temporary directory, removed afterwards.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy

from hotline.bench.report import DEFAULT_REPORT
from intake.db import Database, normalize_url

SQLITE = "SQLite"
POSTGRESQL = "PostgreSQL"


@contextmanager
def bench_database(postgres_url: str | None, prefix: str = "hotline-bench-") -> Iterator[tuple[str, str]]:
    """(url, kind) of an empty database for one run; kind is "SQLite" or "PostgreSQL"."""
    if not postgres_url:
        directory = tempfile.mkdtemp(prefix=prefix)
        try:
            yield f"sqlite:///{Path(directory) / 'bench.sqlite3'}", SQLITE
        finally:
            shutil.rmtree(directory, ignore_errors=True)
        return
    base = normalize_url(postgres_url)
    if not base.startswith("postgresql"):
        raise SystemExit(f"--database-url must be a PostgreSQL URL (postgresql://...), not {base.split(':')[0]}")
    schema = "bench_" + uuid.uuid4().hex[:12]
    admin = sqlalchemy.create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f"CREATE SCHEMA {schema}")
    try:
        yield f"{base}{'&' if '?' in base else '?'}options=-csearch_path%3D{schema}", POSTGRESQL
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
        admin.dispose()


def add_common_arguments(parser: argparse.ArgumentParser) -> None:
    """The options every part shares: where to run, and whether and where to record the result."""
    parser.add_argument("--database-url", metavar="URL",
                        help="A PostgreSQL database to run in (a new schema is made in it and dropped afterwards); "
                             "without it, a new SQLite file.")
    parser.add_argument("--write", action="store_true", help="Record the result in the report (docs/BENCHMARKS.md).")
    parser.add_argument("--report", type=Path, default=DEFAULT_REPORT, metavar="PATH",
                        help=f"The report --write records into (default {DEFAULT_REPORT}).")


def analyze(database: Database) -> None:
    """Planner statistics for the bulk-inserted tables, as a live database's autovacuum would have them."""
    with database.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        if database.is_sqlite:
            connection.exec_driver_sql("ANALYZE")
            return
        # Only this run's schema: a bare VACUUM takes every table of the database in turn, and waits for any other
        # session's lock on any of them.
        tables = connection.exec_driver_sql(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()").scalars().all()
        connection.exec_driver_sql("VACUUM ANALYZE " + ", ".join(f'"{table}"' for table in tables))
