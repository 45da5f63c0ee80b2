"""The database engine: SQLite (the embedded default) or PostgreSQL, both first-class
(docs/design.md#operations-and-scale-out).

Write transactions on SQLite begin with ``BEGIN IMMEDIATE`` so two writers queue on the lock instead of one
failing mid-transaction when it upgrades a read lock; PostgreSQL serializes what must be serialized (a city's
audit chain head and case numbers) with ``SELECT ... FOR UPDATE`` on the city row.
"""

from __future__ import annotations

import functools
import hashlib
import re
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table, event, exc, insert
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.sql.elements import TextClause
from sqlalchemy.sql.util import find_tables
from sqlmodel import Session, SQLModel, create_engine

import intake.models  # noqa: F401  (registers every table on SQLModel.metadata)
from intake.models import tally as case_tally

# Where run_on_driver runs a statement: a session's transaction, or a connection that has no session around it.
Statements = OrmSession | Connection

# A pooled PostgreSQL connection idle this long is pinged before it is handed out (_ping_after_idle).
PING_AFTER_IDLE_SECONDS = 1.0
# How long a SQLite writer waits for another to finish before it is told the database is locked.
SQLITE_BUSY_SECONDS = 30


class HotlineSession(Session):
    """The session every service gets: case tallies follow every change to a case (intake.models.tally)."""


case_tally.install(HotlineSession)


def normalize_url(url: str) -> str:
    """Accept ``postgresql://`` and ``postgres://`` and use psycopg 3 for them."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


class Database:
    """One engine and the sessions made from it. Pass it in; there is no module-level instance."""

    def __init__(self, url: str, *, pool_size: int = 10, echo: bool = False,
                 ping_after_idle_seconds: float = PING_AFTER_IDLE_SECONDS) -> None:
        self.url = normalize_url(url)
        self.dialect = make_url(self.url).get_backend_name()
        self.engine = self._make_engine(pool_size, echo)
        if not self.is_sqlite:
            _ping_after_idle(self.engine, ping_after_idle_seconds)
            _no_autocommit_left_over(self.engine)
            _inserts_waiting_go_first(self.engine)
        self._autocommit = self.engine.execution_options(isolation_level="AUTOCOMMIT")
        self._read_only = self.engine.execution_options(postgresql_readonly=True)
        # Made once: an engine with options is a new object each time it is asked for.
        self._for_writing = self.engine.execution_options(hotline_immediate=True) if self.is_sqlite else self.engine
        # SQLite has one writer at a time. A writer that finds the database locked sleeps in SQLite's busy handler
        # (1, 2, 5, 10 ... 100 ms, then again) and tries again, however soon the lock came free: two reports
        # committing at once made one of them wait up to tens of milliseconds for nothing. This process's writers
        # queue on a lock of their own instead and each starts the moment the one before it ends; other
        # processes (the worker, the command line) still meet SQLite's own lock and its busy handler.
        self._sqlite_writers = threading.RLock() if self.is_sqlite else None

    @property
    def is_sqlite(self) -> bool:
        return self.dialect == "sqlite"

    def _make_engine(self, pool_size: int, echo: bool) -> Engine:
        if self.is_sqlite:
            # Pooled like PostgreSQL: a fresh SQLite connection per session re-runs the PRAGMAs, re-reads the
            # schema and, when it is the last one, checkpoints the WAL on close: a third of a report's CPU
            # (`hotline bench intake`) and of an inbox page's time at 100,000 cases (`hotline bench inbox`).
            engine = create_engine(
                self.url,
                echo=echo,
                connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_SECONDS},
                **_pool(pool_size),
            )
            _configure_sqlite(engine)
            return engine
        return create_engine(self.url, echo=echo, **_pool(pool_size))

    @contextmanager
    def read(self, *, plan_for_each_value: bool = False) -> Iterator[Session]:
        """A session for reading. On PostgreSQL its transaction is READ ONLY (a write or a row lock in it is an
        error) and ends with COMMIT, which for a transaction that wrote nothing is what ROLLBACK would be: psycopg
        forgets every statement it prepared on a connection at each ROLLBACK, so pooled connections that also
        served reads parsed and planned every statement anew (while a report's own checks ended that way, its
        intake cost PostgreSQL 3.3 ms of CPU where 1.5 ms do; `hotline bench intake`).

        A statement psycopg keeps prepared may be given one plan for any values (PostgreSQL's generic plan), which
        suits lookups by key but not a page of a long list, whose best plan depends on how deep the page is: for an
        inbox page deep in the due-date order it took 400 ms instead of 40 (`hotline bench inbox`).
        ``plan_for_each_value`` plans every statement of the session for its own values."""
        if self.is_sqlite:
            with HotlineSession(self.engine, expire_on_commit=False) as session:
                yield session
            return
        with HotlineSession(self._read_only, expire_on_commit=False) as session:
            if plan_for_each_value:
                session.connection().exec_driver_sql("SET LOCAL plan_cache_mode = force_custom_plan")
            yield session
            session.commit()

    @contextmanager
    def read_each_statement(self) -> Iterator[Connection]:
        """A connection, with no ORM session around it, for reads that need no snapshot across their statements,
        which PostgreSQL's READ COMMITTED would not give them anyway: there each statement runs on its own
        (autocommit), without the BEGIN and ROLLBACK that are two more round trips to the server and two more of
        its commands. On SQLite, where a transaction is no round trip, its reads share one. A report's checks
        before its key derivation read this way (intake.reports.submission), through :func:`run_on_driver`: a
        session's bookkeeping (its transaction, its identity map, its close) cost more than their statements.
        Nothing may be written in it."""
        if self.is_sqlite:
            with self.engine.connect() as connection, connection.begin():
                yield connection
            return
        with self._autocommit.connect() as connection:
            yield connection

    @contextmanager
    def _one_writer_at_a_time(self) -> Iterator[None]:
        if self._sqlite_writers is None:
            yield
            return
        # Waiting no longer than SQLite itself would: past that, SQLite's lock decides (and says it is locked).
        held = self._sqlite_writers.acquire(timeout=SQLITE_BUSY_SECONDS)
        try:
            yield
        finally:
            if held:
                self._sqlite_writers.release()

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A session whose transaction commits on success and rolls back on any exception."""
        with self._one_writer_at_a_time(), HotlineSession(self._for_writing, expire_on_commit=False) as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    def create_schema(self) -> None:
        """Create every table from the models (tests); deployments use :func:`intake.operations.migrate.upgrade`."""
        SQLModel.metadata.create_all(self.engine)

    def dispose(self) -> None:
        self.engine.dispose()


def insert_on_conflict(dialect: str, table: Any) -> Any:
    """``INSERT INTO table`` that can say what a conflict does (``on_conflict_do_nothing``, ``on_conflict_do_update``):
    both databases have ON CONFLICT, but SQLAlchemy has it only in each dialect's own insert."""
    return (postgresql_insert if dialect == "postgresql" else sqlite_insert)(table)


@functools.cache
def insert_into(table: Any) -> Any:
    """``INSERT INTO table`` for the rows given when it is executed, built once per table: a report inserts its case,
    items, queue row and held entries this way, under its city lock, and building a statement costs more than
    running it (its expression tree and cache key; `hotline bench intake`)."""
    return insert(table)


@dataclass(frozen=True)
class DriverResult:
    """What :func:`run_on_driver` gives back: the rows (each value as SQLAlchemy would give it) and the count of
    rows an INSERT, UPDATE or DELETE touched."""

    rows: list[tuple[Any, ...]]
    rowcount: int

    def first(self) -> tuple[Any, ...] | None:
        return self.rows[0] if self.rows else None

    def one(self) -> tuple[Any, ...]:
        if len(self.rows) != 1:
            raise exc.InvalidRequestError(f"expected one row, got {len(self.rows)}")
        return self.rows[0]

    def scalar(self) -> Any:
        return self.rows[0][0] if self.rows else None


def run_on_driver(session: Statements, statement: Any,
                  parameters: Mapping[str, Any] | Sequence[Mapping[str, Any]]) -> DriverResult:
    """Run ``statement`` (built once, as the hot statements are) in the session's transaction, or the connection's,
    on the database driver's own cursor, with SQL that SQLAlchemy compiled once for this database and the same type
    conversions (dates, booleans) both ways. A sequence of parameter sets runs the statement for each
    (executemany).

    A report's intake runs fourteen statements. Under `hotline bench intake`, with Argon2id evicting the caches
    between reports, SQLAlchemy's execution of each (its execution context, result set-up and events) took about
    150 microseconds of CPU beside the driver's 57: about a fifth of everything a report cost besides the key
    derivation. Only a statement whose compiled form needs nothing at execution may run here: every value a
    parameter or a constant, no Python-side column default left to fill in, no list expanded at execution
    (:func:`_driver_statement` refuses the others when it first sees them)."""
    connection = _connection_of(session)
    many = not isinstance(parameters, Mapping)
    sets = list(parameters) if not isinstance(parameters, Mapping) else [parameters]
    compiled = _driver_statement(statement, connection.dialect, tuple(sets[0]) if sets else ())
    values: list[Any] = [compiled.driver_values(each) for each in sets]
    waiting = connection.info.get(_SENT_AS_ONE)
    if waiting is not None and _wait_or_send(connection, waiting, compiled, values):
        return DriverResult([], -1)  # sent at the end of its sent_as_one block
    with _driver_cursor(connection, compiled.sql) as cursor:
        if many:
            cursor.executemany(compiled.sql, values)
        else:
            cursor.execute(compiled.sql, values[0])
        return compiled.result_of(cursor)


@contextmanager
def _driver_cursor(connection: Connection, sql: str) -> Iterator[Any]:
    """A cursor of the connection's driver, closed after the block; a driver error in it raised as SQLAlchemy's,
    named by ``sql`` and without the values (:func:`_as_sqlalchemy_error`)."""
    cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        yield cursor
    except connection.dialect.loaded_dbapi.Error as error:
        raise _as_sqlalchemy_error(connection, error, sql, cursor) from error
    finally:
        cursor.close()


def run_together(target: Statements, statements: Sequence[tuple[Any, Mapping[str, Any]] | None], *,
                 as_one_from: int | None = None) -> list[DriverResult | None]:
    """Each ``(statement, parameters)`` run as :func:`run_on_driver` runs it, in order (``None``: nothing to run, and
    ``None`` in its place), in the session's transaction or on the connection. On PostgreSQL all are sent in one
    pipeline and answered together: one round trip instead of one each; when they are the first statements of a
    transaction, its BEGIN goes with them (:func:`_begin_by_hand`). The statements still run one after another
    on the server, so a row lock taken by the first holds for the rest. On SQLite they run one after another.

    From ``as_one_from`` on, the statements go to PostgreSQL as ONE statement (:func:`_one_statement`), after the
    ones before it: they run in one snapshot, taken once those before have run (a lock among them is held), and in
    no set order, so none may touch what another writes; where one would, each goes on its own, as without
    ``as_one_from``. In a pipeline every statement costs psycopg a cursor, a result and their Python, and the
    server a bind, an execute and an answer: four reads took 440 microseconds of CPU in the client and 190 in the
    server where one statement answering all of them took 120 and 80 (`hotline bench intake`).

    A report's intake sends its statements this way: ten round trips to PostgreSQL became three, and the city lock
    is held for two instead of seven. (On an Intel VM four extra round trips cost about four points of the share
    of the ceiling under `hotline bench intake`; on an AMD one, taking six away moved neither the share nor the
    CPU a report costs beyond the noise.) A failing statement fails as SQLAlchemy's error, and the ones after it
    do not run."""
    connection = _connection_of(target)
    if connection.dialect.name != "postgresql":
        return [None if each is None else run_on_driver(connection, *each) for each in statements]
    _send_waiting(connection, connection.info.get(_SENT_AS_ONE) or [])  # what waits in a sent_as_one block first
    driver = connection.connection.driver_connection
    alone, one = list(statements), None
    if as_one_from is not None:
        one = _one_statement(connection.dialect, tuple(
            None if each is None else (each[0], tuple(each[1])) for each in statements[as_one_from:]))
        if one is not None:
            alone = alone[:as_one_from]
    sent: list[tuple[_DriverStatement, Any] | None] = []
    one_cursor = None
    try:
        begin = _begin_by_hand(driver)
        # Nothing but the one statement to send: no pipeline, which would cost its own Sync and Python around it.
        alone_only = begin is None and all(each is None for each in alone) and one is not None
        with nullcontext() if alone_only else driver.pipeline():  # type: ignore[union-attr]
            if begin is not None:
                driver.execute(begin)  # type: ignore[union-attr]
            for statement in alone:
                if statement is None:
                    sent.append(None)
                    continue
                compiled = _driver_statement(statement[0], connection.dialect, tuple(statement[1]))
                cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
                cursor.execute(compiled.sql, compiled.driver_values(statement[1]))
                sent.append((compiled, cursor))
            if one is not None:
                one_cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
                one_cursor.execute(one.sql, one.driver_values(statements[as_one_from or 0:]))
        answers = [None if each is None else each[0].result_of(each[1]) for each in sent]
        return answers + (one.results_of(one_cursor) if one is not None else [])
    except connection.dialect.loaded_dbapi.Error as error:
        raise _as_sqlalchemy_error(connection, error, "(statements run together)", None) from error
    finally:
        for each in sent:
            if each is not None:
                each[1].close()
        if one_cursor is not None:
            one_cursor.close()


@dataclass(frozen=True)
class _OnePart:
    position: int  # among the statements made one
    compiled: _DriverStatement
    first_column: int  # where its columns begin in the one statement's rows (after the part's number)
    types: tuple[str, ...]  # its columns' SQL types, which the other parts' NULLs in its columns are cast to

    @property
    def columns(self) -> int:
        return len(self.types)


@dataclass(frozen=True)
class _OneStatement:
    """Statements as one: ``sql`` runs each as a WITH query and answers every row of each, with the part's number
    first and the columns of the other parts NULL (:func:`_one_statement`)."""

    sql: str
    parts: tuple[_OnePart, ...]
    size: int  # the statements made one, ``None`` among them

    def driver_values(self, statements: Sequence[tuple[Any, Mapping[str, Any]] | None]) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for part in self.parts:
            given = statements[part.position]
            assert given is not None
            values.update((f"s{part.position}_{name}", value)
                          for name, value in part.compiled.driver_values(given[1]).items())  # type: ignore[union-attr]
        return values

    def results_of(self, cursor: Any) -> list[DriverResult | None]:
        rows: list[list[Sequence[Any]]] = [[] for _ in range(self.size)]
        for row in cursor.fetchall():
            rows[row[0]].append(row)
        results: list[DriverResult | None] = [None] * self.size
        for part in self.parts:
            mine = rows[part.position]
            end = part.first_column + part.columns
            # A part that returns nothing of its own (an INSERT without RETURNING) answers one row per row it wrote:
            # its count, as the driver's row count would be.
            results[part.position] = DriverResult(
                [part.compiled.row(row[part.first_column:end]) for row in mine] if part.columns else [], len(mine))
        return results


@functools.lru_cache(maxsize=64)
def _one_statement(dialect: Any, shapes: tuple[tuple[Any, tuple[str, ...]] | None, ...]) -> _OneStatement | None:
    """``shapes`` (each statement with its parameters' names; ``None``: nothing to run) as one statement, or
    ``None`` where that could change what they do: fewer than two to run, or one writes a table another names.

    Each statement becomes a WITH query (PostgreSQL's data-modifying WITH for an INSERT, UPDATE or DELETE, with
    RETURNING 1 added where it returns nothing, so its rows can be counted), its parameters renamed
    ``s{position}_{name}``; then one SELECT per part, joined by UNION ALL, answers the part's number and its own
    columns, the other parts' columns a NULL of their type. (PostgreSQL types a UNION's columns pairwise, left to
    right, and two untyped NULLs become text, which a third part's bytea then cannot join: every NULL is cast.)
    Within a part, rows keep the order its statement gives them. Built once per shape."""
    layout: list[_OnePart] = []
    named_by: dict[int, set[str]] = {}  # the tables each part names, by its position
    written_by: dict[int, str] = {}  # the table each part that writes writes
    first_column = 1  # after the part's number
    for position, shape in enumerate(shapes):
        if shape is None:
            continue
        statement, keys = shape
        if isinstance(statement, TextClause):  # what it reads or writes cannot be known
            return None
        compiled = _driver_statement(statement, dialect, keys)
        if compiled.positional is not None or "%%" in compiled.sql:
            return None
        try:
            types = tuple(column.type.compile(dialect=dialect) for column in compiled.columns)
        except exc.CompileError:  # a column of no known type cannot be cast
            return None
        named_by[position] = {table.name for table in find_tables(statement, check_columns=True, include_crud=True,
                                                                  include_joins=True, include_selects=True)
                              if isinstance(table, Table)}
        if compiled.writes:
            written_by[position] = statement.table.name
        layout.append(_OnePart(position, compiled, first_column, types))
        first_column += len(types)
    if len(layout) < 2 or any(table in named for writer, table in written_by.items()
                              for other, named in named_by.items() if other != writer):
        return None
    queries, selects = [], []
    for part in layout:
        sql = _PARAMETER.sub(f"%(s{part.position}_\\1)s", part.compiled.sql)
        if part.types:
            names = ", ".join(f"s{part.position}c{number}" for number in range(part.columns))
            queries.append(f"s{part.position}({names}) AS ({sql})")
        else:
            queries.append(f"s{part.position} AS ({sql}{' RETURNING 1' if part.compiled.writes else ''})")
        values = [f"s{other.position}c{number}" if other is part else f"NULL::{column_type}"
                  for other in layout for number, column_type in enumerate(other.types)]
        # Only SQL that SQLAlchemy compiled, names made here and type names: every value stays a parameter.
        selects.append(f"SELECT {part.position}{''.join(', ' + value for value in values)} "  # noqa: S608
                       f"FROM s{part.position}")
    return _OneStatement("WITH " + ", ".join(queries) + " " + " UNION ALL ".join(selects), tuple(layout),
                         len(shapes))


def _begin_by_hand(driver: Any) -> str | None:
    """The BEGIN to send with the first statements of a transaction, having put the connection in autocommit so
    psycopg does not send its own; ``None`` when there is nothing to begin (autocommit wanted, or the transaction
    has begun) or the transaction asks for more than an isolation level.

    psycopg begins a transaction by sending BEGIN before its first statement and waiting for the answer, even in
    a pipeline (it sends a Sync of its own), so a transaction whose first statements go together still cost a
    round trip more than they. Sent by hand, BEGIN starts the same transaction on the server; psycopg's commit()
    and rollback() go by the server's transaction status, not by the autocommit setting, so the transaction ends
    as any other, and the pool takes the connection out of autocommit before it hands it out again
    (:func:`_no_autocommit_left_over`)."""
    from psycopg.pq import TransactionStatus  # only PostgreSQL's connections come here

    if driver.autocommit or driver.info.transaction_status != TransactionStatus.IDLE:
        return None
    if driver.read_only is not None or driver.deferrable is not None:
        return None
    level = driver.isolation_level
    driver.autocommit = True
    # The statement psycopg itself would send (ISOLATION LEVEL READ COMMITTED where SQLAlchemy set it).
    return "BEGIN" if level is None else f"BEGIN ISOLATION LEVEL {level.name.replace('_', ' ')}"


@contextmanager
def sent_as_one(session: Statements, *, then_commit: bool = False) -> Iterator[None]:
    """On PostgreSQL, the INSERTs :func:`run_on_driver` runs in this block wait, and go to the server as ONE
    statement (:func:`_as_one_statement`) when the block ends: a report's five last statements (its item, its
    routing set, the case tally, the release queue row, the held audit entries) were five for the server to parse,
    bind, execute and answer, each with psycopg's Python around it. Their results are not known inside the block
    (no rows, a row count of -1), so only statements whose answer nothing needs belong in it. Order holds: any
    other statement in the block (a read, an UPDATE, a second INSERT into a table that has one waiting, or anything
    SQLAlchemy runs on the connection) first sends what waits, then runs. A failure surfaces at the end of the
    block at the latest, as SQLAlchemy's exception, and the transaction is rolled back as for any other; if the
    block itself raises, what waits is never sent. On SQLite, where a statement is no round trip and costs no
    parsing, the block changes nothing.

    ``then_commit``: the block ends the transaction, and on PostgreSQL its COMMIT goes with what waits, in one
    round trip instead of two (the session's own commit then finds nothing to commit: psycopg sends no COMMIT
    outside a transaction). Nothing may run in the session after such a block but its commit: it would run
    outside the transaction. A report's last statements end its transaction this way, which also releases its
    city lock a round trip sooner."""
    connection = _connection_of(session)
    if connection.dialect.name != "postgresql":
        yield
        return
    waiting: list[_WaitingInsert] = []
    connection.info[_SENT_AS_ONE] = waiting
    try:
        yield
    finally:
        del connection.info[_SENT_AS_ONE]
    if not then_commit:
        _send_waiting(connection, waiting)
        return
    driver = connection.connection.driver_connection
    try:
        with driver.pipeline():  # type: ignore[union-attr]
            _send_waiting(connection, waiting)
            driver.execute("COMMIT")  # type: ignore[union-attr]
    except connection.dialect.loaded_dbapi.Error as error:
        raise _as_sqlalchemy_error(connection, error, "(statements sent as one, and COMMIT)", None) from error


# Where a connection keeps the INSERTs waiting in a sent_as_one block (Connection.info is the pooled connection's).
_SENT_AS_ONE = "hotline: inserts sent as one"
_PARAMETER = re.compile(r"%\((\w+)\)s")  # psycopg's named placeholder, as SQLAlchemy writes it


@dataclass(frozen=True)
class _WaitingInsert:
    sql: str
    values_row: str  # the "(...)" after VALUES, whose parameters each row repeats
    table: str
    rows: list[Any]  # each row's values, as the driver takes them


def _waiting_insert(compiled: _DriverStatement, rows: list[Any]) -> _WaitingInsert | None:
    """``compiled`` as a part of one statement, or None if it cannot be one: it is not an INSERT of rows (an UPDATE or
    DELETE could touch a row another part touches, and PostgreSQL does not order the parts), or :func:`_values_row`
    finds no row it can repeat."""
    table = getattr(compiled.compiled.statement, "table", None)
    row = _values_row(compiled.sql) if compiled.compiled.isinsert and rows else None
    if table is None or row is None:
        return None
    return _WaitingInsert(compiled.sql, row, str(table.name), rows)


@functools.lru_cache(maxsize=256)
def _values_row(sql: str) -> str | None:
    """The ``(...)`` after `` VALUES `` in a one-row INSERT as SQLAlchemy compiles it (its parentheses balanced), if
    the rest of the statement has no parameter and no literal ``%`` (which renaming the parameters could mistake
    for one). Worked out once per statement."""
    if "%%" in sql:
        return None
    start = sql.find(" VALUES (")
    if start < 0:
        return None
    start += len(" VALUES ")
    depth = 0
    for end in range(start, len(sql)):
        depth += {"(": 1, ")": -1}.get(sql[end], 0)
        if depth == 0:
            row = sql[start:end + 1]
            return None if _PARAMETER.search(sql.replace(row, "", 1)) else row
    return None


def _wait_or_send(connection: Connection, waiting: list[_WaitingInsert], compiled: _DriverStatement,
                  rows: list[Any]) -> bool:
    """In a sent_as_one block: keep ``compiled`` with ``rows`` waiting (True), or send what waits so that
    ``compiled`` can run now, after it (False)."""
    part = _waiting_insert(compiled, rows)
    if part is not None and all(other.table != part.table for other in waiting):
        waiting.append(part)
        return True
    _send_waiting(connection, waiting)
    if part is not None:  # a second INSERT into one table: the rows sent first are there before these
        waiting.append(part)
        return True
    return False


def _send_waiting(connection: Connection, waiting: list[_WaitingInsert]) -> None:
    if not waiting:
        return
    sql = _as_one_statement(tuple((part.sql, part.values_row, len(part.rows)) for part in waiting))
    values = {f"s{number}r{row}_{name}": value for number, part in enumerate(waiting)
              for row, each in enumerate(part.rows) for name, value in each.items()}
    waiting.clear()
    with _driver_cursor(connection, "(statements sent as one)") as cursor:
        cursor.execute(sql, values)


@functools.lru_cache(maxsize=64)
def _as_one_statement(shapes: tuple[tuple[str, str, int], ...]) -> str:
    """The INSERTs ``shapes`` (SQL, VALUES row, number of rows) as one statement: a data-modifying WITH query for
    each (PostgreSQL's "data-modifying statements in WITH"), each row's parameters renamed
    ``s{statement}r{row}_{name}``. PostgreSQL runs every part in one snapshot and checks foreign keys at the end of
    the statement, so a row may refer to a row another part inserts; no two parts may touch one row, which
    :func:`_wait_or_send` sees to (one INSERT a table). Built once per shape: psycopg prepares it like any other."""
    parts = []
    for number, (sql, row, rows) in enumerate(shapes):
        rows_sql = ", ".join(_PARAMETER.sub(f"%(s{number}r{each}_\\1)s", row) for each in range(rows))
        parts.append(f"s{number} AS ({sql.replace(row, rows_sql, 1)})")
    return "WITH " + ", ".join(parts) + " SELECT 1"


def _connection_of(target: Statements) -> Connection:
    return target if isinstance(target, Connection) else target.connection()


def _as_sqlalchemy_error(connection: Any, error: Exception, sql: str, cursor: Any) -> exc.StatementError:
    # As SQLAlchemy's own execution would: its exception classes (IntegrityError, OperationalError), a lost
    # connection invalidated so the pool does not hand it out again, and never the values in the message (a
    # report's text is among them).
    lost = connection.dialect.is_disconnect(error, connection.connection.dbapi_connection, cursor)
    if lost:
        connection.invalidate(error)
    return exc.DBAPIError.instance(sql, None, error, connection.dialect.loaded_dbapi.Error, hide_parameters=True,
                                   connection_invalidated=lost, dialect=connection.dialect)


@dataclass(frozen=True)
class _DriverStatement:
    sql: str
    compiled: Any
    positional: tuple[str, ...] | None  # the parameters' order where the driver takes them by position (SQLite)
    bind_processors: Mapping[str, Callable[[Any], Any]]
    result_processors: tuple[Callable[[Any], Any] | None, ...]
    columns: tuple[Any, ...]  # what it returns (a SELECT's columns, an INSERT's RETURNING), as SQLAlchemy's columns

    @property
    def writes(self) -> bool:
        return bool(self.compiled.isinsert or self.compiled.isupdate or self.compiled.isdelete)

    def driver_values(self, given: Mapping[str, Any]) -> tuple[Any, ...] | dict[str, Any]:
        values = self.compiled.construct_params(given)
        for name, process in self.bind_processors.items():
            values[name] = process(values[name])
        return tuple(values[name] for name in self.positional) if self.positional is not None else values

    def result_of(self, cursor: Any) -> DriverResult:
        """What ``cursor``, which ran this statement, answered. Asked of the statement, not of the cursor: in a
        pipeline (run_together) the cursor knows nothing yet, and fetching is what waits for the rows."""
        rows = cursor.fetchall() if self.result_processors else []
        return DriverResult([self.row(row) for row in rows], cursor.rowcount)

    def row(self, row: Sequence[Any]) -> tuple[Any, ...]:
        return tuple(value if process is None else process(value)
                     for value, process in zip(row, self.result_processors, strict=True))


@functools.cache
def _driver_statement(statement: Any, dialect: Any, keys: tuple[str, ...]) -> _DriverStatement:
    compiled = statement.compile(dialect=dialect, column_keys=list(keys))
    if compiled.insert_prefetch or compiled.update_prefetch:
        raise exc.ArgumentError("run_on_driver: give every column that has a Python-side default: "
                                + ", ".join(column.name for column in compiled.insert_prefetch
                                            + compiled.update_prefetch))
    if "POSTCOMPILE" in compiled.string:
        raise exc.ArgumentError("run_on_driver: a list expanded at execution (IN) cannot run on the driver")
    # Keyed as construct_params names them: a bind's compiled name, escaped where the driver needs it.
    escaped = getattr(compiled, "escaped_bind_names", None) or {}
    binds = {escaped.get(name, name): bind.type.dialect_impl(dialect).bind_processor(dialect)
             for bind, name in compiled.bind_names.items()}
    columns = statement.exported_columns if hasattr(statement, "exported_columns") else ()
    results = tuple(column.type.dialect_impl(dialect).result_processor(dialect, None) for column in columns)
    return _DriverStatement(compiled.string, compiled,
                            tuple(compiled.positiontup) if compiled.positional else None,
                            {name: process for name, process in binds.items() if process is not None}, results,
                            tuple(columns))


def _ping_after_idle(engine: Engine, idle_seconds: float) -> None:
    """Ping a pooled connection before handing it out only when it sat idle ``idle_seconds`` or more.

    SQLAlchemy's ``pool_pre_ping`` pings at every checkout: a round trip, and a command for the server, before every
    session, two of them for each report (`hotline bench intake`), where a connection handed back moments ago is
    known good. What the ping is for is a connection that PostgreSQL closed while it sat in the pool (a restart,
    a failover, an idle timeout): a restart takes longer than ``idle_seconds``, so every connection in the pool has
    been idle that long by the time the server is back, and each is pinged, and replaced if dead, before use. The
    pool retries a checkout whose ping fails with a new connection (SQLAlchemy's "pessimistic" disconnect handling,
    DisconnectionError from a checkout listener). A connection that was fine less than ``idle_seconds`` ago is used
    as it is: if the server went away in that moment, the statement fails, as the ones in flight did, and
    SQLAlchemy replaces every connection of the pool that was open before it."""

    @event.listens_for(engine, "checkin")
    def _note_checkin(_dbapi_connection: Any, record: Any) -> None:
        if record is not None:
            record.info["hotline_idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping_if_idle(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        # info lives as long as the DBAPI connection: a new connection has no mark and needs no ping.
        idle_since = record.info.get("hotline_idle_since")
        if idle_since is None or time.monotonic() - idle_since < idle_seconds:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as error:
            raise exc.DisconnectionError("the pooled connection was closed by the server") from error


def _inserts_waiting_go_first(engine: Engine) -> None:
    """Anything SQLAlchemy runs in a sent_as_one block runs after the INSERTs waiting there: they are sent first."""

    @event.listens_for(engine, "before_cursor_execute")
    def send_waiting(connection: Connection, *_: Any) -> None:
        waiting = connection.info.get(_SENT_AS_ONE)
        if waiting:
            _send_waiting(connection, waiting)


def _no_autocommit_left_over(engine: Engine) -> None:
    """A connection whose transaction :func:`_begin_by_hand` began was left in autocommit: out of it before the pool
    hands it out again, or its next transaction's statements would each commit on their own. A connection that
    cannot be taken out (it is broken) is replaced, as a failed ping's is."""

    @event.listens_for(engine, "checkout")
    def _out_of_autocommit(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
        if not dbapi_connection.autocommit:
            return
        try:
            dbapi_connection.autocommit = False
        except engine.dialect.loaded_dbapi.Error as error:
            raise exc.DisconnectionError("a pooled connection could not leave autocommit") from error


def _pool(pool_size: int) -> dict[str, int]:
    """At most twice ``pool_size`` connections, every one kept once opened. "Overflow" connections beyond the kept
    ones would be opened and closed for each session whenever more than ``pool_size`` requests are at the database
    at once, as they are under load: a new PostgreSQL backend or SQLite connection for every report
    (`hotline bench intake`)."""
    return {"pool_size": 2 * pool_size, "max_overflow": 0}


def _sha256(value: bytes | None) -> bytes | None:
    return None if value is None else hashlib.sha256(value).digest()


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event below issue BEGIN, instead of pysqlite's implicit deferred BEGIN.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_SECONDS * 1000}")
        # FULL: a report whose key was shown survives a power cut, not only a process crash
        # (docs/design.md#operations-and-scale-out).
        cursor.execute("PRAGMA synchronous=FULL")
        # Deleted content is overwritten, not left in free pages (retention and redaction).
        cursor.execute("PRAGMA secure_delete=ON")
        cursor.close()
        # PostgreSQL's sha256(bytea), so one statement compares a digest with a column on either database: a key
        # rotation's switch drops the resealed keys of items changed meanwhile in SQL (intake.keys.rotation).
        dbapi_connection.create_function("sha256", 1, _sha256, deterministic=True)

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        immediate = connection.get_execution_options().get("hotline_immediate", False)
        # On the driver itself: every session begins this way, and through SQLAlchemy it cost as much CPU as a
        # report's statements each do (intake.db.run_on_driver).
        connection.connection.driver_connection.execute("BEGIN IMMEDIATE" if immediate else "BEGIN")
