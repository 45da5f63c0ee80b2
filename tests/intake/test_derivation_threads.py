"""Report-key derivations run on a fixed set of threads, one per core, all started up front
(intake.config.DerivationThreads)."""

import threading
import time

import pytest

from intake.config import DerivationThreads, IntakeConfig


def _derivation_threads() -> set[threading.Thread]:
    # The threads themselves: every DerivationThreads names its threads key-derivation_0, _1 and so on.
    return {thread for thread in threading.enumerate() if thread.name.startswith("key-derivation")}


def test_every_thread_is_started_when_made_and_the_work_runs_on_them() -> None:
    before = _derivation_threads()
    threads = DerivationThreads(3)
    try:
        started = _derivation_threads() - before
        assert len(started) == 3  # before any work: they take their memory arenas before the server is busy
        ran_on = {threads.run(threading.current_thread) for _ in range(30)}
        assert ran_on <= started and threading.current_thread() not in ran_on
    finally:
        threads.close()


def test_no_more_than_one_derivation_per_thread_at_once() -> None:
    threads = DerivationThreads(2)
    running, most = 0, 0
    lock = threading.Lock()

    def work() -> None:
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
        time.sleep(0.02)
        with lock:
            running -= 1

    callers = [threading.Thread(target=threads.run, args=(work,)) for _ in range(8)]
    try:
        for caller in callers:
            caller.start()
        for caller in callers:
            caller.join()
    finally:
        threads.close()
    assert most == 2


def test_the_caller_gets_the_result_or_the_exception() -> None:
    config = IntakeConfig(pepper=b"p" * 32, derivation_threads=DerivationThreads(1))
    try:
        assert config.derive(lambda: 6 * 7) == 42
        with pytest.raises(ValueError, match="wrong key"):
            config.derive(lambda: (_ for _ in ()).throw(ValueError("wrong key")))
    finally:
        assert config.derivation_threads is not None
        config.derivation_threads.close()
    assert IntakeConfig(pepper=b"p" * 32).derive(lambda: threading.current_thread().name) == \
        threading.current_thread().name  # without threads (a command, a test): in the caller
