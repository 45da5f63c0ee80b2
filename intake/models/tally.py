"""Case tallies: counts of cases per combination of the inbox filters, kept in step with every case change.

A listener on the ORM session's flush sees every Case inserted, changed or deleted through SQLModel (the
reporter's intake, status changes, assignment, routing, retention), and moves the count from the old
combination to the new one in the same transaction, with an upsert that is safe under concurrent writers on
both databases. Bulk loads that bypass the ORM (migrations, the benchmark) call :func:`rebuild` afterwards.
"""

from __future__ import annotations

import functools
from collections import Counter
from typing import Any

from sqlalchemy import bindparam, delete, event, func, insert, select
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import attributes

from intake.models import Case, CaseTally

TallyKey = tuple[int, int, str, str, str, int, bool]
_FIELDS = ("city_id", "group_id", "status", "category", "channel", "assignee_id", "next_due_on")


def key_of(values: dict[str, Any]) -> TallyKey:
    return (values["city_id"], values["group_id"] or 0, values["status"], values["category"], values["channel"],
            values["assignee_id"] or 0, values["next_due_on"] is not None)


def _current(case: Case) -> dict[str, Any]:
    return {name: getattr(case, name) for name in _FIELDS}


def _committed(case: Case) -> dict[str, Any]:
    """The values as last flushed (before this flush's changes)."""
    values = {}
    for name in _FIELDS:
        history = attributes.get_history(case, name)
        if history.deleted:
            values[name] = history.deleted[0]
        elif history.unchanged:
            values[name] = history.unchanged[0]
        else:
            values[name] = getattr(case, name)
    return values


def _changes(session: OrmSession) -> Counter[TallyKey]:
    delta: Counter[TallyKey] = Counter()
    for obj in session.new:
        if isinstance(obj, Case):
            delta[key_of(_current(obj))] += 1
    for obj in session.dirty:
        if isinstance(obj, Case) and session.is_modified(obj, include_collections=False):
            before, after = key_of(_committed(obj)), key_of(_current(obj))
            if before != after:
                delta[before] -= 1
                delta[after] += 1
    for obj in session.deleted:
        if isinstance(obj, Case):
            delta[key_of(_committed(obj))] -= 1
    return delta


def _upsert(session: OrmSession, key: TallyKey, change: int) -> None:
    from intake.db import run_on_driver  # intake.db installs this module's listener on its session class

    values = dict(zip(_KEY_COLUMNS, key, strict=True))
    values["count"] = change
    run_on_driver(session, _upsert_statement(session.get_bind().dialect.name), values)


_KEY_COLUMNS = ("city_id", "group_id", "status", "category", "channel", "assignee_id", "has_due")


@functools.cache
def _upsert_statement(dialect: str) -> Any:
    """Add to a tally row, made if missing; values as parameters. Built once per dialect: every report's intake
    runs it under the city lock, and building it cost more than running it (`hotline bench intake`)."""
    from intake.db import insert_on_conflict  # intake.db installs this module's listener on its session class

    table = CaseTally.__table__  # type: ignore[attr-defined]
    statement = insert_on_conflict(dialect, table).values(
        {name: bindparam(name) for name in (*_KEY_COLUMNS, "count")})
    return statement.on_conflict_do_update(index_elements=list(table.primary_key.columns.keys()),
                                           set_={"count": table.c.count + statement.excluded.count})


def _before_flush(session: OrmSession, _context: Any, _instances: Any) -> None:
    for key, change in sorted(_changes(session).items()):
        if change:
            _upsert(session, key, change)


def count_inserted(session: OrmSession, values: dict[str, Any]) -> None:
    """Count a case inserted through SQLAlchemy Core (the reporter's intake), which no flush listener sees."""
    _upsert(session, key_of(values), 1)


def install(session_class: type[OrmSession]) -> None:
    """Keep tallies for every session of ``session_class`` (intake.db's session)."""
    if not event.contains(session_class, "before_flush", _before_flush):
        event.listen(session_class, "before_flush", _before_flush)


def rebuild(session: OrmSession, city_id: int | None = None) -> None:
    """Recount from the cases themselves (after a bulk load, or to repair)."""
    table = CaseTally.__table__  # type: ignore[attr-defined]
    cases = Case.__table__  # type: ignore[attr-defined]
    wipe = delete(table) if city_id is None else delete(table).where(table.c.city_id == city_id)
    session.execute(wipe)
    group = func.coalesce(cases.c.group_id, 0)
    assignee = func.coalesce(cases.c.assignee_id, 0)
    has_due = cases.c.next_due_on.is_not(None)
    query = select(cases.c.city_id, group, cases.c.status, cases.c.category, cases.c.channel, assignee, has_due,
                   func.count()).group_by(cases.c.city_id, group, cases.c.status, cases.c.category, cases.c.channel,
                                          assignee, has_due)
    if city_id is not None:
        query = query.where(cases.c.city_id == city_id)
    session.execute(insert(table).from_select(["city_id", "group_id", "status", "category", "channel", "assignee_id",
                                               "has_due", "count"], query))
