"""The database engine: SQLite (the embedded default) or PostgreSQL, both first-class
(docs/design.md#operations-and-scale-out).

Write transactions on SQLite begin with ``BEGIN IMMEDIATE`` so two writers queue on the lock instead of one
failing mid-transaction when it upgrades a read lock; PostgreSQL serializes what must be serialized (a city's
audit chain head and case numbers) with ``SELECT ... FOR UPDATE`` on the city row.
"""

from __future__ import annotations

import functools
import hashlib
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event, exc, insert
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.orm import Session as OrmSession
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
    cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        if many:
            cursor.executemany(compiled.sql, values)
        else:
            cursor.execute(compiled.sql, values[0])
        return compiled.result_of(cursor)
    except connection.dialect.loaded_dbapi.Error as error:
        raise _as_sqlalchemy_error(connection, error, compiled.sql, cursor) from error
    finally:
        cursor.close()


def run_together(target: Statements,
                 statements: Sequence[tuple[Any, Mapping[str, Any]] | None]) -> list[DriverResult | None]:
    """Each ``(statement, parameters)`` run as :func:`run_on_driver` runs it, in order (``None``: nothing to run, and
    ``None`` in its place), in the session's transaction or on the connection. On PostgreSQL all are sent in one
    pipeline and answered together: one round trip instead of one each; when they are the first statements of a
    transaction, its BEGIN goes with them (:func:`_begin_by_hand`). The statements still run one after another
    on the server, so a row lock taken by the first holds for the rest. On SQLite they run one after another.

    A report's intake sends its statements this way: ten round trips to PostgreSQL became four, and the city lock is
    held for three instead of seven. (On an Intel VM four extra round trips cost about four points of the share
    of the ceiling under `hotline bench intake`; on an AMD one, taking six away moved neither the share nor the
    CPU a report costs beyond the noise.) A failing statement fails as SQLAlchemy's error, and the ones after it
    do not run."""
    connection = _connection_of(target)
    if connection.dialect.name != "postgresql":
        return [None if each is None else run_on_driver(connection, *each) for each in statements]
    driver = connection.connection.driver_connection
    sent: list[tuple[_DriverStatement, Any] | None] = []
    try:
        begin = _begin_by_hand(driver)
        with driver.pipeline():  # type: ignore[union-attr]
            if begin is not None:
                driver.execute(begin)  # type: ignore[union-attr]
            for statement in statements:
                if statement is None:
                    sent.append(None)
                    continue
                compiled = _driver_statement(statement[0], connection.dialect, tuple(statement[1]))
                cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
                cursor.execute(compiled.sql, compiled.driver_values(statement[1]))
                sent.append((compiled, cursor))
        return [None if each is None else each[0].result_of(each[1]) for each in sent]
    except connection.dialect.loaded_dbapi.Error as error:
        raise _as_sqlalchemy_error(connection, error, "(statements run together)", None) from error
    finally:
        for each in sent:
            if each is not None:
                each[1].close()


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
def driver_pipeline(session: Statements) -> Iterator[None]:
    """On PostgreSQL, the statements :func:`run_on_driver` runs in this block are sent without waiting for each
    one's answer (psycopg's pipeline mode), and the block ends once all are answered: four of a report's
    statements under its city lock were four round trips, and are one. Their results are not known inside the
    block (no rows, a row count of -1), so only statements whose answer nothing needs belong in it; a statement
    that reads (a SELECT) still works there, at the cost of its own round trip. A failure surfaces at the end of
    the block, as SQLAlchemy's exception, and the transaction is rolled back as for any other. On SQLite, where a
    statement is no round trip, the block changes nothing."""
    connection = _connection_of(session)
    if connection.dialect.name != "postgresql":
        yield
        return
    try:
        with connection.connection.driver_connection.pipeline():  # type: ignore[union-attr]
            yield
    except connection.dialect.loaded_dbapi.Error as error:
        raise _as_sqlalchemy_error(connection, error, "(pipelined statements)", None) from error


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

    def driver_values(self, given: Mapping[str, Any]) -> tuple[Any, ...] | dict[str, Any]:
        values = self.compiled.construct_params(given)
        for name, process in self.bind_processors.items():
            values[name] = process(values[name])
        return tuple(values[name] for name in self.positional) if self.positional is not None else values

    def result_of(self, cursor: Any) -> DriverResult:
        """What ``cursor``, which ran this statement, answered. Asked of the statement, not of the cursor: in a
        pipeline (driver_pipeline) the cursor knows nothing yet, and fetching is what waits for the rows."""
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
                            {name: process for name, process in binds.items() if process is not None}, results)


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
