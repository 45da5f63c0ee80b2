"""The job handlers this deployment runs (intake.operations.jobs), assembled from settings.

Each feature adds its handlers here: phone recordings, reminders, retention and key rotation.
``hotline worker`` and ``hotline serve --with-worker`` run them.
"""

from __future__ import annotations

from hotline.settings import Settings
from hotline.voice import pipeline as voice_pipeline
from intake.db import Database
from intake.operations import retention
from intake.operations.jobs import Handler, JobRun


def job_handlers(settings: Settings, database: Database) -> dict[str, Handler]:
    handlers: dict[str, Handler] = {}

    def run_retention(run: JobRun) -> None:
        retention.run_retention_job(database, run)

    handlers[retention.RETENTION_JOB] = run_retention
    handlers.update(voice_pipeline.job_handlers(settings, database))
    return handlers


def schedule_recurring_jobs(database: Database) -> None:
    """Put the recurring jobs in the queue if they are not there yet (dedupe keys make this safe to repeat on
    every instance at every start)."""
    with database.write() as session:
        retention.schedule_daily(session)
