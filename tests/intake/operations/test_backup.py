"""Backups: a backup restored into an empty database gives back every case, readable by its
reviewers, with the audit chain intact; restores refuse a database that is not empty."""

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy
from sqlalchemy.engine import make_url

from intake.accounts.reviewers import add_reviewer, sign_in
from intake.accounts.sessions import resume_session, start_session
from intake.audit import verify_city
from intake.casework import cases as casework
from intake.cities import create_city, find_city, list_cities, open_city_key_with_recovery_key
from intake.db import Database
from intake.operations import backup
from intake.operations.migrate import current_revisions, head_revisions, upgrade
from intake.reports.submission import submit_report
from tests.conftest import postgres_url_or_skip

PASSWORD = "a long enough password"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def two_databases(request, tmp_path) -> Iterator[tuple[Database, Database]]:
    """A source and an empty target database of one kind (whole PostgreSQL databases: pg_dump takes one)."""
    if request.param == "sqlite":
        pair = tuple(Database(f"sqlite:///{tmp_path / name}") for name in ("source.sqlite3", "target.sqlite3"))
        yield pair
        for database in pair:
            database.dispose()
        return
    base = make_url(postgres_url_or_skip())
    names = [f"hotline_bk_{uuid.uuid4().hex[:10]}" for _ in range(2)]
    admin = sqlalchemy.create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        for name in names:
            connection.exec_driver_sql(f"CREATE DATABASE {name}")
    pair = tuple(Database(base.set(database=name).render_as_string(hide_password=False)) for name in names)
    try:
        yield pair
    finally:
        for database in pair:
            database.dispose()
        with admin.connect() as connection:
            for name in names:
                connection.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.dispose()


def readable_texts(database, config, email) -> list[str]:
    signed_in = sign_in(database, config, email, PASSWORD)
    context = resume_session(database, config, start_session(database, signed_in, signed_in.memberships[0].city_id))
    return sorted(casework.read_case(database, context, case.case_id).items[0].text
                  for case in casework.list_cases(database, context).cases)


def test_restore_into_an_empty_database_gives_back_every_case(two_databases, config, tmp_path):
    source, target = two_databases
    upgrade(source)
    expected = {}
    for slug in ("raytown", "grandview"):
        created = create_city(source, slug, slug.title())
        key = open_city_key_with_recovery_key(find_city(source, slug), created.recovery_key)
        add_reviewer(source, config, city_slug=slug, email=f"ethics@{slug}.example", display_name="Officer",
                     password=PASSWORD, role="reviewer", city_private_key=key)
        expected[slug] = sorted(f"{slug} case {n}" for n in range(3))
        for text in expected[slug]:
            submit_report(source, config, city_slug=slug, category="safety", narrative=text)

    made = backup.backup(source, tmp_path / "backups" / "hotline.backup")
    assert made.path.stat().st_mode & 0o077 == 0  # readable by its owner only
    assert backup.restore(made.path, target) == made.kind

    assert current_revisions(target) == head_revisions()
    for slug, texts in expected.items():
        assert readable_texts(target, config, f"ethics@{slug}.example") == texts
    with target.read() as session:
        assert all(verify_city(session, city).ok for city in list_cities(target))
    with pytest.raises(backup.BackupError, match="already has tables"):
        backup.restore(made.path, target)


def test_restore_refuses_what_is_not_a_backup_of_this_kind(tmp_path, database):
    junk = tmp_path / "junk.backup"
    junk.write_bytes(b"not a backup")
    with pytest.raises(backup.BackupError, match="not a hotline backup"):
        backup.restore(junk, database)
    other = tmp_path / "other.backup"
    other.write_bytes(backup.PG_CUSTOM_MAGIC if database.is_sqlite else backup.SQLITE_MAGIC)
    with pytest.raises(backup.BackupError, match="same kind"):
        backup.restore(other, database)
    with pytest.raises(backup.BackupError, match="Cannot read"):
        backup.restore(Path(tmp_path / "missing"), database)
