"""In-memory attempt counting without tracking (docs/design.md#threat-model-and-anonymity-rules, rule 1).

A client is known only by a keyed hash of its address, under a key that lives in memory and is replaced every
hour together with every count, so nothing links a visitor across hours and nothing reaches disk or logs.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable

KEY_LIFETIME_SECONDS = 3600
MAX_TRACKED_CLIENTS = 100_000


class Throttle:
    def __init__(self, limit: int, window_seconds: float, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self.window = window_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._rotate(clock())

    def _rotate(self, now: float) -> None:
        self._key = os.urandom(32)
        self._key_born = now
        self._attempts: OrderedDict[bytes, deque[float]] = OrderedDict()

    def tag(self, address: str | None) -> bytes:
        """The keyed hash that stands for an address for at most an hour. The address is not kept."""
        with self._lock:
            if self._clock() - self._key_born > KEY_LIFETIME_SECONDS:
                self._rotate(self._clock())
            return hmac.new(self._key, (address or "-").encode(), hashlib.sha256).digest()[:16]

    def waiting(self, tag: bytes) -> float | None:
        """Like :meth:`attempt`, without counting: ``None`` if an attempt would be allowed now."""
        now = self._clock()
        with self._lock:
            times = self._attempts.get(tag)
            while times and now - times[0] > self.window:
                times.popleft()
            if times is not None and len(times) >= self.limit:
                return max(1.0, self.window - (now - times[0]))
            return None

    def attempt(self, tag: bytes) -> float | None:
        """Count one attempt. ``None`` if allowed; otherwise the seconds until the next one is."""
        now = self._clock()
        with self._lock:
            times = self._attempts.get(tag)
            if times is None:
                times = self._attempts[tag] = deque()
                if len(self._attempts) > MAX_TRACKED_CLIENTS:
                    self._attempts.popitem(last=False)
            self._attempts.move_to_end(tag)
            while times and now - times[0] > self.window:
                times.popleft()
            if len(times) >= self.limit:
                return max(1.0, self.window - (now - times[0]))
            times.append(now)
            return None
