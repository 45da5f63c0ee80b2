"""What the domain needs from configuration. ``hotline.settings`` builds it from the environment."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import TypeVar

from crypto.params import REPORT_KEY_KDF, REVIEWER_PASSWORD_KDF, Argon2Cost
from crypto.server_keys import routing_key
from intake.key_derivation import DerivationThreads

Result = TypeVar("Result")


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
    # The threads every report-key derivation runs on, one per core (intake.key_derivation); None: the caller's.
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
