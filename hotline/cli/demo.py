"""``hotline demo``: a fresh SQLite database with the five cities, an ethics officer and a city attorney each,
and a demo phone number for each city, then serve it with the call simulator (hotline.web.demo_phone) and a
worker."""

from __future__ import annotations

import argparse
import dataclasses
import secrets
import tempfile
import threading
from pathlib import Path

from hotline.bench.fake_twilio import FakeTwilio
from hotline.cli.common import print_json, settings_from_env
from hotline.cli.serve import serve
from hotline.cli.worker import start_worker_thread
from hotline.settings import Settings
from intake.accounts.account import add_regional_coordinator, set_up_totp
from intake.accounts.reviewers import ROLE_ADMIN, ROLE_AUDITOR, ROLE_COORDINATOR, ROLE_REVIEWER, add_reviewer
from intake.cities import create_city, find_city, open_city_key_with_recovery_key
from intake.db import Database
from intake.models.phone import PURPOSE_EXIT
from intake.operations.migrate import upgrade
from intake.phone.lines import add_number
from intake.routing import ALTERNATE_GROUP, HR_GROUP

# Fictional numbers (NANP 555-01xx): the shared number, one per city, and Raytown's exit-interview line.
DEMO_SHARED_NUMBER = "+18165550100"
DEMO_EXIT_NUMBER = "+18165550190"

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
        description="Make a fresh SQLite database in a new directory, add the five cities with an ethics officer "
                    "and a city attorney each, print their sign-ins, and serve the hotline.")
    parser.add_argument("--port", type=int, default=8000, help="Port to serve on (default 8000).")
    parser.add_argument("--host", default="127.0.0.1", help="Address to serve on (default 127.0.0.1).")
    parser.add_argument("--dir", help="Parent directory for the demo's new directory (default: the system's "
                                      "temporary directory).")
    parser.add_argument("--no-serve", action="store_true", help="Seed and print, but do not serve.")
    parser.add_argument("--json", action="store_true", help="Print the seeded sign-ins as JSON.")
    parser.set_defaults(run=run)


# The demo releases new reports every minute at most (a deployment: the top of each hour), so trying it out does
# not mean waiting an hour to see a report reach the inbox (docs/design.md#release-slots).
DEMO_RELEASE_SECONDS = 60


def demo_settings(directory: Path, host: str, port: int) -> Settings:
    base = settings_from_env()
    interval = base.release_interval_seconds
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
        # The phone path runs against a local stand-in for Twilio (hotline.bench.fake_twilio) with throwaway
        # credentials; the simulator signs each request with them as Twilio would.
        twilio_account_sid="AC" + secrets.token_hex(16),
        twilio_auth_token=secrets.token_hex(16).encode(),
        phone_shared_number=DEMO_SHARED_NUMBER,
        release_interval_seconds=interval if interval <= DEMO_RELEASE_SECONDS else DEMO_RELEASE_SECONDS,
    )


def seed(settings: Settings, database: Database) -> list[dict[str, str]]:
    """Five cities, each with an ethics officer (reviewer) and a city attorney in the alternate group, so a report
    that leaves the ethics officer out still reaches someone (docs/design.md#routing-and-conflict-of-interest);
    Raytown also has an HR officer (the city's hr group,
    which reads exit interviews), an admin and an auditor, and MARC a regional coordinator, so every role can be
    tried. Each gets a TOTP secret at once."""
    upgrade(database)
    config = settings.intake_config()
    logins = []

    def login(city: str, email: str, password: str, role: str, recovery_key: str = "") -> dict[str, str]:
        return {"city": city, "role": role, "email": email, "password": password,
                "totp_secret": set_up_totp(database, config, email, password), "recovery_key": recovery_key}

    for number, (slug, name) in enumerate(DEMO_CITIES, start=1):
        created = create_city(database, slug, name)
        add_number(database, slug, f"+181655501{number:02d}")
        city_key = open_city_key_with_recovery_key(find_city(database, slug), created.recovery_key)
        people: list[tuple[str, str, str, tuple[str, ...] | None]] = [
            ("ethics", f"{name} Ethics Officer", ROLE_REVIEWER, None),
            ("attorney", f"{name} City Attorney", ROLE_REVIEWER, (ALTERNATE_GROUP,))]
        if slug == "raytown":
            people += [("hr", "Raytown HR Officer", ROLE_REVIEWER, (HR_GROUP,)),
                       ("admin", "Raytown City Administrator", ROLE_ADMIN, None),
                       ("audit", "Raytown Auditor", ROLE_AUDITOR, None)]
        for local, display_name, role, groups in people:
            email, password = f"{local}@{slug}.example", secrets.token_urlsafe(12)
            add_reviewer(database, config, city_slug=slug, email=email, display_name=display_name,
                         password=password, role=role, city_private_key=city_key, groups=groups)
            logins.append(login(slug, email, password, role, created.recovery_key))
    add_number(database, "raytown", DEMO_EXIT_NUMBER, purpose=PURPOSE_EXIT)
    email, password = "coordinator@marc.example", secrets.token_urlsafe(12)
    add_regional_coordinator(database, config, email=email, display_name="MARC Regional Coordinator",
                             password=password)
    logins.append(login("(region)", email, password, ROLE_COORDINATOR))
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
        print(f"Try a call:     {settings.public_url}/demo/phone (each city has a demo number; no Twilio needed)")
        print()
        print(f"{'city':<14} {'role':<12} {'email':<30} {'password':<18} TOTP secret (add it to an authenticator app)")
        for login in logins:
            print(f"{login['city']:<14} {login['role']:<12} {login['email']:<30} {login['password']:<18} "
                  f"{login['totp_secret']}")
        print()
        print("Sign in with the password and the six-digit code your authenticator app makes from the secret")
        print("(or: python3 -c \"import pyotp; print(pyotp.TOTP('SECRET').now())\").")
        print("Demo only: these passwords, TOTP secrets and the cities' recovery keys are printed here and nowhere "
              "else.")
        print()
        print(release_notice(settings.release_interval_seconds))
    if not args.no_serve:
        serve_demo(settings, database, args.host, args.port)
    return 0


def serve_demo(settings: Settings, database: Database, host: str, port: int) -> None:
    """Serve with the stand-in for Twilio running and a worker in this process."""
    fake = FakeTwilio(settings.twilio_account_sid, settings.twilio_auth_token.decode())
    with fake.running():
        settings = dataclasses.replace(settings, twilio_api_base_url=fake.base_url)
        stop = threading.Event()
        start_worker_thread(settings, database, stop)  # it releases new reports at each slot, and fetches recordings
        try:
            serve(settings, database, host, port, demo_twilio=fake)
        finally:
            stop.set()


def release_notice(interval: int) -> str:
    if interval == 0:
        return "New reports reach reviewers at once (release slots are off)."
    every = "every minute" if interval == 60 else f"every {interval} seconds"
    return (f"A new report or message reaches the reviewers' inbox only at the next release, {every} here (at the "
            "top of each hour in a deployment), in random order with the others: so nobody can tell from the inbox "
            "or the audit log when within the hour a report came in. A report marked urgent goes at once.")
