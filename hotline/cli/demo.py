"""``hotline demo``: a fresh SQLite database with the five cities and one reviewer each, then serve it."""

from __future__ import annotations

import argparse
import dataclasses
import secrets
import tempfile
from pathlib import Path

from hotline.cli.common import print_json, settings_from_env
from hotline.cli.serve import serve
from hotline.settings import Settings
from intake.cities import create_city, find_city, open_city_key_with_recovery_key
from intake.db import Database
from intake.migrate import upgrade
from intake.reviewers import ROLE_REVIEWER, add_reviewer

DEMO_CITIES = (
    ("blue-springs", "Blue Springs"),
    ("grandview", "Grandview"),
    ("independence", "Independence"),
    ("lees-summit", "Lee's Summit"),
    ("raytown", "Raytown"),
)


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "demo", help="Seed a fresh demo database and serve it.",
        description="Make a fresh SQLite database in a new directory, add the five cities with one reviewer "
                    "each, print their sign-ins, and serve the hotline.")
    parser.add_argument("--port", type=int, default=8000, help="Port to serve on (default 8000).")
    parser.add_argument("--host", default="127.0.0.1", help="Address to serve on (default 127.0.0.1).")
    parser.add_argument("--dir", help="Parent directory for the demo's new directory (default: the system's "
                                      "temporary directory).")
    parser.add_argument("--no-serve", action="store_true", help="Seed and print, but do not serve.")
    parser.add_argument("--json", action="store_true", help="Print the seeded sign-ins as JSON.")
    parser.set_defaults(run=run)


def demo_settings(directory: Path, host: str, port: int) -> Settings:
    base = settings_from_env()
    return dataclasses.replace(
        base,
        database_url=f"sqlite:///{directory / 'hotline.sqlite3'}",
        # Demo secrets are random per run and live only in this process.
        pepper=secrets.token_hex(32).encode(),
        session_key=secrets.token_hex(32).encode(),
        public_url=f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{port}",  # noqa: S104
        host=host,
        port=port,
        demo=True,
    )


def seed(settings: Settings, database: Database) -> list[dict[str, str]]:
    upgrade(database)
    logins = []
    for slug, name in DEMO_CITIES:
        created = create_city(database, slug, name)
        city_key = open_city_key_with_recovery_key(find_city(database, slug), created.recovery_key)
        email, password = f"ethics@{slug}.example", secrets.token_urlsafe(12)
        add_reviewer(database, settings.intake_config(), city_slug=slug, email=email,
                     display_name=f"{name} Ethics Officer", password=password, role=ROLE_REVIEWER,
                     city_private_key=city_key)
        logins.append({"city": slug, "email": email, "password": password, "recovery_key": created.recovery_key})
    return logins


def run(args: argparse.Namespace) -> int:
    directory = Path(tempfile.mkdtemp(prefix="hotline-demo-", dir=args.dir))
    settings = demo_settings(directory, args.host, args.port)
    database = Database(settings.database_url)
    logins = seed(settings, database)
    if args.json:
        print_json({"directory": str(directory), "url": settings.public_url, "logins": logins})
    else:
        print(f"Demo database: {directory / 'hotline.sqlite3'}")
        print(f"Reporter site:  {settings.public_url}/")
        print(f"Reviewer site:  {settings.public_url}/review/sign-in")
        print()
        print(f"{'city':<14} {'email':<32} password")
        for login in logins:
            print(f"{login['city']:<14} {login['email']:<32} {login['password']}")
        print()
        print("Demo only: these passwords and the cities' recovery keys are printed here and nowhere else.")
    if not args.no_serve:
        serve(settings, database, args.host, args.port)
    return 0
