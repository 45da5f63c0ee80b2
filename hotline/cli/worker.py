"""``hotline worker``: run background jobs until stopped; any number may run against one database."""

from __future__ import annotations

import argparse
import logging
import signal
import threading
from types import FrameType

from hotline import worker as worker_module
from hotline.cli.common import open_database, settings_from_env
from hotline.cli.serve import check_schema
from hotline.middleware.access_log import configure_logging
from hotline.settings import Settings
from intake.db import Database
from intake.operations.jobs import run_one, run_worker

logger = logging.getLogger("hotline.worker")


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "worker", help="Run background jobs (recordings, retention, ...) until stopped.",
        description="Run background jobs from the database's job table until SIGTERM or Ctrl-C. Run one on each "
                    "instance, or several: each job runs its effect once whichever worker takes it.")
    parser.add_argument("--until-idle", action="store_true",
                        help="Stop when no job is due instead of waiting for more (for cron or a one-off run).")
    parser.set_defaults(run=run)


def start_worker_thread(settings: Settings, database: Database, stop: threading.Event) -> threading.Thread:
    """The worker loop in a thread, for ``hotline serve --with-worker``."""
    handlers = worker_module.job_handlers(settings, database)
    worker_module.schedule_recurring_jobs(database, settings)
    thread = threading.Thread(target=run_worker, args=(database, handlers, stop),
                              kwargs={"idle_seconds": settings.worker_poll_seconds}, name="hotline-worker",
                              daemon=True)
    thread.start()
    return thread


def run(args: argparse.Namespace) -> int:
    settings = settings_from_env()
    settings.check()
    database = open_database(settings)
    check_schema(database)
    configure_logging(settings.log_level)
    handlers = worker_module.job_handlers(settings, database)
    worker_module.schedule_recurring_jobs(database, settings)
    if args.until_idle:
        ran = 0
        while run_one(database, handlers):
            ran += 1
        logger.info("worker idle", extra={"fields": {"jobs": ran}})
        return 0
    stop = threading.Event()

    def request_stop(signum: int, _frame: FrameType | None) -> None:
        logger.info("worker stopping", extra={"fields": {"signal": signal.Signals(signum).name}})
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    logger.info("worker started", extra={"fields": {"kinds": sorted(handlers)}})
    run_worker(database, handlers, stop, idle_seconds=settings.worker_poll_seconds)
    return 0
