"""The audit vocabulary (intake.audit.actions): every action a member with a meaning and labels in English and
Spanish, every member in docs/audit.md, nothing written that is not a member, and chains written before the
vocabulary existed still verify (docs/design.md#audit-log)."""

import ast
import json
from pathlib import Path

import pytest
from sqlmodel import func, select

from crypto.audit_chain import AuditValue
from intake import audit
from intake.audit.actions import ACTIONS, NEVER_RECORDED, AuditAction, checked, label
from intake.audit.chain import verify_entries
from intake.audit.export import verify_export
from intake.cities import create_city
from intake.models import AuditEntry, City

ROOT = Path(__file__).resolve().parents[3]
FIXTURES = Path(__file__).resolve().parent / "fixtures"
AUDIT_DOC = ROOT / "docs" / "audit.md"


def test_every_member_has_a_meaning_and_two_labels():
    assert set(ACTIONS) == set(AuditAction)
    for action, info in ACTIONS.items():
        assert info.meaning and info.records, action
        assert info.label_en and info.label_es and info.label_en != info.label_es, action
        assert action.value not in (info.label_en, info.label_es)
    assert label("case.routed") == "Sent to a group" and label("case.routed", "es") == "Enviada a un grupo"


def test_docs_audit_lists_every_action_with_what_it_records():
    text = AUDIT_DOC.read_text()
    for action, info in ACTIONS.items():
        assert f"`{action.value}`" in text, f"{action.value} is missing from docs/audit.md"
        assert info.label_en in text and info.records in text, action.value
        if info.retired:
            assert info.retired in text, action.value
    for never in NEVER_RECORDED:
        assert never in text


def test_a_value_that_is_not_a_member_is_refused_before_anything_is_stored(database):
    create_city(database, "raytown", "Raytown")
    with pytest.raises(ValueError), database.write() as session:
        city = session.exec(select(City)).one()
        audit.append(session, audit.lock_city(session, city.id or 0), actor=audit.SYSTEM, action="case.made_up",
                     when=city.created_at)
    with pytest.raises(ValueError):
        checked(AuditAction.KEY_RECOVERED)  # retired: old entries keep it, nothing new writes it
    with database.read() as session:
        assert session.exec(select(func.count()).select_from(AuditEntry)).one() == 1  # city.created only


def _written_literals(path: Path) -> list[str]:
    """String constants passed as an audit action: ``action="..."`` or PendingEntry's second argument."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if not isinstance(node, ast.Call):
            continue
        name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
        values = [kw.value for kw in node.keywords if kw.arg == "action"]
        if name == "PendingEntry" and len(node.args) > 1:
            values.append(node.args[1])
        if name in ("append", "PendingEntry"):
            found += [f"{path}:{v.lineno}" for v in values if isinstance(v, ast.Constant)]
    return found


def test_no_code_writes_an_action_as_a_bare_string():
    offenders = [hit for package in ("intake", "hotline") for path in (ROOT / package).rglob("*.py")
                 for hit in _written_literals(path)]
    assert offenders == []


def test_a_chain_and_an_export_made_before_the_vocabulary_still_verify():
    """Both files were written by the code as it was before the vocabulary (and before the two ways of restoring
    access were merged): retired actions such as key.recovered are in them."""
    exported = json.loads((FIXTURES / "raytown-export-before-vocabulary.json").read_text())
    stored = json.loads((FIXTURES / "raytown-rows-before-vocabulary.json").read_text())
    assert verify_export(exported, bytes.fromhex(stored["public_key"])).ok
    entries = [AuditEntry(city_id=1, sequence=row["sequence"], recorded_at=row["recorded_at"], actor=row["actor"],
                          action=row["action"], subject=row["subject"], detail=row["detail"],
                          previous_hash=bytes.fromhex(row["previous_hash"]),
                          entry_hash=bytes.fromhex(row["entry_hash"])) for row in stored["rows"]]
    head = entries[-1]
    assert verify_entries("raytown", entries, head.sequence, head.entry_hash).ok
    actions = {entry.action for entry in entries}
    assert "key.recovered" in actions and "reviewer.access_restored" in actions
    for action in actions:
        assert label(action) != action and label(action, "es") != action
    entries[3].action = "case.made_up"
    assert not verify_entries("raytown", entries, head.sequence, head.entry_hash).ok


def test_audit_values_stay_plain_strings():
    detail: dict[str, AuditValue] = {"x": 1}
    assert json.dumps(AuditAction.CASE_READ) == '"case.read"' and detail
    assert checked(AuditAction.CASE_READ) == "case.read" and type(checked(AuditAction.CASE_READ)) is str
