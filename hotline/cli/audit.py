"""``hotline audit verify``: walk each city's audit chain and name the first bad entry."""

from __future__ import annotations

import argparse

from hotline.cli.common import open_database, settings_from_env
from intake.audit import verify_city
from intake.cities import find_city, list_cities


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("audit", help="Audit log commands.", description="Audit log commands.")
    sub = parser.add_subparsers(dest="audit_command", required=True, metavar="COMMAND")
    verify = sub.add_parser("verify", help="Check every city's audit chain (exit status 1 if one is broken).",
                            description="Check that no audit entry was changed, removed or reordered.")
    verify.add_argument("--city", help="Check only this city (its slug).")
    verify.set_defaults(run=run_verify)


def run_verify(args: argparse.Namespace) -> int:
    database = open_database(settings_from_env())
    cities = [find_city(database, args.city)] if args.city else list_cities(database)
    broken = 0
    with database.read() as session:
        for city in cities:
            verdict = verify_city(session, city)
            if verdict.ok:
                print(f"{city.slug}: {verdict.entries} entries, chain intact")
            else:
                broken += 1
                print(f"{city.slug}: chain BROKEN at entry {verdict.first_bad_sequence}: {verdict.problem}")
    return 1 if broken else 0
