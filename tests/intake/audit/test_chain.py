"""The audit chain finds any edited, removed or swapped entry and names the first bad one."""

import pytest
from sqlalchemy import text
from sqlmodel import select

from intake import audit
from intake.cities import create_city, find_city
from intake.models import AuditEntry
from intake.reports import submission as reports


def verdict(database, slug="raytown"):
    with database.read() as session:
        city = find_city(database, slug)
        return audit.verify_city(session, city)


@pytest.fixture
def chain(database, config):
    create_city(database, "raytown", "Raytown")
    create_city(database, "grandview", "Grandview")
    for n in range(5):
        reports.submit_report(database, config, city_slug="raytown", category="safety", narrative=f"report {n}")
    with database.read() as session:
        city_id = find_city(database, "raytown").id
        ids = session.exec(select(AuditEntry.id).where(AuditEntry.city_id == city_id)
                           .order_by(AuditEntry.sequence)).all()
    return ids


def test_untouched_chain_verifies(database, chain):
    result = verdict(database)
    assert result.ok and result.entries == 11  # created, then submitted and routed for each report
    assert verdict(database, "grandview").ok


def test_reporter_actions_are_recorded_to_the_day(database, chain):
    with database.read() as session:
        submitted = session.exec(select(AuditEntry).where(AuditEntry.action == "case.submitted")).all()
    assert all(len(entry.recorded_at) == 10 for entry in submitted)  # YYYY-MM-DD, no time of day


def test_edited_entry_is_named(database, chain):
    with database.engine.begin() as connection:
        connection.execute(text("UPDATE audit_entry SET action = 'case.deleted' WHERE id = :id"), {"id": chain[3]})
    result = verdict(database)
    assert not result.ok and result.first_bad_sequence == 4


def test_removed_entry_is_named(database, chain):
    with database.engine.begin() as connection:
        connection.execute(text("DELETE FROM audit_entry WHERE id = :id"), {"id": chain[2]})
    result = verdict(database)
    assert not result.ok and result.first_bad_sequence == 3


def test_removed_last_entry_is_found(database, chain):
    with database.engine.begin() as connection:
        connection.execute(text("DELETE FROM audit_entry WHERE id = :id"), {"id": chain[-1]})
    result = verdict(database)
    assert not result.ok and result.first_bad_sequence == len(chain)


def test_swapped_entries_are_named(database, chain):
    # Swap the sequence numbers of entries 2 and 3 (through a temporary value, for the unique constraint).
    with database.engine.begin() as connection:
        connection.execute(text("UPDATE audit_entry SET sequence = -1 WHERE id = :id"), {"id": chain[1]})
        connection.execute(text("UPDATE audit_entry SET sequence = 2 WHERE id = :id"), {"id": chain[2]})
        connection.execute(text("UPDATE audit_entry SET sequence = 3 WHERE id = :id"), {"id": chain[1]})
    result = verdict(database)
    assert not result.ok and result.first_bad_sequence == 2


def test_rewritten_detail_with_recomputed_hash_breaks_the_next_link(database, chain):
    from crypto.audit_chain import chain_hash

    with database.write() as session:
        entry = session.get(AuditEntry, chain[2])
        entry.detail = '{"category":"other","channel":"web"}'
        entry.entry_hash = chain_hash(entry.previous_hash, audit.entry_fields(entry, "raytown"))
        session.add(entry)
    result = verdict(database)
    assert not result.ok and result.first_bad_sequence == 4
