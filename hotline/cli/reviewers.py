"""``hotline reviewer add``: give a reviewer a role in a city."""

from __future__ import annotations

import argparse

from crypto.errors import WrongSecret
from hotline.cli.common import (
    CommandError,
    open_database,
    print_json,
    read_secret,
    recovery_key_from,
    settings_from_env,
)
from intake.accounts.account import add_regional_coordinator, set_up_totp
from intake.accounts.reviewers import CONTENT_ROLES, ROLE_REVIEWER, ROLES, account_exists, add_reviewer
from intake.cities import find_city, open_city_key_with_recovery_key, recovery_key_refusal


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("reviewer", help="Reviewer commands.", description="Reviewer commands.")
    sub = parser.add_subparsers(dest="reviewer_command", required=True, metavar="COMMAND")
    add = sub.add_parser(
        "add", help="Give a reviewer a role in a city.",
        description="Give a reviewer a role in a city. The password is read from a prompt, or from one line of "
                    "standard input with --password-stdin. Roles that read cases need the city's recovery key "
                    "(from --recovery-key-file, HOTLINE_RECOVERY_KEY, or a prompt) to give the reviewer a copy "
                    "of the city key.")
    add.add_argument("--city", required=True, help="The city's slug.")
    add.add_argument("--email", required=True, help="The reviewer's sign-in email.")
    add.add_argument("--name", required=True, help="The reviewer's name as reporters see it.")
    add.add_argument("--role", default=ROLE_REVIEWER, choices=ROLES, help="The role in this city.")
    add.add_argument("--password-stdin", action="store_true", help="Read the password from standard input.")
    add.add_argument("--recovery-key-file", help="A file holding the city's recovery key.")
    add.add_argument("--group", action="append", metavar="SLUG",
                     help="A reviewer group to join, such as hr for exit interviews (repeat for more; by default "
                          "a reviewer joins the city's ethics group).")
    add.add_argument("--json", action="store_true", help="Print the result as JSON for scripts.")
    add.set_defaults(run=run_add)
    totp = sub.add_parser(
        "totp", help="Set up a reviewer's TOTP now and print the secret for their authenticator app.",
        description="Give a reviewer a confirmed TOTP secret and print it, for an operator who hands it over in "
                    "person (otherwise reviewers set TOTP up themselves at their first sign-in). Needs the "
                    "reviewer's password, from a prompt or --password-stdin.")
    totp.add_argument("--email", required=True, help="The reviewer's sign-in email.")
    totp.add_argument("--password-stdin", action="store_true", help="Read the password from standard input.")
    totp.set_defaults(run=run_totp)
    coordinator = sub.add_parser(
        "coordinator", help="Add a regional coordinator (aggregate statistics across cities, no cases).",
        description="Add MARC's regional coordinator: signs in like a reviewer and sees the region's "
                    "anonymity-protected statistics only, never a case.")
    coordinator.add_argument("--email", required=True, help="The coordinator's sign-in email.")
    coordinator.add_argument("--name", required=True, help="The coordinator's name.")
    coordinator.add_argument("--password-stdin", action="store_true", help="Read the password from standard input.")
    coordinator.set_defaults(run=run_coordinator)


def run_totp(args: argparse.Namespace) -> int:
    settings = settings_from_env()
    password = read_secret("The reviewer's password: ", from_stdin=args.password_stdin)
    secret = set_up_totp(open_database(settings), settings.intake_config(), args.email, password)
    print(f"TOTP secret for {args.email} (type it into the authenticator app; shown once): {secret}")
    return 0


def run_coordinator(args: argparse.Namespace) -> int:
    settings = settings_from_env()
    password = read_secret("Password for the coordinator: ", from_stdin=args.password_stdin, confirm=True)
    add_regional_coordinator(open_database(settings), settings.intake_config(), email=args.email,
                             display_name=args.name, password=password)
    print(f"{args.email} is now the regional coordinator.")
    return 0


def run_add(args: argparse.Namespace) -> int:
    settings = settings_from_env()
    database = open_database(settings)
    city = find_city(database, args.city)
    private = None
    if args.role in CONTENT_ROLES:
        recovery_key = recovery_key_from(args)
        try:
            private = open_city_key_with_recovery_key(city, recovery_key)
        except WrongSecret:
            raise CommandError(recovery_key_refusal(database, city, recovery_key, city_label=city.slug)) from None
    password = None
    if not account_exists(database, args.email):  # an existing account keeps its password and is never asked it
        password = read_secret("Password for the reviewer: ", from_stdin=args.password_stdin, confirm=True)
    added = add_reviewer(database, settings.intake_config(), city_slug=city.slug, email=args.email,
                         display_name=args.name, password=password, role=args.role, city_private_key=private,
                         groups=args.group)
    if args.json:
        print_json({"reviewer_id": added.reviewer_id, "email": added.email, "city": added.city_slug,
                    "role": added.role})
    else:
        print(f"{added.email} is now {added.role} in {added.city_slug}.")
    return 0
