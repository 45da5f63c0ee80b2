"""``hotline city add``: a new city with its key pair; prints the recovery key once."""

from __future__ import annotations

import argparse

from hotline.cli.common import open_database, print_json, settings_from_env
from intake.cities import create_city


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("city", help="City commands.", description="City commands.")
    sub = parser.add_subparsers(dest="city_command", required=True, metavar="COMMAND")
    add = sub.add_parser("add", help="Add a city and print its recovery key once.",
                         description="Add a city: make its key pair and print its recovery key, once. Keep the "
                                     "recovery key offline; it restores access when every password is lost.")
    add.add_argument("--slug", required=True, help="Short name used in addresses, such as lees-summit.")
    add.add_argument("--name", required=True, help="The city's name as people read it.")
    add.add_argument("--json", action="store_true", help="Print the result as JSON for scripts.")
    add.set_defaults(run=run_add)


def run_add(args: argparse.Namespace) -> int:
    created = create_city(open_database(settings_from_env()), args.slug, args.name)
    if args.json:
        print_json({"city": created.slug, "city_id": created.city_id, "recovery_key": created.recovery_key})
    else:
        print(f"Added {created.slug}.")
        print(f"Recovery key (shown once; print it and keep it offline): {created.recovery_key}")
    return 0
