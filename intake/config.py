"""What the domain needs from configuration. ``hotline.settings`` builds it from the environment."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import cached_property
from typing import TypeVar

from crypto.params import REPORT_KEY_KDF, REVIEWER_PASSWORD_KDF, Argon2Cost
from crypto.server_keys import routing_key

Result = TypeVar("Result")


class DerivationThreads:
    """``count`` threads, all started when this is made, that run every report-key derivation given to :meth:`run`.

    A report-key derivation is Argon2id over 19 MiB (crypto.params.REPORT_KEY_KDF), and cryptography runs it with
    the GIL released, so a process spreads derivations over its cores from threads. Which threads matters:

    - At most one per core at once: twenty requests sharing two cores would each take ten times as long and hold
      19 MiB each meanwhile; queued, each runs at full speed.
    - Always the same threads: glibc's malloc gives each thread an arena and keeps a freed 19 MiB block in it for
      the next derivation. Run on whichever of forty request threads was free (a semaphore of one slot per core, as
      before), two derivations at once can share an arena; freeing both leaves more than the trim threshold at its
      top, glibc gives it back to the kernel, and the next derivation faults it in again. Two at once on a pool of
      forty threads took 3,500 page faults and 29 ms of CPU a derivation, against none and 20 ms on two threads of
      their own; the served app faulted less (133 a report under `hotline bench intake`, 4 with these threads).
      Threads that only derive, started together before the request threads exist, each get an arena of their own.
    """

    def __init__(self, count: int) -> None:
        count = max(1, count)
        self._executor = ThreadPoolExecutor(count, thread_name_prefix="key-derivation")
        # The executor starts a thread only when none is idle: each of these waits for all the others, so every
        # thread is started now (and takes its arena now), not when the server is already busy.
        started = threading.Barrier(count)
        for waiting in [self._executor.submit(started.wait) for _ in range(count)]:
            waiting.result()

    def run(self, work: Callable[[], Result]) -> Result:
        """``work()`` on one of the threads; the caller waits (without the GIL) and gets its result or exception."""
        return self._executor.submit(work).result()

    def close(self) -> None:
        self._executor.shutdown(wait=False)


@dataclass(frozen=True)
class IntakeConfig:
    # The server secret for report-key lookups (crypto.report_keys.report_key_lookup). Never in the database.
    pepper: bytes
    reviewer_kdf: Argon2Cost = REVIEWER_PASSWORD_KDF
    report_key_kdf: Argon2Cost = REPORT_KEY_KDF
    max_narrative_chars: int = 50_000
    max_message_chars: int = 20_000
    # A reviewer session ends after this many idle seconds (30 minutes, docs/design.md#sessions).
    session_idle_seconds: int = 30 * 60
    # And this many seconds after it began, however busy (12 hours).
    session_max_seconds: int = 12 * 3600
    # The threads every report-key derivation runs on, one per core (DerivationThreads); None: the caller's.
    derivation_threads: DerivationThreads | None = field(default=None, compare=False, repr=False)

    # Sign-in attempts (intake.accounts.authentication): from this many failures in a row on, each failure makes
    # the next attempt wait longer (1, 2, 4 ... seconds), never more than sign_in_max_delay_seconds. No lock.
    sign_in_free_failures: int = 3
    sign_in_max_delay_seconds: int = 30
    # Reports a city accepts an hour, counted in the database across instances (intake.reports.submission).
    reports_per_city_per_hour: int = 500
    # WebAuthn relying party (intake.accounts.passkeys): the host name passkeys are bound to, and the origin
    # browsers sign for; both from HOTLINE_PUBLIC_URL.
    webauthn_rp_id: str = "localhost"
    webauthn_origin: str = "http://localhost:8000"
    # New cases and reporters' messages reach reviewers at the release slots, every this many seconds from
    # midnight UTC (docs/design.md#release-slots); one hour: the top of each hour. 0 releases everything at once,
    # which gives arrival order away: only the test suite may (hotline.settings refuses it elsewhere).
    release_interval_seconds: int = 3600

    def derive(self, work: Callable[[], Result]) -> Result:
        """``work()``, which derives a report key, on the derivation threads (or in the caller without them)."""
        return self.derivation_threads.run(work) if self.derivation_threads is not None else work()

    @property
    def release_at_once(self) -> bool:
        return self.release_interval_seconds == 0

    @cached_property
    def routing_key(self) -> bytes:
        """The key of each city's sealed routing exceptions (intake.routing.RoutingSet), from the pepper (derived
        once per configuration: every report re-seals its city's set with it)."""
        return routing_key(self.pepper)
