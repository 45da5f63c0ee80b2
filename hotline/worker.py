"""The job handlers this deployment runs (intake.jobs), assembled from settings.

Each feature adds its handlers here: phone recordings (issue 5), reminders, retention and key rotation
(issues 4 and 7). ``hotline worker`` and ``hotline serve --with-worker`` run them.
"""

from __future__ import annotations

from hotline.settings import Settings
from hotline.voice import pipeline as voice_pipeline
from intake.db import Database
from intake.jobs import Handler


def job_handlers(settings: Settings, database: Database) -> dict[str, Handler]:
    handlers: dict[str, Handler] = {}
    handlers.update(voice_pipeline.job_handlers(settings, database))
    return handlers
