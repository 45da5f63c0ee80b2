"""Entry point of the ``hotline`` command."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from sqlalchemy.exc import OperationalError

from hotline.cli import (
    audit,
    backup,
    bench,
    cities,
    db,
    demo,
    exit_interviews,
    keys,
    phone,
    questionnaires,
    reminders,
    retention,
    reviewers,
    serve,
    worker,
)
from hotline.cli.common import CommandError
from hotline.settings import SettingsError
from intake.errors import AlreadyExists, InvalidInput, NotFound, WrongCredentials

COMMAND_MODULES = (
    demo, serve, db, cities, reviewers, questionnaires, phone, exit_interviews, audit, reminders, bench, worker,
    keys, retention, backup,
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hotline",
        description="Anonymous ethics, fraud and safety hotline and exit-interview service.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in COMMAND_MODULES:
        module.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        result: int = args.run(args)
        return result
    except (CommandError, SettingsError) as error:
        print(f"hotline: {error}", file=sys.stderr)
    except InvalidInput as error:
        for field, message in error.problems.items():
            print(f"hotline: {field}: {message}", file=sys.stderr)
    except (NotFound, AlreadyExists, WrongCredentials) as error:
        print(f"hotline: {str(error)[:1].upper()}{str(error)[1:]}.", file=sys.stderr)
    except OperationalError:
        print("hotline: Cannot reach the database named by HOTLINE_DATABASE_URL; check that it is running and "
              "the address is right.", file=sys.stderr)
    except KeyboardInterrupt:
        print("hotline: Interrupted.", file=sys.stderr)
    return 1
