"""The Alembic migrations build exactly the schema the models describe, on both databases."""

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlmodel import SQLModel

from intake.db import Database
from intake.migrate import current_revisions, head_revisions, upgrade


def test_upgrade_to_head_matches_the_models(database_url):
    database = Database(database_url)
    try:
        upgrade(database)
        assert current_revisions(database) == head_revisions()
        with database.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            differences = compare_metadata(context, SQLModel.metadata)
        assert differences == []
        upgrade(database)  # running it again is a no-op
    finally:
        database.dispose()


def test_one_head_only():
    assert len(head_revisions()) == 1
