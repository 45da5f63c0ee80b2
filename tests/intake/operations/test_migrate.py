"""The Alembic migrations build exactly the schema the models describe, on both databases."""

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlmodel import SQLModel

from intake.db import Database
from intake.operations.migrate import current_revisions, head_revisions, upgrade


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


def test_the_console_migration_keeps_existing_cases_reviewers_and_sessions(database_url):
    """0200 (the console): open cases get their next deadline and their tallies, reviewers keep their accounts (and
    set up TOTP at their next sign-in), sessions stay full sessions."""
    from datetime import date, datetime

    from sqlalchemy import text

    from intake.operations.migrate import alembic_config

    database = Database(database_url)
    try:
        from alembic import command

        command.upgrade(alembic_config(database), "0002")
        with database.engine.begin() as connection:
            connection.execute(text(
                "INSERT INTO city (id, slug, name, public_key, recovery_wrapped_private_key, key_version, "
                "last_case_number, audit_head_sequence, audit_head_hash, created_at) VALUES (1, 'raytown', "
                "'Raytown', :k, :k, 1, 2, 0, :k, :now)"), {"k": b"k", "now": datetime(2026, 1, 1)})
            connection.execute(text("INSERT INTO reviewer_group (id, city_id, slug, name, purpose) "
                                    "VALUES (1, 1, 'ethics', 'Ethics', 'cases')"))
            connection.execute(text(
                "INSERT INTO reviewer (id, email, display_name, password_record, active, regional_coordinator, "
                "created_at) VALUES (1, 'a@r.example', 'A', :k, true, false, :now)"),
                {"k": b"k", "now": datetime(2026, 1, 1)})
            connection.execute(text(
                "INSERT INTO reviewer_session (id, reviewer_id, city_id, created_at, last_seen_at) "
                "VALUES ('s1', 1, 1, :now, :now)"), {"now": datetime(2026, 1, 1)})
            for number, status in ((1, "received"), (2, "concluded")):
                connection.execute(text(
                    "INSERT INTO cases (id, city_id, number, category, channel, status, received_on, "
                    "acknowledge_due_on, feedback_due_on, group_id, report_key_lookup, reporter_public_key, "
                    "reporter_wrapped_private_key) VALUES (:id, 1, :n, 'safety', 'web', :status, :r, :a, :f, 1, "
                    ":lookup, :k, :k)"),
                    {"id": f"{number:032d}", "n": number, "status": status, "r": date(2026, 1, 1),
                     "a": date(2026, 1, 8), "f": date(2026, 4, 1), "lookup": bytes([number]) * 32, "k": b"k"})
        command.upgrade(alembic_config(database), "0500")  # the next revision drops the sign-in counters
        with database.engine.connect() as connection:
            due = dict(connection.execute(text("SELECT number, next_due_on FROM cases")).all())
            tallies = connection.execute(text("SELECT status, has_due, count FROM case_tally ORDER BY status")).all()
            reviewer = connection.execute(text("SELECT totp_confirmed, failed_sign_ins FROM reviewer")).one()
            stage = connection.execute(text("SELECT stage FROM reviewer_session")).scalar_one()
        assert str(due[1]) == "2026-01-08" and due[2] is None
        assert [(s, bool(h), c) for s, h, c in tallies] == [("concluded", False, 1), ("received", True, 1)]
        assert not reviewer[0] and reviewer[1] == 0 and stage == "full"
    finally:
        database.dispose()
