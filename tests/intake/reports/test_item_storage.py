"""On PostgreSQL a report's item (its ciphertext and two HPKE-sealed data keys, about 4.6 KiB) is written in its
row, not moved out of line by TOAST, whether the schema came from the migrations (as deployed) or from the models
(as the tests build it): intake.models.case.CaseItem, migration 0680."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from intake.db import Database
from intake.operations.migrate import upgrade
from intake.reports import submission as reports
from tests.intake.reports.test_submission import make_city

NARRATIVE = "The crew logged overtime on days the yard was closed, and the fuel card was used twice. " * 24


def _out_of_line_bytes(database: Database) -> tuple[int, list[str]]:
    with database.engine.connect() as connection:
        toast, options = connection.execute(text(
            "SELECT pg_relation_size(reltoastrelid), reloptions FROM pg_class "
            "WHERE relname = 'case_item' AND relnamespace = current_schema()::regnamespace")).one()
    return toast, list(options or [])


@pytest.mark.parametrize("schema_from", ["migrations", "models"])
def test_a_reports_item_stays_in_its_row(database_url, config, schema_from):
    if database_url.startswith("sqlite"):
        pytest.skip("TOAST is PostgreSQL's; SQLite keeps a row's values together")
    database = Database(database_url)
    try:
        upgrade(database) if schema_from == "migrations" else database.create_schema()
        make_city(database, config, "raytown")
        submitted = reports.submit_report(database, config, city_slug="raytown", category="safety",
                                          narrative=NARRATIVE)
        with database.engine.connect() as connection:
            row_bytes = connection.execute(text("SELECT pg_column_size(case_item.*) FROM case_item "
                                                "WHERE case_id = :case"), {"case": submitted.case_id}).scalar()
        toast, options = _out_of_line_bytes(database)
        assert row_bytes > 2032  # over the size at which PostgreSQL would otherwise move values out of line
        assert toast == 0
        assert "toast_tuple_target=8160" in options
    finally:
        database.dispose()
