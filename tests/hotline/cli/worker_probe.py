"""``hotline worker`` exactly as an operator runs it, with the probe job of tests.intake.operations.job_probe
added to the handlers that hotline.worker assembles (the only difference from the real command).

Run as ``python -m tests.hotline.cli.worker_probe [worker options]`` with HOTLINE_* in the environment.
"""

from __future__ import annotations

import os
import sys

from hotline import worker
from hotline.cli.main import main
from tests.intake.operations.job_probe import make_handler

_assemble = worker.job_handlers


def with_probe(settings, database):
    handlers = _assemble(settings, database)
    handlers["probe"] = make_handler(database, float(os.environ.get("PROBE_FAILURE_RATE", "0.2")))
    return handlers


if __name__ == "__main__":
    worker.job_handlers = with_probe
    sys.exit(main(["worker", *sys.argv[1:]]))
