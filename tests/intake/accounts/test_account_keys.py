"""Accounts made before account keys (docs/design.md#account-keys-and-passkeys): a database written by the code as
it was before (tests/intake/accounts/fixtures/accounts-before-account-keys.sql, made at commit ab739dd) is upgraded
to the newest schema, on SQLite and on PostgreSQL; each reviewer then signs in with their password and TOTP code and
opens their city's case. Their keys moved under a new account key at that sign-in, audited, and they keep working
afterwards, through a password change too."""

from __future__ import annotations

import json
import sqlite3
from datetime import timedelta
from pathlib import Path

import pyotp
import pytest
import sqlalchemy
from alembic import command
from sqlmodel import select

from crypto.params import Argon2Cost
from intake.accounts.account import change_password
from intake.accounts.authentication import authenticate
from intake.accounts.sessions import resume_session, start_session
from intake.casework import cases as casework
from intake.clock import utc_now
from intake.config import IntakeConfig
from intake.db import Database
from intake.errors import WrongCredentials
from intake.models import AuditEntry, Reviewer
from intake.operations.migrate import alembic_config, upgrade

FIXTURES = Path(__file__).resolve().parent / "fixtures"
FACTS = json.loads((FIXTURES / "accounts-before-account-keys.json").read_text())
KDF = Argon2Cost(memory_kib=256, iterations=1, lanes=1)


def legacy_sqlite(path: Path) -> str:
    connection = sqlite3.connect(path)
    connection.executescript((FIXTURES / "accounts-before-account-keys.sql").read_text())
    connection.close()
    return f"sqlite:///{path}"


def copy_into(url: str, legacy_url: str) -> None:
    """The fixture's rows, table by table, into a database at the fixture's revision (0640)."""
    target = Database(url)
    command.upgrade(alembic_config(target), "0640")
    source = sqlalchemy.create_engine(legacy_url)
    metadata = sqlalchemy.MetaData()
    metadata.reflect(source)
    with source.connect() as reading, target.engine.begin() as writing:
        for table in metadata.sorted_tables:
            if table.name == "alembic_version":
                continue
            rows = [dict(row._mapping) for row in reading.execute(table.select())]
            if rows:
                writing.execute(sqlalchemy.Table(table.name, sqlalchemy.MetaData(), autoload_with=writing).insert(),
                                rows)
        if not target.is_sqlite:  # serial columns continue after the copied ids
            for table in metadata.sorted_tables:
                if "id" in table.c and isinstance(table.c.id.type, sqlalchemy.Integer):
                    writing.exec_driver_sql(
                        f"SELECT setval(pg_get_serial_sequence('\"{table.name}\"', 'id'), "
                        f"(SELECT COALESCE(MAX(id), 0) + 1 FROM \"{table.name}\"), false)")
    source.dispose()
    target.dispose()


def test_accounts_made_before_account_keys_sign_in_and_open_their_cases(database_url, tmp_path):
    legacy = legacy_sqlite(tmp_path / "legacy.sqlite3")
    if database_url.startswith("sqlite"):
        url = legacy
    else:
        url = database_url
        copy_into(url, legacy)
    database = Database(url)
    upgrade(database)
    config = IntakeConfig(pepper=FACTS["pepper"].encode(), reviewer_kdf=KDF, report_key_kdf=KDF)
    try:
        for email, facts in FACTS["reviewers"].items():
            with database.read() as session:
                assert session.exec(select(Reviewer).where(Reviewer.email == email)).one() \
                    .password_wrapped_account_key is None
            code = pyotp.TOTP(facts["totp_secret"]).now()
            signed_in = authenticate(database, config, email, facts["password"], code).signed_in
            assert signed_in.account_key is not None and signed_in.memberships[0].city_private_key is not None
            context = resume_session(database, config, start_session(database, signed_in,
                                                                     signed_in.memberships[0].city_id))
            case = FACTS["cases"][facts["city"]]
            assert casework.read_case(database, context, case["case_id"]).items[0].text == case["narrative"]
            with database.read() as session:
                row = session.exec(select(Reviewer).where(Reviewer.email == email)).one()
                made = session.exec(select(AuditEntry).where(AuditEntry.action == "reviewer.account_key_made",
                                                             AuditEntry.actor == f"reviewer:{row.id}")).all()
            assert row.password_wrapped_account_key is not None and len(made) == 1
        # Afterwards: the same password opens the same account key, and a password change keeps everything.
        email, facts = next(iter(FACTS["reviewers"].items()))
        totp = pyotp.TOTP(facts["totp_secret"])
        half, full = utc_now() + timedelta(seconds=30), utc_now() + timedelta(seconds=60)
        again = authenticate(database, config, email, facts["password"], totp.at(half), clock=lambda: half)
        context = resume_session(database, config, start_session(database, again.signed_in,
                                                                 again.signed_in.memberships[0].city_id))
        change_password(database, config, context, facts["password"], "a new password after the move")
        with pytest.raises(WrongCredentials):  # the old password no longer opens anything
            authenticate(database, config, email, facts["password"], totp.at(full), clock=lambda: half)
        case = FACTS["cases"][facts["city"]]
        moved = authenticate(database, config, email, "a new password after the move", totp.at(full),
                             clock=lambda: full)
        context = resume_session(database, config, start_session(database, moved.signed_in,
                                                                 moved.signed_in.memberships[0].city_id))
        assert casework.read_case(database, context, case["case_id"]).items[0].text == case["narrative"]
    finally:
        database.dispose()
