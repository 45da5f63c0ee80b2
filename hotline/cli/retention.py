"""``hotline retention``: each city's retention rules, and purging what they say is due."""

from __future__ import annotations

import argparse

from hotline.cli.common import CommandError, open_database, print_json, settings_from_env
from hotline.cli.serve import check_schema
from intake.operations.retention import PURGERS, rules, run_retention, set_rule


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("retention", help="Retention rules and purging.",
                                 description="Retention rules and purging.")
    sub = parser.add_subparsers(dest="retention_command", required=True, metavar="COMMAND")
    run = sub.add_parser(
        "run", help="Purge every record the cities' rules say is due (also a daily job).",
        description="Purge, for good, every record whose city's rule says it is due: content, keys and rows, then "
                    "VACUUM. Each purge leaves an audit entry saying what was purged, never what it said. The "
                    "worker also runs this daily.")
    run.add_argument("--json", action="store_true", help="Print the result as JSON for scripts.")
    run.set_defaults(run=run_run)
    rule = sub.add_parser(
        "set", help="Set how long a city keeps one kind of record.",
        description="Set how long a city keeps one kind of record: " + "; ".join(
            f"{name}: {purger.description}" for name, purger in sorted(PURGERS.items())) + ".")
    rule.add_argument("--city", required=True, help="The city's slug.")
    rule.add_argument("--purger", required=True, choices=sorted(PURGERS), help="The kind of record.")
    keep = rule.add_mutually_exclusive_group(required=True)
    keep.add_argument("--years", type=int, help="Keep this many years (365 days each) after the starting date.")
    keep.add_argument("--days", type=int, help="Keep this many days after the starting date.")
    keep.add_argument("--forever", action="store_true", help="Remove the rule: keep these records.")
    rule.set_defaults(run=run_set)
    show = sub.add_parser("show", help="List every city's retention rules.",
                          description="List every city's retention rules.")
    show.set_defaults(run=run_show)


def run_run(args: argparse.Namespace) -> int:
    settings = settings_from_env()
    database = open_database(settings)
    check_schema(database)
    report = run_retention(database, routing_key=settings.intake_config().routing_key)
    if args.json:
        print_json({"purged": [{"city": city, "purger": purger, "records": count}
                               for (city, purger), count in sorted(report.purged.items())],
                    "vacuumed": report.vacuumed})
        return 0
    if not report.purged:
        print("Nothing was due.")
    for (city, purger), count in sorted(report.purged.items()):
        print(f"{city}: purged {count} ({purger}).")
    return 0


def run_set(args: argparse.Namespace) -> int:
    database = open_database(settings_from_env())
    check_schema(database)
    keep_days = None if args.forever else (args.days if args.days is not None else args.years * 365)
    if keep_days is not None and keep_days < 0:
        raise CommandError("The time to keep records cannot be negative.")
    set_rule(database, args.city, args.purger, keep_days)
    print(f"{args.city}: {args.purger} " + ("kept." if keep_days is None else f"purged {keep_days} days after their "
                                                                                "starting date."))
    return 0


def run_show(args: argparse.Namespace) -> int:
    listed = rules(open_database(settings_from_env()))
    if not listed:
        print("No retention rules: every record is kept.")
    for rule in listed:
        print(f"{rule.city_slug}: {rule.purger} after {rule.keep_days} days")
    return 0
