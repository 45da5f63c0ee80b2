"""``hotline backup`` and ``hotline restore`` (docs/design.md#operations-and-scale-out)."""

from __future__ import annotations

import argparse
from pathlib import Path

from hotline.cli.common import CommandError, open_database, settings_from_env
from intake.operations.backup import BackupError, backup, restore


def register(commands: argparse._SubParsersAction) -> None:
    make = commands.add_parser(
        "backup", help="Write a backup of the database to a file.",
        description="Write a consistent backup of the database named by HOTLINE_DATABASE_URL to FILE while the "
                    "service runs (SQLite's online backup, or pg_dump for PostgreSQL). It holds only what the "
                    "database holds, sealed as it is there; keep the pepper and recovery keys apart from it.")
    make.add_argument("file", help="Where to write the backup (readable by its owner only).")
    make.set_defaults(run=run_backup)
    back = commands.add_parser(
        "restore", help="Restore a backup into an empty database.",
        description="Restore FILE (made by `hotline backup`) into the database named by HOTLINE_DATABASE_URL, "
                    "which must be empty. Then run `hotline db upgrade` if this version is newer than the backup.")
    back.add_argument("file", help="The backup file.")
    back.set_defaults(run=run_restore)


def run_backup(args: argparse.Namespace) -> int:
    try:
        result = backup(open_database(settings_from_env()), Path(args.file))
    except BackupError as error:
        raise CommandError(str(error)) from None
    print(f"Wrote a {result.kind} backup of {result.size_bytes} bytes to {result.path}.")
    return 0


def run_restore(args: argparse.Namespace) -> int:
    try:
        kind = restore(Path(args.file), open_database(settings_from_env()))
    except BackupError as error:
        raise CommandError(str(error)) from None
    print(f"Restored the {kind} backup {args.file}.")
    return 0
