"""``hotline phone``: which city each phone number rings through to (reports or exit interviews), and each city's
choices about callers' audio: voice disguise, and audio kept or transcript only (docs/phone.md)."""

from __future__ import annotations

import argparse

from hotline.cli.common import open_database, print_json, settings_from_env
from intake.models.phone import PURPOSE_EXIT, PURPOSE_REPORTS
from intake.phone import lines as phone_lines


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("phone", help="Phone numbers and voice disguise.",
                                 description="Phone numbers and voice disguise (see docs/phone.md).")
    sub = parser.add_subparsers(dest="phone_command", required=True, metavar="COMMAND")
    add = sub.add_parser("add-number", help="Ring a Twilio number through to a city.",
                         description="Make calls to this number go straight to the city's menus.")
    add.add_argument("--city", required=True, help="The city's slug, such as raytown.")
    add.add_argument("--number", required=True, help="The number in international form, such as +18165550111.")
    add.add_argument("--exit-interviews", action="store_true",
                     help="The number takes the city's exit interviews by keypad, not reports; the city's exit "
                          "invitations then show it.")
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
    audio = sub.add_parser("audio", help="Keep callers' audio with its transcript, or the transcript only.",
                           description="Choose what a city keeps of each recording: the audio (voice-disguised "
                                       "unless turned off) beside its machine transcript (the default), or the "
                                       "transcript only, the audio never written anywhere. Callers are told "
                                       "which before they record. The change is written to the city's audit log.")
    audio.add_argument("--city", required=True, help="The city's slug.")
    audio.add_argument("mode", choices=("keep", "transcript-only"),
                       help="keep: store the audio and its transcript; transcript-only: store the words only.")
    audio.set_defaults(run=run_audio)


def run_add(args: argparse.Namespace) -> int:
    line = phone_lines.add_number(open_database(settings_from_env()), args.city, args.number,
                                  purpose=PURPOSE_EXIT if args.exit_interviews else PURPOSE_REPORTS)
    what = "exit interview" if args.exit_interviews else "reports"
    print(f"Calls to {line.number} now go to {line.city_name}'s {what}.")
    return 0


def run_remove(args: argparse.Namespace) -> int:
    phone_lines.remove_number(open_database(settings_from_env()), args.number)
    print("Removed.")
    return 0


def run_numbers(args: argparse.Namespace) -> int:
    lines = phone_lines.list_numbers(open_database(settings_from_env()))
    if args.json:
        print_json({"numbers": [{"number": line.number, "city": line.city_slug, "purpose": line.purpose}
                                for line in lines]})
    else:
        for line in lines:
            print(f"{line.number}  {line.city_name} ({line.city_slug}), {line.purpose}")
    return 0


def run_disguise(args: argparse.Namespace) -> int:
    phone_lines.set_disguise_voice(open_database(settings_from_env()), args.city, args.state == "on")
    print(f"Voice disguise is {args.state} for {args.city}.")
    return 0


def run_audio(args: argparse.Namespace) -> int:
    phone_lines.set_keep_audio(open_database(settings_from_env()), args.city, args.mode == "keep")
    if args.mode == "keep":
        print(f"{args.city} keeps callers' audio (disguised unless turned off) with its transcript.")
    else:
        print(f"{args.city} keeps only the transcript of each recording: the audio is never stored.")
    return 0
