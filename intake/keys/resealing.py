"""The HPKE work of a key rotation on every core (docs/design.md#key-rotation).

Opening and sealing a data key holds Python's GIL (cryptography's HPKE does not release it), so threads cannot
spread it over cores; a rotation hands its batches to worker processes instead. They are started fresh (``spawn``:
nothing of the parent's memory, connections or threads is copied into them) and import only this module and
``crypto``. Each batch carries the old private key and the new public key through the pool's pipe, never through
a file; a worker holds them only while it works and ends with the rotation. On Linux a worker is also killed when
the rotation's process dies, so a rotation killed half-way (``SIGKILL``) leaves no worker behind.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import multiprocessing
import signal
import sys
from collections.abc import Iterator
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor

from crypto import hpke_keys
from crypto.sealing import ItemContext, reseal_for_new_city_key

_PR_SET_PDEATHSIG = 1  # prctl(2)


def _die_with_parent() -> None:
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


def reseal_batch(old_private_key: bytes, new_public_key: bytes, sealed: list[tuple[bytes, ItemContext]]) -> list[bytes]:
    """Each (key sealed to the old city key, its item's context) sealed to the new key instead, in order."""
    old = hpke_keys.load_private_key(old_private_key)
    new = hpke_keys.load_public_key(new_public_key)
    return [reseal_for_new_city_key(key, context, old, new) for key, context in sealed]


@contextlib.contextmanager
def resealers(workers: int) -> Iterator[Executor]:
    """Where batches are re-sealed: ``workers`` processes, or (for one) a thread of this process."""
    if workers <= 1:
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="resealer") as thread:
            yield thread
        return
    pool: Executor = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
                               initializer=_die_with_parent)
    try:
        yield pool
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
