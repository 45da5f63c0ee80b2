"""The threads that run report-key derivations: one per core, started together, reused for every derivation.

A report-key derivation is Argon2id over 19 MiB (crypto.params.REPORT_KEY_KDF), and cryptography runs it with the
GIL released, so a process can spread derivations over every core from threads. Which threads matters:

- **At most one per core at once.** Twenty requests sharing two cores would each take ten times as long and hold
  19 MiB each meanwhile; queued, each runs at full speed.
- **Always the same threads.** glibc's malloc gives each thread an arena and keeps a freed 19 MiB block in it for
  the next derivation. Run on whichever of forty request threads was free (as with a semaphore of one slot per
  core), two derivations at once can share an arena; freeing both leaves more than the trim threshold at its top,
  glibc gives it back to the kernel, and the next derivation faults it in again. Two at once on a pool of forty
  threads took 3,500 page faults and 29 ms of CPU a derivation against none and 20 ms on two threads of their own
  (issue 20). The served app faulted less (133 a report under `hotline bench intake`, 4 with these threads), but
  threads that only derive, started together before the request threads exist, each get an arena of their own.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

Result = TypeVar("Result")


class DerivationThreads:
    """``count`` threads, all started when this is made, that run the work given to :meth:`run` in turn."""

    def __init__(self, count: int) -> None:
        self.count = max(1, count)
        self._executor = ThreadPoolExecutor(self.count, thread_name_prefix="key-derivation")
        # The executor starts a thread only when none is idle: each of these waits for all the others, so every
        # thread is started now (and takes its arena now), not when the server is already busy.
        started = threading.Barrier(self.count)
        for waiting in [self._executor.submit(started.wait) for _ in range(self.count)]:
            waiting.result()

    def run(self, work: Callable[[], Result]) -> Result:
        """``work()`` on one of the threads; the caller waits (without the GIL) and gets its result or exception."""
        return self._executor.submit(work).result()

    def close(self) -> None:
        self._executor.shutdown(wait=False)
