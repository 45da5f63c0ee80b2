"""Alembic environment: runs against the engine intake.operations.migrate passes in."""

from alembic import context
from sqlmodel import SQLModel

import intake.models  # noqa: F401

config = context.config
engine = config.attributes["engine"]

with engine.connect() as connection:
    sqlite = connection.dialect.name == "sqlite"
    driver = connection.connection.driver_connection if sqlite else None
    if driver is not None:
        # Batch migrations rebuild a SQLite table (create, copy, DROP, rename). With foreign keys on, that DROP
        # deletes through ON DELETE CASCADE children or fails (sqlite.org/lang_altertable.html, section 7): they
        # are off while migrating (the pragma only takes effect outside a transaction), then checked.
        driver.execute("PRAGMA foreign_keys=OFF")
    try:
        context.configure(
            connection=connection,
            target_metadata=SQLModel.metadata,
            render_as_batch=sqlite,
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()
        if driver is not None and driver.execute("PRAGMA foreign_key_check").fetchall():
            raise RuntimeError("a migration left rows whose foreign keys point nowhere")
    finally:
        if driver is not None:
            driver.execute("PRAGMA foreign_keys=ON")
