"""The database-backed job table (docs/design.md#operations-and-scale-out): recording fetches, reminders, retention,
rotation.

A payload holds identifiers only (a recording SID, a city id), never content and never anything about a
caller; it is emptied when the job is done, so a call SID lives only until its job is finished.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

QUEUED = "queued"
RUNNING = "running"
DONE = "done"
FAILED = "failed"


class Job(SQLModel, table=True):
    __tablename__ = "job"
    __table_args__ = (Index("ix_job_state_run_after", "state", "run_after"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=64, index=True)
    payload: str = Field(default="{}")
    state: str = Field(max_length=16, default=QUEUED)
    attempts: int = Field(default=0)
    max_attempts: int = Field(default=12)
    run_after: datetime
    # Set while a worker holds the job. Finishing checks the token, so a worker whose lease ran out and was
    # taken over cannot also commit the job's effect.
    lease_token: str | None = Field(default=None, max_length=32)
    lease_until: datetime | None = None
    # Enqueueing the same key twice is a no-op (a replayed webhook, a daily job already scheduled).
    dedupe_key: str | None = Field(default=None, max_length=128, unique=True)
    created_at: datetime
    finished_at: datetime | None = None
    # The exception type of the last failure, never its message (messages can quote content).
    last_error: str | None = Field(default=None, max_length=200)
