"""The sessions intake.db gives out."""

import time
from collections.abc import Iterator
from datetime import date, datetime

import pytest
import sqlalchemy
from sqlalchemy import bindparam, event, insert, select, text
from sqlmodel import Session

from intake.db import Database, run_on_driver, sent_as_one


def test_a_read_of_each_statement_opens_no_transaction_on_postgresql(database: Database) -> None:
    def status(connection: sqlalchemy.Connection) -> str:
        return str(connection.connection.dbapi_connection.info.transaction_status.name)  # type: ignore[union-attr]

    with database.read_each_statement() as connection:
        first = connection.execute(text("SELECT 1")).scalar()
        if database.is_sqlite:  # a transaction costs no round trip there: a plain read
            assert first == 1 and connection.in_transaction()
            return
        # Outside a transaction block: each statement is its own, and nothing is left open between them.
        assert status(connection) == "IDLE"
    with database.read() as session:
        session.connection().execute(text("SELECT 1"))
        assert status(session.connection()) == "INTRANS"


def test_a_read_of_each_statement_reads_on_either_database(database: Database) -> None:
    with database.read_each_statement() as connection:
        assert connection.execute(text("SELECT 41 + 1")).scalar() == 42
        # The hot reads run on the driver there, as in a session.
        assert run_on_driver(connection, select(sqlalchemy.literal(7).label("seven")), {}).scalar() == 7
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


@pytest.fixture
def probe(database: Database) -> Iterator[sqlalchemy.Table]:
    """A table with every kind of value a report's statements carry: SQLite keeps dates, times and booleans as text
    and integers, and SQLAlchemy converts them both ways; the driver's cursor must be given and give back the same."""
    table = sqlalchemy.Table(
        "driver_probe", sqlalchemy.MetaData(),
        sqlalchemy.Column("id", sqlalchemy.String(20), primary_key=True),
        sqlalchemy.Column("day", sqlalchemy.Date), sqlalchemy.Column("at", sqlalchemy.DateTime),
        sqlalchemy.Column("flag", sqlalchemy.Boolean), sqlalchemy.Column("blob", sqlalchemy.LargeBinary),
        sqlalchemy.Column("count", sqlalchemy.Integer, default=7))
    table.create(database.engine)
    try:
        yield table
    finally:
        table.drop(database.engine)


# A row whose bytes stand for a report's words, which no error message may show.
SECRET_ROW = {"id": "a", "day": None, "at": None, "flag": True, "blob": b"the words of a report", "count": 1}


def _count(session: Session, table: sqlalchemy.Table) -> int:
    return int(run_on_driver(session, select(sqlalchemy.func.count()).select_from(table), {}).scalar())


def test_a_statement_on_the_driver_stores_and_reads_what_sqlalchemy_does(database: Database,
                                                                         probe: sqlalchemy.Table) -> None:
    rows = [{"id": "a", "day": date(2026, 12, 6), "at": datetime(2026, 12, 6, 15, 33, 25), "flag": True,
             "blob": b"\x00\xff", "count": 1},
            {"id": "b", "day": None, "at": None, "flag": False, "blob": None, "count": 2}]
    query = select(probe).where(probe.c.id == bindparam("id"))
    with database.write() as session:
        assert run_on_driver(session, insert(probe), rows).rowcount == 2
        session.connection().execute(insert(probe), {**rows[0], "id": "c"})  # the same row, by SQLAlchemy
    with database.read() as session:
        for key in ("a", "b"):
            by_driver = run_on_driver(session, query, {"id": key}).one()
            by_sqlalchemy = tuple(session.connection().execute(query, {"id": key}).one())
            assert by_driver == by_sqlalchemy == tuple(rows[0 if key == "a" else 1].values())
        # What SQLAlchemy stored, the driver reads; and what the driver stored compares equal in SQL.
        assert run_on_driver(session, query, {"id": "c"}).one()[1:] == run_on_driver(session, query,
                                                                                      {"id": "a"}).one()[1:]
        same = select(probe.c.id).where(probe.c.day == bindparam("day"), probe.c.at == bindparam("at"),
                                        probe.c.flag == bindparam("flag"))
        found = run_on_driver(session, same, {"day": rows[0]["day"], "at": rows[0]["at"], "flag": True}).rows
        assert {row[0] for row in found} == {"a", "c"}


def test_a_statement_that_needs_more_than_its_sql_is_refused_before_it_runs(database: Database,
                                                                           probe: sqlalchemy.Table) -> None:
    with database.write() as session:
        # "count" has a Python-side default, which only SQLAlchemy's execution fills in.
        with pytest.raises(sqlalchemy.exc.ArgumentError, match="count"):
            run_on_driver(session, insert(probe), {"id": "a"})
        # A list in IN (...) is expanded at execution.
        with pytest.raises(sqlalchemy.exc.ArgumentError, match="IN"):
            run_on_driver(session, select(probe.c.id).where(probe.c.id.in_(["a", "b"])), {})
    with database.read() as session:
        assert _count(session, probe) == 0


def test_a_statement_on_the_driver_fails_as_sqlalchemy_would_and_without_its_values(database: Database,
                                                                                    probe: sqlalchemy.Table) -> None:
    with pytest.raises(sqlalchemy.exc.IntegrityError) as refused, database.write() as session:
        run_on_driver(session, insert(probe), [SECRET_ROW, SECRET_ROW])
    assert "the words of a report" not in str(refused.value) and "blob" in str(refused.value)
    with database.read() as session:  # rolled back, and the session's connection is fit for use again
        assert _count(session, probe) == 0


def test_a_pipeline_sends_what_needs_no_answer_and_still_answers_a_read(database: Database,
                                                                        probe: sqlalchemy.Table) -> None:
    with database.write() as session:
        with sent_as_one(session):
            run_on_driver(session, insert(probe), SECRET_ROW)
            run_on_driver(session, insert(probe), {**SECRET_ROW, "id": "b"})
            # A read in the block waits for what was sent before it, and gets its rows.
            assert _count(session, probe) == 2
            run_on_driver(session, insert(probe), {**SECRET_ROW, "id": "c"})
        assert _count(session, probe) == 3
    # A failure in the block surfaces by its end at the latest, as SQLAlchemy's exception, and nothing of the
    # transaction is kept.
    with pytest.raises(sqlalchemy.exc.IntegrityError) as refused, database.write() as session:
        run_on_driver(session, insert(probe), {**SECRET_ROW, "id": "d"})
        with sent_as_one(session):
            run_on_driver(session, insert(probe), SECRET_ROW)
    assert "the words of a report" not in str(refused.value)
    with database.read() as session:
        assert _count(session, probe) == 3


@pytest.fixture
def probe_child(database: Database, probe: sqlalchemy.Table) -> Iterator[sqlalchemy.Table]:
    """A table whose rows refer to the probe's, and one with an upsert, as a report's last statements are."""
    table = sqlalchemy.Table(
        "driver_probe_child", sqlalchemy.MetaData(),
        sqlalchemy.Column("id", sqlalchemy.String(20), primary_key=True),
        sqlalchemy.Column("probe_id", sqlalchemy.String(20), sqlalchemy.ForeignKey(probe.c.id), nullable=False),
        sqlalchemy.Column("n", sqlalchemy.Integer, nullable=False))
    table.create(database.engine)
    try:
        yield table
    finally:
        table.drop(database.engine)


def _upsert_child(database: Database, table: sqlalchemy.Table):
    from intake.db import insert_on_conflict

    statement = insert_on_conflict("postgresql" if not database.is_sqlite else "sqlite", table)
    return statement.on_conflict_do_update(index_elements=["id"], set_={"n": table.c.n + statement.excluded.n})


def test_inserts_sent_as_one_store_what_each_would_and_keep_their_order(database: Database, probe: sqlalchemy.Table,
                                                                        probe_child: sqlalchemy.Table) -> None:
    rows = [{**SECRET_ROW, "id": key} for key in ("p1", "p2", "p3")]
    with database.write() as session, sent_as_one(session):
        run_on_driver(session, insert(probe), rows)  # several rows of one INSERT
        # A row that refers to a row inserted by another part of the same statement.
        run_on_driver(session, _upsert_child(database, probe_child), {"id": "c1", "probe_id": "p2", "n": 1})
        # A second INSERT into a table with one waiting goes after it, and so does SQLAlchemy's own read.
        run_on_driver(session, insert(probe), {**SECRET_ROW, "id": "p4"})
        assert session.connection().execute(select(sqlalchemy.func.count()).select_from(probe)).scalar() == 4
        run_on_driver(session, _upsert_child(database, probe_child), {"id": "c1", "probe_id": "p2", "n": 10})
    with database.read() as session:
        stored = {row[0]: row[1:] for row in session.connection().execute(select(probe))}
        assert set(stored) == {"p1", "p2", "p3", "p4"}
        assert stored["p1"] == (None, None, True, b"the words of a report", 1)
        assert list(session.connection().execute(select(probe_child))) == [("c1", "p2", 11)]


@ON_POSTGRESQL
def test_inserts_sent_as_one_reach_postgresql_as_one_statement(database_url: str, tmp_path) -> None:
    database = Database(database_url, pool_size=1)
    metadata = sqlalchemy.MetaData()
    parent = sqlalchemy.Table("one_parent", metadata, sqlalchemy.Column("id", sqlalchemy.String(20), primary_key=True))
    child = sqlalchemy.Table("one_child", metadata, sqlalchemy.Column("id", sqlalchemy.String(20), primary_key=True),
                             sqlalchemy.Column("parent_id", sqlalchemy.String(20), sqlalchemy.ForeignKey(parent.c.id)))
    metadata.create_all(database.engine)
    trace = tmp_path / "protocol.trace"
    try:
        with database.write() as session, trace.open("w") as traced:
            driver = session.connection().connection.driver_connection
            driver.pgconn.trace(traced.fileno())  # type: ignore[union-attr]
            with sent_as_one(session):
                run_on_driver(session, insert(parent), [{"id": "a"}, {"id": "b"}])
                run_on_driver(session, insert(child), [{"id": "x", "parent_id": "b"}])
            driver.pgconn.untrace()  # type: ignore[union-attr]
        sent = [line.split("\t") for line in trace.read_text().splitlines()]
        # The transaction's BEGIN, then one statement for both INSERTs and their three rows.
        executed = [fields[3:] for fields in sent if len(fields) > 3 and fields[1] == "F" and fields[3].strip() in (
            "Execute", "Query")]
        assert executed[0] == ["Query", ' "BEGIN"'] and len(executed) == 2, executed
        with database.read() as session:
            assert session.connection().execute(select(child.c.parent_id)).scalar() == "b"
        # A failing part fails the whole statement, as SQLAlchemy's exception, and nothing is kept.
        with pytest.raises(sqlalchemy.exc.IntegrityError), database.write() as session, sent_as_one(session):
            run_on_driver(session, insert(parent), {"id": "c"})
            run_on_driver(session, insert(child), {"id": "y", "parent_id": "no such parent"})
        with database.read() as session:
            assert session.connection().execute(select(sqlalchemy.func.count()).select_from(parent)).scalar() == 2
    finally:
        metadata.drop_all(database.engine)
        database.dispose()


def test_writers_in_one_process_queue_for_sqlite_instead_of_sleeping_in_its_busy_handler(tmp_path) -> None:
    """A second writer waits for the first on the process's own lock: while the first holds the database, the
    second has not even taken a connection (so it cannot be sleeping in SQLite's busy handler on one), and it
    writes once the first is done."""
    import threading

    database = Database(f"sqlite:///{tmp_path / 'writers.sqlite3'}")
    database.create_schema()
    first_holds, first_may_end = threading.Event(), threading.Event()

    def write(name: str, hold: bool) -> None:
        with database.write() as session:
            session.connection().execute(text("CREATE TABLE IF NOT EXISTS probe (x TEXT)"))
            session.connection().execute(text("INSERT INTO probe VALUES (:x)"), {"x": name})
            if hold:
                first_holds.set()
                first_may_end.wait(10)

    try:
        first = threading.Thread(target=write, args=("first", True))
        second = threading.Thread(target=write, args=("second", False))
        first.start()
        assert first_holds.wait(10)
        second.start()
        time.sleep(0.3)  # ample for the second to take a connection and begin, were it not waiting for the first
        assert database.engine.pool.checkedout() == 1  # type: ignore[attr-defined]
        first_may_end.set()
        first.join(10)
        second.join(10)
        with database.read() as session:
            assert sorted(session.connection().execute(text("SELECT x FROM probe")).scalars()) == ["first", "second"]
    finally:
        first_may_end.set()
        database.dispose()


def test_reads_sent_together_answer_as_each_would_alone_and_fail_as_sqlalchemy_would(database: Database) -> None:
    from intake.db import run_together

    seven = select(sqlalchemy.literal(7).label("seven"))
    doubled = select((bindparam("n", type_=sqlalchemy.Integer) * 2).label("doubled"))
    with database.read_each_statement() as connection:
        together = run_together(connection, [(seven, {}), None, (doubled, {"n": 21})])
        alone = [run_on_driver(connection, seven, {}), None, run_on_driver(connection, doubled, {"n": 21})]
        assert together == alone and together[2] is not None and together[2].scalar() == 42
        with pytest.raises(sqlalchemy.exc.DBAPIError):
            run_together(connection, [(seven, {}), (text("SELECT * FROM no_such_table"), {})])
    with database.read_each_statement() as connection:  # and the pool's connection still reads afterwards
        assert run_together(connection, [(seven, {})])[0] == run_on_driver(connection, seven, {})


def test_statements_that_begin_a_transaction_are_atomic_with_the_rest_of_it(database: Database,
                                                                            probe: sqlalchemy.Table) -> None:
    from intake.db import run_together

    inserted = insert(probe)
    counted = select(sqlalchemy.func.count().label("n")).select_from(probe)
    row = {**SECRET_ROW, "flag": False}
    # A failure after them rolls back what they wrote, as it would had each been sent alone.
    with pytest.raises(RuntimeError), database.write() as session:
        first, count = run_together(session, [(inserted, {**row, "id": "x"}), (counted, {})])
        assert first is not None and first.rowcount == 1 and count is not None and count.scalar() == 1
        run_on_driver(session, inserted, {**row, "id": "y"})
        raise RuntimeError("after the statements sent together")
    with database.write() as session:
        assert _count(session, probe) == 0
        # A failing statement among them fails as SQLAlchemy's error, and the transaction with it.
    with pytest.raises(sqlalchemy.exc.IntegrityError), database.write() as session:
        run_together(session, [(inserted, {**row, "id": "z"}), (inserted, {**row, "id": "z"})])
    with database.write() as session:
        assert _count(session, probe) == 0
        run_together(session, [(inserted, {**row, "id": "kept"})])
    # Every connection of the pool goes back to transactions of its own: a write after them is one transaction.
    for _ in range(2 * 10 + 1):
        with pytest.raises(RuntimeError), database.write() as session:
            run_on_driver(session, inserted, {**row, "id": "gone"})
            if not database.is_sqlite:
                assert session.connection().connection.dbapi_connection.autocommit is False  # type: ignore[union-attr]
            raise RuntimeError("roll it back")
    with database.read() as session:
        assert list(session.connection().execute(select(probe.c.id)).scalars()) == ["kept"]


@ON_POSTGRESQL
def test_statements_that_begin_a_transaction_go_with_its_begin_in_one_round_trip(database_url: str,
                                                                                 tmp_path) -> None:
    from intake.db import run_together

    database = Database(database_url, pool_size=1)
    trace = tmp_path / "protocol.trace"
    try:
        with database.write() as session, trace.open("w") as traced:
            driver = session.connection().connection.driver_connection
            driver.pgconn.trace(traced.fileno())  # type: ignore[union-attr]  (libpq's PQtrace: every message)
            one, two = run_together(session, [(select(sqlalchemy.literal(1).label("a")), {}),
                                              (select(sqlalchemy.literal(2).label("b")), {})])
            driver.pgconn.untrace()  # type: ignore[union-attr]
            assert one is not None and one.scalar() == 1 and two is not None and two.scalar() == 2
            assert driver.info.transaction_status.name == "INTRANS"  # type: ignore[union-attr]
        sent = [line.split("\t") for line in trace.read_text().splitlines()]
        to_server = [fields[3].strip() for fields in sent if len(fields) > 3 and fields[1] == "F"]
        # BEGIN and both statements, then one Sync: one round trip (psycopg alone sends BEGIN with a Sync of its own).
        assert to_server.count("Sync") == 1 and any("BEGIN" in "\t".join(fields) for fields in sent)
    finally:
        database.dispose()


def _statements_as_one(database: Database, probe: sqlalchemy.Table, probe_child: sqlalchemy.Table) -> list:
    """Reads of every kind of value, a read of several rows in a set order, nothing, an upsert that returns its row
    and an INSERT that returns nothing: what a report's statements under its city lock are made of."""
    newest_first = select(probe.c.id, probe.c.count).order_by(probe.c.count.desc())
    one_row = select(probe).where(probe.c.id == bindparam("id"))
    upsert = _upsert_child(database, probe_child)
    return [(one_row, {"id": "b"}), (newest_first, {}), None,
            (upsert.returning(probe_child.c.id, probe_child.c.n), {"id": "c1", "probe_id": "a", "n": 5}),
            (insert(probe_child), {"id": "c2", "probe_id": "b", "n": 1})]


def test_statements_as_one_answer_as_each_would_alone(database: Database, probe: sqlalchemy.Table,
                                                       probe_child: sqlalchemy.Table) -> None:
    from intake.db import run_together

    rows = [{"id": "a", "day": date(2026, 12, 7), "at": datetime(2026, 12, 7, 13, 5), "flag": True,
             "blob": b"\x00\xff", "count": 1},
            {"id": "b", "day": None, "at": None, "flag": False, "blob": None, "count": 3},
            {**SECRET_ROW, "id": "c", "count": 2}]
    answers = []
    for as_one_from in (None, 1):  # each alone, then all but the first as one
        with database.write() as session:
            run_on_driver(session, insert(probe), rows)
            answers.append(run_together(session, _statements_as_one(database, probe, probe_child),
                                        as_one_from=as_one_from))
            stored = list(session.connection().execute(select(probe_child).order_by(probe_child.c.id)))
            session.connection().execute(probe_child.delete())
            session.connection().execute(probe.delete())
        assert stored == [("c1", "a", 5), ("c2", "b", 1)]
    alone, together = answers
    assert together == alone
    assert together[1] is not None and [row[0] for row in together[1].rows] == ["b", "c", "a"]
    assert together[2] is None and together[4] is not None and together[4].rowcount == 1


@ON_POSTGRESQL
def test_statements_as_one_reach_postgresql_as_one_unless_one_writes_what_another_reads(database_url: str,
                                                                                         tmp_path) -> None:
    from intake.db import run_together

    database = Database(database_url, pool_size=1)
    metadata = sqlalchemy.MetaData()
    parent = sqlalchemy.Table("as_one_parent", metadata,
                              sqlalchemy.Column("id", sqlalchemy.String(20), primary_key=True),
                              sqlalchemy.Column("words", sqlalchemy.LargeBinary))
    child = sqlalchemy.Table("as_one_child", metadata, sqlalchemy.Column("id", sqlalchemy.String(20), primary_key=True))
    metadata.create_all(database.engine)
    lock = select(parent.c.id).where(parent.c.id == bindparam("id")).with_for_update()
    read_parent = select(parent.c.words).where(parent.c.id == bindparam("id"))
    trace = tmp_path / "protocol.trace"

    def executed_in(statements: list) -> tuple[list, int]:
        with database.write() as session, trace.open("w") as traced:
            driver = session.connection().connection.driver_connection
            driver.pgconn.trace(traced.fileno())  # type: ignore[union-attr]
            answers = run_together(session, statements, as_one_from=1)
            driver.pgconn.untrace()  # type: ignore[union-attr]
        sent = [line.split("\t") for line in trace.read_text().splitlines()]
        return answers, sum(1 for fields in sent if len(fields) > 3 and fields[1] == "F"
                            and fields[3].strip() == "Execute")

    try:
        with database.write() as session:
            run_on_driver(session, insert(parent), {"id": "p", "words": b"the words of a report"})
        # The lock, then two reads of the locked table and an INSERT into another as one: BEGIN, the lock, and one.
        answers, executes = executed_in([(lock, {"id": "p"}), (select(parent.c.id), {}), (read_parent, {"id": "p"}),
                                         (insert(child), {"id": "c"})])
        assert executes == 3 and answers[1] is not None and answers[1].rows == [("p",)]
        assert answers[2] is not None and answers[2].scalar() == b"the words of a report"
        assert answers[3] is not None and answers[3].rowcount == 1
        # An INSERT into a table another of them reads: each on its own (what the read sees would otherwise be
        # the snapshot from before the INSERT, where alone it runs after it).
        answers, executes = executed_in([(lock, {"id": "p"}), (insert(child), {"id": "d"}),
                                         (select(sqlalchemy.func.count().label("n")).select_from(child), {})])
        assert executes == 4 and answers[2] is not None and answers[2].scalar() == 2
        # A failing part fails the whole statement as SQLAlchemy's error, without the values, and nothing is kept.
        with pytest.raises(sqlalchemy.exc.IntegrityError) as refused:
            executed_in([(lock, {"id": "p"}), (insert(child), {"id": "c"}),
                         (insert(parent), {"id": "q", "words": b"the words of a report"})])
        assert "the words of a report" not in str(refused.value)
        with database.read() as session:
            assert session.connection().execute(select(sqlalchemy.func.count()).select_from(parent)).scalar() == 1
    finally:
        metadata.drop_all(database.engine)
        database.dispose()


def test_inserts_sent_as_one_then_committed_are_kept_and_a_failure_keeps_nothing(database: Database,
                                                                                 probe: sqlalchemy.Table) -> None:
    with database.write() as session:
        run_on_driver(session, insert(probe), {**SECRET_ROW, "id": "first"})
        with sent_as_one(session, then_commit=True):
            run_on_driver(session, insert(probe), [{**SECRET_ROW, "id": "a"}, {**SECRET_ROW, "id": "b"}])
    with database.read() as session:
        assert _count(session, probe) == 3
    with pytest.raises(sqlalchemy.exc.IntegrityError) as refused, database.write() as session:
        run_on_driver(session, insert(probe), {**SECRET_ROW, "id": "c"})
        with sent_as_one(session, then_commit=True):
            run_on_driver(session, insert(probe), {**SECRET_ROW, "id": "a"})  # already there
    assert "the words of a report" not in str(refused.value)
    with database.read() as session:
        assert _count(session, probe) == 3


@ON_POSTGRESQL
def test_inserts_sent_as_one_then_committed_reach_postgresql_with_the_commit(database_url: str, tmp_path) -> None:
    database = Database(database_url, pool_size=1)
    metadata = sqlalchemy.MetaData()
    table = sqlalchemy.Table("with_commit", metadata, sqlalchemy.Column("id", sqlalchemy.String(20), primary_key=True))
    metadata.create_all(database.engine)
    trace = tmp_path / "protocol.trace"
    try:
        with database.write() as session, trace.open("w") as traced:
            assert _count(session, table) == 0  # the transaction has begun, as a report's has by then
            driver = session.connection().connection.driver_connection
            driver.pgconn.trace(traced.fileno())  # type: ignore[union-attr]
            with sent_as_one(session, then_commit=True):
                run_on_driver(session, insert(table), [{"id": "a"}, {"id": "b"}])
        driver.pgconn.untrace()  # type: ignore[union-attr]
        sent = [fields[3].strip() + ("(COMMIT)" if "COMMIT" in "\t".join(fields) else "")
                for fields in (line.split("\t") for line in trace.read_text().splitlines()) if fields[1] == "F"]
        # The INSERT and the COMMIT, then one Sync: one round trip, and the session's own commit sends nothing more
        # (alone, the COMMIT is a Query of its own after the INSERT's Sync).
        assert sent.count("Sync") == 1 and "Query(COMMIT)" not in sent
        assert sent.index("Parse(COMMIT)") < sent.index("Sync")
        with database.read() as session:
            assert session.connection().execute(select(sqlalchemy.func.count()).select_from(table)).scalar() == 2
    finally:
        metadata.drop_all(database.engine)
        database.dispose()
