"""The job runner ``hotline bench region`` times the job table with: ``python -m hotline.bench.job_worker``.

It is ``hotline worker``'s loop (intake.operations.jobs.run_worker: claim with ``FOR UPDATE SKIP LOCKED``, run,
finish in the handler's transaction) with one handler of its own, ``bench.job``, whose effect is only its own
``finish``: so the figure is the job table's own cost, with nothing of a real job's work. The database is
``HOTLINE_DATABASE_URL``; it prints ``ready`` once connected and runs until SIGTERM.
"""

from __future__ import annotations

import os
import signal
import threading
from types import FrameType

from intake.db import Database
from intake.operations.jobs import JobRun, run_worker

JOB_KIND = "bench.job"


def main() -> int:
    database = Database(os.environ["HOTLINE_DATABASE_URL"])
    stop = threading.Event()

    def request_stop(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    def handle(run: JobRun) -> None:
        with database.write() as session:
            run.finish(session)

    signal.signal(signal.SIGTERM, request_stop)
    with database.read():
        pass  # connected
    print("ready", flush=True)
    run_worker(database, {JOB_KIND: handle}, stop, idle_seconds=0.02)
    database.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
