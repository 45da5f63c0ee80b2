"""A job whose effect is a row in a probe table, to count how many times each job's effect committed.

Run as ``python -m tests.intake.operations.job_probe DATABASE_URL SECONDS`` it is one worker process.
"""

from __future__ import annotations

import random
import sys
import threading

from sqlalchemy import Column, Integer, MetaData, Table, insert

from intake.db import Database
from intake.operations.jobs import JobRun, run_worker

PROBE = MetaData()
effects = Table("job_probe_effect", PROBE, Column("id", Integer, primary_key=True), Column("n", Integer))


class Flaky(Exception):
    pass


def make_handler(database: Database, failure_rate: float = 0.2):
    def handle(run: JobRun) -> None:
        if random.random() < failure_rate:  # fails before its effect: must be retried
            raise Flaky()
        with database.write() as session:
            session.execute(insert(effects).values(n=run.payload["n"]))
            if random.random() < failure_rate / 2:  # fails after its effect, inside the transaction
                raise Flaky()
            run.finish(session)

    return handle


if __name__ == "__main__":
    url, seconds = sys.argv[1], float(sys.argv[2])
    worker_database = Database(url)
    stop = threading.Event()
    threading.Timer(seconds, stop.set).start()
    run_worker(worker_database, {"probe": make_handler(worker_database)}, stop, idle_seconds=0.05)
