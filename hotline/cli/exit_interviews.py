"""``hotline exit questionnaire load|show``: a city's exit questionnaire, as a JSON file
(docs/design.md#exit-interviews)."""

from __future__ import annotations

import argparse

from hotline.cli.common import open_database, print_json, read_json_file, settings_from_env
from intake.exit.questionnaire import current_definition, load_questionnaire


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("exit", help="Exit-interview commands.", description="Exit-interview commands.")
    sub = parser.add_subparsers(dest="exit_command", required=True, metavar="COMMAND")
    questionnaire = sub.add_parser("questionnaire", help="A city's exit questionnaire.",
                                   description="Show or load a city's exit questionnaire.")
    actions = questionnaire.add_subparsers(dest="questionnaire_command", required=True, metavar="COMMAND")
    load = actions.add_parser(
        "load", help="Load a questionnaire from a JSON file as the city's newest version.",
        description="Load a questionnaire (JSON: {\"questions\": [...]}, every label in \"en\" and \"es\") as the "
                    "city's newest version. Versions with responses are kept; the others are removed.")
    load.add_argument("file", metavar="FILE", help="The JSON file; start from the output of `show`.")
    load.add_argument("--city", required=True, help="The city's slug, such as raytown.")
    load.set_defaults(run=run_load)
    show = actions.add_parser("show", help="Print the city's newest questionnaire as JSON.",
                              description="Print the city's newest questionnaire as JSON, ready to edit and load.")
    show.add_argument("--city", required=True, help="The city's slug, such as raytown.")
    show.set_defaults(run=run_show)


def run_load(args: argparse.Namespace) -> int:
    data = read_json_file(args.file)
    if isinstance(data, dict):
        data.pop("version", None)
    version = load_questionnaire(open_database(settings_from_env()), args.city, data)
    print(f"Loaded version {version} of the {args.city} exit questionnaire.")
    return 0


def run_show(args: argparse.Namespace) -> int:
    print_json(current_definition(open_database(settings_from_env()), args.city))
    return 0
