"""The job handlers this deployment runs (intake.operations.jobs), assembled from settings.

Each feature adds its handlers here: phone recordings, reminders, retention and key rotation.
``hotline worker`` and ``hotline serve --with-worker`` run them.
"""

from __future__ import annotations

from hotline.settings import Settings
from hotline.voice import pipeline as voice_pipeline
from intake.db import Database
from intake.operations import releases, retention
from intake.operations.jobs import Handler, JobRun
from intake.routing import fold_all_legacy_exclusions


def job_handlers(settings: Settings, database: Database) -> dict[str, Handler]:
    handlers: dict[str, Handler] = {}
    routing_key = settings.intake_config().routing_key  # derived once, not at every daily run

    def run_retention(run: JobRun) -> None:
        retention.run_retention_job(database, run, routing_key=routing_key)

    def run_release(run: JobRun) -> None:
        releases.run_release_job(database, run, settings.release_interval_seconds)

    handlers[retention.RETENTION_JOB] = run_retention
    handlers[releases.RELEASE_JOB] = run_release
    handlers.update(voice_pipeline.job_handlers(settings, database))
    return handlers


def schedule_recurring_jobs(database: Database, settings: Settings) -> None:
    """Put the recurring jobs in the queue if they are not there yet (dedupe keys make this safe to repeat on
    every instance at every start), and seal any exclusions left in clear by an older version."""
    with database.write() as session:
        retention.schedule_daily(session)
        releases.schedule_next_release(session, settings.release_interval_seconds)
    fold_all_legacy_exclusions(database, settings.intake_config().routing_key)
