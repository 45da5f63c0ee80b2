"""``hotline phone``: which city each phone number rings through to, and each city's voice-disguise choice
(docs/phone.md)."""

from __future__ import annotations

import argparse

from hotline.cli.common import open_database, print_json, settings_from_env
from intake.phone import lines as phone_lines


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("phone", help="Phone numbers and voice disguise.",
                                 description="Phone numbers and voice disguise (see docs/phone.md).")
    sub = parser.add_subparsers(dest="phone_command", required=True, metavar="COMMAND")
    add = sub.add_parser("add-number", help="Ring a Twilio number through to a city.",
                         description="Make calls to this number go straight to the city's menus.")
    add.add_argument("--city", required=True, help="The city's slug, such as raytown.")
    add.add_argument("--number", required=True, help="The number in international form, such as +18165550111.")
    add.set_defaults(run=run_add)
    remove = sub.add_parser("remove-number", help="Stop ringing a number through to its city.",
                            description="Forget a city's number; calls to it are then told it takes no calls.")
    remove.add_argument("--number", required=True, help="The number in international form.")
    remove.set_defaults(run=run_remove)
    numbers = sub.add_parser("numbers", help="List each city's numbers.", description="List each city's numbers.")
    numbers.add_argument("--json", action="store_true", help="Print the list as JSON for scripts.")
    numbers.set_defaults(run=run_numbers)
    disguise = sub.add_parser("disguise", help="Turn voice disguise on or off for a city.",
                              description="Turn voice disguise of a city's phone recordings on (the default) or "
                                          "off. The change is written to the city's audit log.")
    disguise.add_argument("--city", required=True, help="The city's slug.")
    disguise.add_argument("state", choices=("on", "off"), help="on: disguise every new recording; off: keep the "
                                                               "caller's own voice.")
    disguise.set_defaults(run=run_disguise)


def run_add(args: argparse.Namespace) -> int:
    line = phone_lines.add_number(open_database(settings_from_env()), args.city, args.number)
    print(f"Calls to {line.number} now go to {line.city_name}.")
    return 0


def run_remove(args: argparse.Namespace) -> int:
    phone_lines.remove_number(open_database(settings_from_env()), args.number)
    print("Removed.")
    return 0


def run_numbers(args: argparse.Namespace) -> int:
    lines = phone_lines.list_numbers(open_database(settings_from_env()))
    if args.json:
        print_json({"numbers": [{"number": line.number, "city": line.city_slug} for line in lines]})
    else:
        for line in lines:
            print(f"{line.number}  {line.city_name} ({line.city_slug})")
    return 0


def run_disguise(args: argparse.Namespace) -> int:
    phone_lines.set_disguise_voice(open_database(settings_from_env()), args.city, args.state == "on")
    print(f"Voice disguise is {args.state} for {args.city}.")
    return 0
