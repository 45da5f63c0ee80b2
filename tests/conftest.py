"""Fixtures shared by the whole suite.

Every test that takes ``database`` runs on SQLite, and again on PostgreSQL when HOTLINE_TEST_DATABASE_URL is
set. Under CI=true a missing PostgreSQL fails the test instead of skipping it.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy

from crypto.params import Argon2Cost
from intake.config import IntakeConfig
from intake.db import Database, normalize_url

# Tests lower the KDF cost through configuration only (docs/design.md#cryptography); the constants stay as they are.
TEST_KDF = Argon2Cost(memory_kib=256, iterations=1, lanes=1)
TEST_PEPPER = b"test-pepper-" + b"p" * 32


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def postgres_url_or_skip() -> str:
    url = os.environ.get("HOTLINE_TEST_DATABASE_URL", "")
    if url.startswith(("postgresql", "postgres:")):
        return normalize_url(url)
    message = "PostgreSQL tests need HOTLINE_TEST_DATABASE_URL=postgresql://..."
    if in_ci():
        pytest.fail(message + " (CI=true: a missing PostgreSQL is a failure, not a skip)")
    pytest.skip(message)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A URL for an empty database of each kind. PostgreSQL gets a fresh schema per test, dropped after."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'hotline.sqlite3'}"
        return
    base = postgres_url_or_skip()
    schema = "t_" + uuid.uuid4().hex[:16]
    admin = sqlalchemy.create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql(f"CREATE SCHEMA {schema}")
    except sqlalchemy.exc.OperationalError as error:
        admin.dispose()
        pytest.fail(f"PostgreSQL at HOTLINE_TEST_DATABASE_URL is not reachable: {error.orig}")
    separator = "&" if "?" in base else "?"
    try:
        yield f"{base}{separator}options=-csearch_path%3D{schema}"
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
        admin.dispose()


@pytest.fixture
def database(database_url: str) -> Iterator[Database]:
    db = Database(database_url)
    db.create_schema()
    try:
        yield db
    finally:
        db.dispose()


@pytest.fixture
def config() -> IntakeConfig:
    # Release slots off: most tests read a report as soon as it is made. Tests of the slots turn them on
    # (tests/intake/reports/test_release.py), as does the confidentiality scan.
    return IntakeConfig(pepper=TEST_PEPPER, reviewer_kdf=TEST_KDF, report_key_kdf=TEST_KDF, release_interval_seconds=0)



@pytest.fixture(autouse=True)
def every_pdf_is_laid_out_cleanly(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[bytes]]:
    """Every PDF a test makes in this process (case exports, annual reports, in any language) is read back for
    overlapping text and text past the margins (tests/hotline/exports/pdf_layout.py); the test fails if any is
    found. Yields the PDFs made, for tests that look at them."""
    from hotline.exports.pdf import Document

    made: list[bytes] = []
    original = Document.output_bytes

    def output_bytes(self: Document) -> bytes:
        body = original(self)
        made.append(body)
        return body

    monkeypatch.setattr(Document, "output_bytes", output_bytes)
    yield made
    if made:
        from tests.hotline.exports.pdf_layout import layout_problems

        problems = [problem for index, body in enumerate(made) for problem in layout_problems(body, f"PDF {index + 1}")]
        assert problems == [], "\n".join(problems)


@pytest.fixture(scope="session")
def whisper_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The Whisper base model (CTranslate2) joined from the pinned test packages, once per test process."""
    from tests.transcription_support import whisper_model

    return whisper_model(tmp_path_factory.mktemp("whisper-base"))
