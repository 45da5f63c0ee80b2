"""What the transcription tests share: the Whisper base model joined from its two pinned packages
(hotline.bench.whisper_model), and espeak-ng. Under CI=true a missing one fails the test instead of skipping it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from hotline.bench.whisper_model import ModelUnavailable, assemble
from tests.conftest import in_ci


def _missing(message: str) -> None:
    if in_ci():
        pytest.fail(message + " (CI=true: a missing model or espeak-ng is a failure, not a skip)")
    pytest.skip(message)


def whisper_model(directory: Path) -> Path:
    try:
        return assemble(directory)
    except ModelUnavailable as error:
        _missing(str(error))
        raise


def need_espeak() -> None:
    if shutil.which("espeak-ng") is None:
        _missing("espeak-ng is not installed (apt-get install espeak-ng)")
