"""Helpers shared by subcommands: settings, the database, secrets read from prompts, and clear failures."""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from typing import Any

from hotline.settings import Settings
from intake.db import Database


class CommandError(Exception):
    """A failure to report to the operator as one sentence, with exit status 1."""


def settings_from_env() -> Settings:
    return Settings.from_env()


def open_database(settings: Settings) -> Database:
    return Database(settings.database_url)


def read_secret(prompt: str, *, from_stdin: bool, confirm: bool = False) -> str:
    """A secret from one line of standard input, or typed at a prompt that does not echo it."""
    if from_stdin:
        line = sys.stdin.readline()
        if not line:
            raise CommandError("Expected the secret on standard input, but it was empty.")
        return line.rstrip("\r\n")
    if not sys.stdin.isatty():
        raise CommandError(f"{prompt.rstrip(': ')} must be typed at a terminal, or given on standard input "
                           "with the --password-stdin option.")
    value = getpass.getpass(prompt)
    if confirm and getpass.getpass("Again: ") != value:
        raise CommandError("The two entries did not match.")
    return value


def print_json(data: dict[str, Any]) -> None:
    print(json.dumps(data, indent=2, sort_keys=True))


def recovery_key_from(args: argparse.Namespace) -> str:
    """A city's recovery key: from --recovery-key-file, HOTLINE_RECOVERY_KEY, or a prompt that does not echo it."""
    if args.recovery_key_file:
        try:
            with open(args.recovery_key_file, encoding="utf-8") as handle:
                return handle.read().strip()
        except OSError as error:
            raise CommandError(f"Cannot read {args.recovery_key_file}: {error.strerror}.") from None
    if os.environ.get("HOTLINE_RECOVERY_KEY"):
        return os.environ["HOTLINE_RECOVERY_KEY"]
    return read_secret("City recovery key: ", from_stdin=False)


def read_json_file(path: str) -> Any:
    """The JSON in ``path``, or one sentence saying why it cannot be read."""
    try:
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)
    except OSError as error:
        raise CommandError(f"Cannot read {path} ({error.strerror}).") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise CommandError(f"{path} is not valid JSON: {error}.") from None
