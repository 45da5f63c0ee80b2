"""The sessions intake.db gives out."""

import time

import pytest
import sqlalchemy
from sqlalchemy import event, text
from sqlmodel import Session

from intake.db import Database


def test_a_read_of_each_statement_opens_no_transaction_on_postgresql(database: Database) -> None:
    def status(session: Session) -> str:
        return str(session.connection().connection.dbapi_connection.info.transaction_status.name)  # type: ignore[union-attr]

    with database.read_each_statement() as session:
        first = session.connection().execute(text("SELECT 1")).scalar()
        if database.is_sqlite:  # a transaction costs no round trip there: a plain read
            assert first == 1 and session.in_transaction()
            return
        # Outside a transaction block: each statement is its own, and nothing is left open between them.
        assert status(session) == "IDLE"
    with database.read() as session:
        session.connection().execute(text("SELECT 1"))
        assert status(session) == "INTRANS"


def test_a_read_of_each_statement_reads_on_either_database(database: Database) -> None:
    with database.read_each_statement() as session:
        assert session.connection().execute(text("SELECT 41 + 1")).scalar() == 42
    with database.write() as session:  # and the pool's connection goes back to transactions afterwards
        session.connection().execute(text("CREATE TABLE probe (x INTEGER)"))
        session.connection().execute(text("INSERT INTO probe VALUES (1)"))
        session.rollback()
    with database.read() as session:
        assert session.connection().execute(text(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = 'probe'" if not database.is_sqlite
            else "SELECT count(*) FROM sqlite_master WHERE name = 'probe'")).scalar() == 0


def _backend_pid(database: Database) -> int:
    with database.read() as session:
        return int(session.connection().execute(text("SELECT pg_backend_pid()")).scalar_one())


def _statements(database: Database) -> list[str]:
    seen: list[str] = []
    event.listen(database.engine, "before_cursor_execute",
                 lambda _c, _cursor, statement, *_: seen.append(statement))
    return seen


# PostgreSQL only: SQLite has no server to close a pooled connection, and nothing to ping.
ON_POSTGRESQL = pytest.mark.parametrize("database_url", [pytest.param("postgresql", marks=pytest.mark.postgres)],
                                        indirect=True)


@ON_POSTGRESQL
def test_a_connection_postgresql_closed_in_the_pool_is_replaced_before_use(database_url: str) -> None:
    database = Database(database_url, pool_size=1, ping_after_idle_seconds=0.2)
    try:
        killed = _backend_pid(database)
        with sqlalchemy.create_engine(database_url, isolation_level="AUTOCOMMIT").connect() as admin:
            assert admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": killed}).scalar_one()
        time.sleep(0.3)  # a restart takes longer than the idle time: the pooled connection is pinged, found dead
        assert _backend_pid(database) != killed
    finally:
        database.dispose()


@ON_POSTGRESQL
def test_a_connection_back_in_the_pool_a_moment_ago_is_not_pinged(database_url: str) -> None:
    database = Database(database_url, pool_size=1, ping_after_idle_seconds=60)
    try:
        first = _backend_pid(database)
        statements = _statements(database)
        assert _backend_pid(database) == first
        assert statements == ["SELECT pg_backend_pid()"]  # no "SELECT 1" before it
    finally:
        database.dispose()
