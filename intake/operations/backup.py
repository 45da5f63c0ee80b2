"""Backups and restores of the whole database (docs/design.md#operations-and-scale-out).

SQLite uses its online backup API (a consistent copy while the service keeps running); PostgreSQL uses
``pg_dump --format=custom`` and ``pg_restore``. A backup holds exactly what the database holds, so it is as
sealed as the database: content only as ciphertext, no pepper, no session key, no recovery key. Those live in
configuration and on paper and must be backed up apart from it (docs/deploy.md).

A restore goes only into an empty database, so it can never overwrite or mix with live data.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import inspect
from sqlalchemy.engine import make_url

from intake.db import Database
from intake.errors import IntakeError

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_CUSTOM_MAGIC = b"PGDMP"


class BackupError(IntakeError):
    """A backup or restore could not be made; the message says why in one sentence."""


@dataclass(frozen=True)
class BackupResult:
    path: Path
    kind: str  # "sqlite" or "postgresql"
    size_bytes: int


def libpq_url(database: Database) -> str:
    """The URL as pg_dump and pg_restore (libpq) take it: without SQLAlchemy's driver suffix."""
    url = make_url(database.url).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(f"{name} is not installed: install the PostgreSQL client tools of the server's version "
                          "(on Debian, `apt install postgresql-client`).")
    return found


def _private_temp(target: Path) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(prefix=".hotline-backup-", dir=target.parent)
    os.close(handle)
    os.chmod(name, 0o600)  # backups are as sensitive as the database
    return Path(name)


def backup(database: Database, target: Path) -> BackupResult:
    """Write a backup of ``database`` to ``target`` (replaced only once the backup is complete)."""
    if target.exists() and target.is_dir():
        raise BackupError(f"{target} is a directory: give a file name for the backup.")
    temp = _private_temp(target)
    try:
        if database.is_sqlite:
            raw = database.engine.raw_connection()
            try:
                destination = sqlite3.connect(temp)
                try:
                    raw.driver_connection.backup(destination)  # type: ignore[union-attr]
                finally:
                    destination.close()
            finally:
                raw.close()
            kind = "sqlite"
        else:
            completed = subprocess.run(
                [_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges", f"--file={temp}",
                 f"--dbname={libpq_url(database)}"], capture_output=True, text=True, check=False)
            if completed.returncode != 0:
                raise BackupError(f"pg_dump failed: {_first_line(completed.stderr)}")
            kind = "postgresql"
        os.replace(temp, target)
    finally:
        temp.unlink(missing_ok=True)
    return BackupResult(target, kind, target.stat().st_size)


def _first_line(text: str) -> str:
    line = next((line.strip() for line in text.splitlines() if line.strip()), "no message")
    return line.removeprefix("pg_dump: ").removeprefix("pg_restore: ").removeprefix("error: ")


def backup_kind(path: Path) -> str:
    try:
        with open(path, "rb") as handle:
            head = handle.read(len(SQLITE_MAGIC))
    except OSError as error:
        raise BackupError(f"Cannot read {path}: {error.strerror}.") from None
    if head.startswith(SQLITE_MAGIC):
        return "sqlite"
    if head.startswith(PG_CUSTOM_MAGIC):
        return "postgresql"
    raise BackupError(f"{path} is not a hotline backup (neither a SQLite database nor a pg_dump archive).")


def is_empty(database: Database) -> bool:
    with database.engine.connect() as connection:
        return not inspect(connection).get_table_names()


def restore(source: Path, database: Database) -> str:
    """Restore the backup at ``source`` into the empty ``database``; returns the backup's kind."""
    kind = backup_kind(source)
    if kind != ("sqlite" if database.is_sqlite else "postgresql"):
        raise BackupError(f"{source} is a {kind} backup, but HOTLINE_DATABASE_URL names a {database.dialect} "
                          "database: restore it into the same kind of database it came from.")
    if not is_empty(database):
        raise BackupError("The database named by HOTLINE_DATABASE_URL already has tables: restore only into an "
                          "empty database, so nothing live is overwritten.")
    if kind == "sqlite":
        source_connection = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        try:
            if source_connection.execute("PRAGMA quick_check").fetchone() != ("ok",):
                raise BackupError(f"{source} is damaged (SQLite's integrity check failed).")
            raw = database.engine.raw_connection()
            try:
                source_connection.backup(raw.driver_connection)  # type: ignore[arg-type]
            finally:
                raw.close()
        finally:
            source_connection.close()
        database.engine.dispose()  # pooled connections saw the empty file
        return kind
    completed = subprocess.run(
        [_tool("pg_restore"), "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction",
         f"--dbname={libpq_url(database)}", str(source)], capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        raise BackupError(f"pg_restore failed: {_first_line(completed.stderr)}")
    return kind
