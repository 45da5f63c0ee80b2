"""``hotline db upgrade``: bring the database schema to this version's newest migration."""

from __future__ import annotations

import argparse

from hotline.cli.common import open_database, settings_from_env
from intake.operations.migrate import current_revisions, upgrade


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("db", help="Database schema commands.", description="Database schema commands.")
    sub = parser.add_subparsers(dest="db_command", required=True, metavar="COMMAND")
    upgrade_parser = sub.add_parser("upgrade", help="Apply every migration this version has.",
                                    description="Apply every migration this version has (safe to run again).")
    upgrade_parser.set_defaults(run=run_upgrade)


def run_upgrade(args: argparse.Namespace) -> int:
    database = open_database(settings_from_env())
    upgrade(database)
    print(f"Database is at migration {', '.join(sorted(current_revisions(database)))}.")
    return 0
