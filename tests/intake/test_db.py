"""The sessions intake.db gives out."""

from sqlalchemy import text
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
