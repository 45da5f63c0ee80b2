"""An upgrade from the first revision to the newest, with data in every table, loses nothing.

The database is taken one revision at a time from the first to the newest. At each step every table that is
still empty gets a row (foreign keys pointing at rows made earlier); after the last step every row made at any
step is still there with the same values in every column that still exists, and every table holds data.
"""

from datetime import UTC, date, datetime

from alembic.script import ScriptDirectory
from sqlalchemy import MetaData, func, select

from intake.db import Database
from intake.operations.migrate import MIGRATIONS, current_revisions, head_revisions, upgrade

# Values that make a row meaningful to a data migration (a concluded case gets a conclusion day in 0400).
OVERRIDES = {("cases", "status"): "concluded"}


def revisions_oldest_first() -> list[str]:
    return [revision.revision for revision in reversed(list(ScriptDirectory(str(MIGRATIONS)).walk_revisions()))]


def value_for(table, column, counter: int):
    if (table.name, column.name) in OVERRIDES:
        return OVERRIDES[(table.name, column.name)]
    kind = column.type.python_type
    if kind is bool:
        return True
    if kind is int:
        return counter
    if kind is bytes:
        return bytes([counter % 256]) * 8
    if kind is datetime:
        return datetime(2024, 5, counter % 28 + 1, 12, 30, tzinfo=UTC)
    if kind is date:
        return date(2024, 5, counter % 28 + 1)
    text = f"{table.name[:8]}{counter}"
    length = getattr(column.type, "length", None)
    return text[:length] if length else text


def fill_empty_tables(database: Database, counter: int) -> int:
    metadata = MetaData()
    with database.engine.begin() as connection:
        metadata.reflect(connection)
        for table in metadata.sorted_tables:
            if table.name == "alembic_version" or connection.execute(select(func.count()).select_from(table)).scalar():
                continue
            row = {}
            for column in table.columns:
                counter += 1
                foreign = next(iter(column.foreign_keys), None)
                if foreign is not None:
                    row[column.name] = connection.execute(select(foreign.column).limit(1)).scalar_one()
                elif column.primary_key and column.autoincrement is True and column.type.python_type is int:
                    continue
                else:
                    row[column.name] = value_for(table, column, counter)
            connection.execute(table.insert().values(row))
    return counter


def snapshot(database: Database) -> dict[str, list[dict]]:
    metadata = MetaData()
    with database.engine.connect() as connection:
        metadata.reflect(connection)
        return {table.name: [dict(row._mapping) for row in connection.execute(select(table))]
                for table in metadata.sorted_tables if table.name != "alembic_version"}


def test_upgrading_one_revision_at_a_time_with_data_in_every_table_loses_nothing(database_url):
    database = Database(database_url)
    try:
        counter = 0
        seen: dict[str, list[dict]] = {}
        for revision in revisions_oldest_first():
            upgrade(database, revision)
            counter = fill_empty_tables(database, counter)
            for table, rows in snapshot(database).items():
                seen.setdefault(table, [])
                seen[table] += [row for row in rows if row not in seen[table]]
        assert current_revisions(database) == head_revisions()
        final = snapshot(database)
        assert all(final.values()), [name for name, rows in final.items() if not rows]  # data in every table
        for table, rows in seen.items():
            for row in rows:
                kept = [later for later in final[table] if all(later.get(k) == v for k, v in row.items()
                                                              if k in later and k not in ("concluded_on", "group_id"))]
                assert kept, f"{table} lost {row}"
        case = final["cases"][0]
        assert case["concluded_on"] is not None  # 0400 gave the concluded case a conclusion day
        assert case["group_id"] is not None  # 0002 routed the existing case to its city's ethics group
    finally:
        database.dispose()
