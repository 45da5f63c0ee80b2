"""Counters shared by every instance of the service (docs/design.md#limits-an-attacker-cannot-turn-against-users).

A counter is named by a keyed hash (HMAC-SHA256 under the pepper) of what it counts: an account's email, a city.
Never a client's address, even hashed: per-client counts stay in each process's memory (hotline/throttle.py).
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel


class AttemptCounter(SQLModel, table=True):
    __tablename__ = "attempt_counter"

    # Hex of HMAC-SHA256(pepper, purpose | name): what is counted cannot be read back from a dump.
    key: str = Field(primary_key=True, max_length=64)
    count: int = Field(default=0)
    # When the current window began (fixed-window caps) or when the last failure was counted (sign-in).
    window_started_at: datetime
    # The next attempt is refused before this moment (growing sign-in delays); None when there is no delay.
    blocked_until: datetime | None = None
    # After this moment the counter means nothing any more and is deleted (intake.limits.counters.purge_expired).
    expires_at: datetime = Field(index=True)
