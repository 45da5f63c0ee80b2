"""Counters in the database (intake.limits.counters): a cap per window, failures in a row with growing delays,
shared by two engines on one database as by two instances, named by a keyed hash, and purged once expired."""

import threading
from datetime import timedelta

import pytest
from sqlmodel import select

from intake.clock import utc_now
from intake.db import Database
from intake.errors import TooManyAttempts
from intake.limits.counters import (
    claim_attempt,
    clear,
    counter_key,
    purge_expired,
    take_from_cap,
    waiting,
)
from intake.models import AttemptCounter

PEPPER = b"p" * 32


def test_a_cap_allows_its_limit_per_window_then_says_when_to_come_back(database):
    key = counter_key(PEPPER, "test", "raytown")
    now = utc_now().replace(minute=7, second=33, microsecond=250)
    for _ in range(3):
        take_from_cap(database, key, limit=3, window=timedelta(hours=1), now=now)
    with pytest.raises(TooManyAttempts) as refused:
        take_from_cap(database, key, limit=3, window=timedelta(hours=1), now=now + timedelta(minutes=20))
    assert refused.value.retry_after_seconds == (60 - 27) * 60 - 33  # the window is the clock's hour
    take_from_cap(database, key, limit=3, window=timedelta(hours=1), now=now + timedelta(hours=1))  # a new window


def test_a_cap_stores_the_top_of_the_hour_not_when_the_first_take_came(database):
    # A city's report cap is taken by every report: the moment its first report of the hour arrived must not be
    # kept (docs/design.md#release-slots).
    key = counter_key(PEPPER, "city-reports", "raytown")
    now = utc_now().replace(minute=41, second=5, microsecond=999)
    take_from_cap(database, key, limit=3, window=timedelta(hours=1), now=now)
    with database.read() as session:
        row = session.get(AttemptCounter, key)
    assert row is not None
    started = row.window_started_at.replace(tzinfo=None)
    expires = row.expires_at.replace(tzinfo=None)
    assert started == now.replace(minute=0, second=0, microsecond=0, tzinfo=None)
    assert expires == started + timedelta(hours=1)


def test_failures_in_a_row_delay_the_next_attempt_and_a_success_clears_them(database):
    key, now = counter_key(PEPPER, "test", "ana@raytown.example"), utc_now()
    delays = {3: 5}
    first = claim_attempt(database, key, delay_after=lambda n: delays.get(n, 0), forget_after=timedelta(days=1),
                          now=now)
    assert (first.failures, first.delay_seconds) == (1, 0)
    claim_attempt(database, key, delay_after=lambda n: delays.get(n, 0), forget_after=timedelta(days=1), now=now)
    third = claim_attempt(database, key, delay_after=lambda n: delays.get(n, 0), forget_after=timedelta(days=1),
                          now=now)
    assert (third.failures, third.delay_seconds) == (3, 5) and waiting(database, key, now=now) == 5
    with pytest.raises(TooManyAttempts) as refused:
        claim_attempt(database, key, delay_after=lambda n: 0, forget_after=timedelta(days=1),
                      now=now + timedelta(seconds=2))
    assert refused.value.retry_after_seconds == 3
    assert claim_attempt(database, key, delay_after=lambda n: 0, forget_after=timedelta(days=1),
                         now=now + timedelta(seconds=5)).failures == 4  # the refused one was not counted
    clear(database, key)
    assert claim_attempt(database, key, delay_after=lambda n: 0, forget_after=timedelta(days=1),
                         now=now).failures == 1


def test_a_count_is_forgotten_and_purged_once_expired(database):
    key, now = counter_key(PEPPER, "test", "old"), utc_now()
    for _ in range(4):
        claim_attempt(database, key, delay_after=lambda n: 0, forget_after=timedelta(hours=24), now=now)
    later = now + timedelta(hours=25)
    kept = counter_key(PEPPER, "test", "recent")
    take_from_cap(database, kept, limit=1, window=timedelta(hours=1), now=later)
    assert purge_expired(database, now=later) == 1
    with database.read() as session:
        assert [row.key for row in session.exec(select(AttemptCounter)).all()] == [kept]
    assert claim_attempt(database, key, delay_after=lambda n: 0, forget_after=timedelta(hours=24),
                         now=later).failures == 1


def test_the_row_names_what_it_counts_by_a_keyed_hash_only(database):
    take_from_cap(database, counter_key(PEPPER, "city-reports", "raytown"), limit=5, window=timedelta(hours=1),
                  now=utc_now())
    with database.read() as session:
        row = session.exec(select(AttemptCounter)).one()
    assert "raytown" not in row.key and len(row.key) == 64
    assert counter_key(b"q" * 32, "city-reports", "raytown") != row.key


def test_two_engines_on_one_database_share_one_count(database_url, database):
    """Two instances are two engines on one database: forty concurrent takes from a cap of ten, split between
    them, are ten in all."""
    other = Database(database_url)
    key, now, taken, lock = counter_key(PEPPER, "test", "shared"), utc_now(), [], threading.Lock()
    start = threading.Barrier(8)

    def take(db: Database) -> None:
        start.wait()
        for _ in range(5):
            try:
                take_from_cap(db, key, limit=10, window=timedelta(hours=1), now=now)
            except TooManyAttempts:
                continue
            with lock:
                taken.append(db is other)

    try:
        threads = [threading.Thread(target=take, args=(database if n % 2 else other,)) for n in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        other.dispose()
    assert len(taken) == 10
