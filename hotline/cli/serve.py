"""``hotline serve``: run the web app with uvicorn, with logs that hold no client address."""

from __future__ import annotations

import argparse
import threading
from typing import Any

import uvicorn

from hotline.app import create_app
from hotline.cli.common import CommandError, open_database, settings_from_env
from hotline.middleware.access_log import configure_logging
from hotline.settings import Settings
from hotline.slow_clients import deadline_protocol
from intake.db import Database
from intake.operations.migrate import current_revisions, head_revisions, known_revisions


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("serve", help="Run the web service.",
                                 description="Run the hotline web service (settings from HOTLINE_* variables).")
    parser.add_argument("--host", help="Address to listen on (default: HOTLINE_HOST or 127.0.0.1).")
    parser.add_argument("--port", type=int, help="Port to listen on (default: HOTLINE_PORT or 8000).")
    parser.add_argument("--with-worker", action="store_true",
                        help="Also run background jobs in this process (for a small site with one instance).")
    parser.set_defaults(run=run)


def check_schema(database: Database) -> None:
    current = current_revisions(database)
    if not current:
        raise CommandError("The database has no hotline tables yet: run `hotline db upgrade` first.")
    unknown = current - known_revisions()
    if unknown:
        raise CommandError(f"The database is at migration {', '.join(sorted(unknown))}, which this version of "
                           "hotline does not know: install the newer version that made it.")
    if current != head_revisions():
        raise CommandError("The database schema is older than this version: run `hotline db upgrade` first.")


def serve(settings: Settings, database: Database, host: str, port: int, *, demo_twilio: Any = None) -> None:
    configure_logging(settings.log_level)
    app = create_app(settings, database, demo_twilio=demo_twilio)
    # access_log=False: uvicorn's access log prints client addresses; hotline.middleware.access_log replaces it.
    # forwarded_allow_ips: only a configured proxy may say who the client is (the client cannot), and none is
    # trusted unless named. http: httptools, with deadlines for a request's headers and body and a bound on its head
    # (hotline.slow_clients).
    proxies = settings.trusted_proxy_list()
    uvicorn.run(app, host=host, port=port, log_config=None, access_log=False, server_header=False,
                proxy_headers=bool(proxies), forwarded_allow_ips=proxies,
                http=deadline_protocol(settings.request_header_timeout_seconds,
                                       settings.request_body_timeout_seconds))


def run(args: argparse.Namespace) -> int:
    settings = settings_from_env()
    settings.check()
    database = open_database(settings)
    check_schema(database)
    stop = threading.Event()
    if args.with_worker:
        from hotline.cli.worker import start_worker_thread  # worker imports this module

        start_worker_thread(settings, database, stop)
    try:
        serve(settings, database, args.host or settings.host, args.port or settings.port)
    finally:
        stop.set()
    return 0
