"""``hotline questionnaire load FILE``: store a city's questionnaires from a JSON file."""

from __future__ import annotations

import argparse

from hotline.cli.common import open_database, print_json, read_json_file, settings_from_env
from intake.reports.questionnaires import DEFAULTS_FILE, load_questionnaires


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("questionnaire", help="Questionnaire commands.",
                                 description="Questionnaire commands.")
    sub = parser.add_subparsers(dest="questionnaire_command", required=True, metavar="COMMAND")
    load = sub.add_parser(
        "load", help="Load a city's questionnaires from a JSON file.",
        description="Store each questionnaire in FILE as the city's next version for its category; reporters are "
                    "asked it from then on. FILE holds one questionnaire ({\"category\": ..., \"fields\": [...]}) or "
                    f"several ({{\"questionnaires\": [...]}}); {DEFAULTS_FILE.name} in the package is an example. "
                    "Every problem is reported and nothing is stored until the whole file is right.")
    load.add_argument("file", metavar="FILE", help="The JSON file.")
    load.add_argument("--city", required=True, help="The city's slug, such as raytown.")
    load.add_argument("--json", action="store_true", help="Print the result as JSON for scripts.")
    load.set_defaults(run=run_load)


def run_load(args: argparse.Namespace) -> int:
    data = read_json_file(args.file)
    loaded = load_questionnaires(open_database(settings_from_env()), args.city, data)
    if args.json:
        print_json({"city": args.city, "loaded": [{"category": q.category, "version": q.version, "fields": q.fields}
                                                  for q in loaded]})
    else:
        for q in loaded:
            print(f"{args.city}: {q.category} questionnaire version {q.version} ({q.fields} fields) loaded.")
    return 0
