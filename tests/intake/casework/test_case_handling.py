"""The case page's services: status changes with their rules, notes the reporter never reads,
assignment, closed records, staff-entered reports, timeline, exports, and permanent redaction."""

import io
import zipfile
from pathlib import Path

import pypdf
import pytest
from sqlalchemy import text
from sqlmodel import select

from crypto.scratch import ScratchFile
from crypto.sealing import ItemContext, Recipient, new_data_key, seal_data_key
from crypto.streaming import seal_chunks
from hotline.exports.case_pdf import case_pdf
from intake.audit.timeline import case_timeline
from intake.casework import assignment, closed_records, notes, redaction
from intake.casework import status_changes as case_status_changes
from intake.casework.cases import read_case, reply_to_reporter
from intake.casework.export import export_case, open_streamed_item, write_case_zip
from intake.errors import InvalidInput, NotFound
from intake.items import new_id, next_position
from intake.models import AuditEntry, Case, CaseItem, City, ItemChunk
from intake.reports import submission as reports
from intake.reports.attachments import CleanedUpload
from intake.reports.attachments import add_attachment as add_attachment_to_case
from intake.reports.staff_intake import record_staff_report
from tests.intake.casework.console_helpers import context_for, make_city

SECRET = "Marker-Passage-7f3a the treasurer's cousin"


@pytest.fixture
def scene(database, config):
    raytown = make_city(database, config, "raytown", {"ana": ("reviewer", None), "bo": ("reviewer", None)})
    make_city(database, config, "grandview", {"gus": ("reviewer", None)})
    submitted = reports.submit_report(database, config, city_slug="raytown", category="fraud-waste-abuse",
                                      narrative=f"Invoices were approved for {SECRET} twice.")
    ana = context_for(database, config, "ana@raytown.example")
    gus = context_for(database, config, "gus@grandview.example")
    return raytown, submitted, ana, gus


def case_row(database, case_id) -> Case:
    with database.read() as session:
        return session.get(Case, case_id)


def test_status_changes_follow_the_rules_and_bad_ones_change_nothing(database, config, scene):
    _city, submitted, ana, _gus = scene
    case_id = submitted.case_id
    for status, outcome, reason, field in (("assessing", "", "", None), ("concluded", "", "", "outcome"),
                                           ("concluded", "maybe", "", "outcome"), ("deleted", "", "", "status"),
                                           ("assessing", "", "", "status")):
        before = case_row(database, case_id)
        if field is None:
            case_status_changes.change_status(database, config, ana, case_id, status)
            continue
        with pytest.raises(InvalidInput) as raised:
            case_status_changes.change_status(database, config, ana, case_id, status, outcome=outcome, reason=reason)
        assert field in raised.value.problems
        assert case_row(database, case_id) == before
    case_status_changes.change_status(database, config, ana, case_id, "concluded", outcome="substantiated")
    concluded = case_row(database, case_id)
    assert concluded.outcome == "substantiated" and concluded.concluded_on and concluded.next_due_on is None
    with pytest.raises(InvalidInput) as raised:
        case_status_changes.change_status(database, config, ana, case_id, "investigating")
    assert "reason" in raised.value.problems and case_row(database, case_id).status == "concluded"
    case_status_changes.change_status(database, config, ana, case_id, "investigating", reason="New evidence came in.")
    reopened = case_row(database, case_id)
    assert reopened.status == "investigating" and reopened.outcome is None
    items = read_case(database, ana, case_id).items
    assert items[-1].kind == "internal_note" and "New evidence came in." in items[-1].text
    actions = [(e.action, e.detail) for e in case_timeline(database, ana, case_id)]
    assert ("case.status_changed", {"from": "concluded", "to": "investigating", "reopened": 1}) in [
        (a, {k: v for k, v in d.items() if v is not None}) for a, d in actions]


def test_another_citys_reviewer_changes_nothing_and_is_audited(database, config, scene):
    _city, submitted, _ana, gus = scene
    calls = [lambda: case_status_changes.change_status(database, config, gus, submitted.case_id, "assessing"),
             lambda: notes.add_internal_note(database, config, gus, submitted.case_id, "x"),
             lambda: assignment.assign_case(database, gus, submitted.case_id, None),
             lambda: closed_records.close_as_record(database, gus, submitted.case_id, "610.021(16)"),
             lambda: redaction.redact_passage(database, gus, submitted.case_id, "x" * 32, "x"),
             lambda: export_case(database, gus, submitted.case_id, export_format="pdf"),
             lambda: export_case(database, gus, submitted.case_id, export_format="zip")]
    for call in calls:
        with pytest.raises(NotFound):
            call()
    assert case_row(database, submitted.case_id).status == "received"
    with database.read() as session:
        denied = session.exec(select(AuditEntry).where(AuditEntry.action == "case.access_denied")).all()
    assert len(denied) == len(calls) and all(e.city_id == 1 for e in denied)


def test_internal_notes_are_sealed_to_the_city_only(database, config, scene):
    _city, submitted, ana, _gus = scene
    notes.add_internal_note(database, config, ana, submitted.case_id, "Talk to HR first.")
    with database.read() as session:
        note = session.exec(select(CaseItem).where(CaseItem.kind == "internal_note")).one()
    assert note.key_for_reporter is None and not note.visible_to_reporter
    access = reports.open_report(database, config, submitted.report_key)
    assert "Talk to HR first." not in [item.text for item in reports.reporter_view(database, access).items]
    with pytest.raises(InvalidInput):
        notes.add_internal_note(database, config, ana, submitted.case_id, "  ")


def test_replies_acknowledge_and_feedback_moves_the_deadline(database, config, scene):
    _city, submitted, ana, _gus = scene
    assert case_row(database, submitted.case_id).next_due_on == case_row(database, submitted.case_id).acknowledge_due_on
    reply_to_reporter(database, config, ana, submitted.case_id, "Which year?", kind="information_request")
    case = case_row(database, submitted.case_id)
    assert case.acknowledged_on and case.next_due_on == case.feedback_due_on
    reply_to_reporter(database, config, ana, submitted.case_id, "We have opened an audit.", feedback=True)
    assert case_row(database, submitted.case_id).next_due_on is None
    access = reports.open_report(database, config, submitted.report_key)
    kinds = [item.kind for item in reports.reporter_view(database, access).items]
    assert kinds == ["report", "information_request", "reviewer_reply"]


def test_assignment_only_to_someone_who_can_read_the_case(database, config, scene):
    city, submitted, ana, _gus = scene
    assignment.assign_case(database, ana, submitted.case_id, city.reviewer_ids["bo"])
    assert case_row(database, submitted.case_id).assignee_id == city.reviewer_ids["bo"]
    named = reports.submit_report(database, config, city_slug="raytown", category="safety",
                                  narrative="Bo Raytown skipped the inspection.")
    with pytest.raises(InvalidInput):
        assignment.assign_case(database, ana, named.case_id, city.reviewer_ids["bo"])
    with pytest.raises(InvalidInput):
        assignment.assign_case(database, ana, named.case_id, 999_999)
    assert case_row(database, named.case_id).assignee_id is None


def test_closed_record_under_rsmo_610_021(database, config, scene):
    _city, submitted, ana, _gus = scene
    with pytest.raises(InvalidInput):
        closed_records.close_as_record(database, ana, submitted.case_id, "610.021(99)")
    closed_records.close_as_record(database, ana, submitted.case_id, "610.021(16)")
    case = case_row(database, submitted.case_id)
    assert case.closed_record_basis == "610.021(16)" and case.closed_record_on
    with database.read() as session:
        entry = session.exec(select(AuditEntry).where(AuditEntry.action == "case.closed_record")).one()
    assert '"basis":"610.021(16)"' in entry.detail


def test_staff_entered_report_notes_its_channel_and_gives_a_key(database, config, scene):
    _city, _submitted, ana, _gus = scene
    with pytest.raises(InvalidInput):
        record_staff_report(database, config, ana, category="safety", channel="web", narrative="x")
    made = record_staff_report(database, config, ana, category="safety", channel="walk-in",
                               narrative="A worker came by about the trench.")
    assert case_row(database, made.case_id).channel == "walk-in"
    access = reports.open_report(database, config, made.report_key)
    assert reports.reporter_view(database, access).items[0].text == "A worker came by about the trench."
    with database.read() as session:
        entry = session.exec(select(AuditEntry).where(AuditEntry.action == "case.entered_by_staff")).one()
    assert entry.actor == ana.actor and entry.subject == made.case_id


def add_attachment(database, case_id: str, content: bytes, kind: str = "attachment") -> str:
    """A streamed item as the reporter's side (intake.reports.attachments) or the phone line stores one."""
    with database.write() as session:
        case = session.get(Case, case_id)
        city = session.get(City, case.city_id)
        if kind == "attachment":
            scratch = ScratchFile()
            scratch.write(content)
            scratch.finish()
            before = {row.id for row in session.exec(select(CaseItem).where(CaseItem.case_id == case.id)).all()}
            add_attachment_to_case(session, case, CleanedUpload("evidence.txt", "text/plain", False, scratch),
                                   city_public_key=city.public_key, position=next_position(session, case.id),
                                   created_on=case.received_on, author="reporter", parent_item_id="")
            scratch.close()
            after = session.exec(select(CaseItem).where(CaseItem.case_id == case.id)).all()
            return next(row.id for row in after if row.id not in before)
        item_id = new_id()
        context = ItemContext(city_id=case.city_id, case_id=case.id, item_id=item_id, kind=kind)
        data_key = new_data_key()
        header, chunks = seal_chunks(data_key, context, [content], len(content))
        session.add(CaseItem(id=item_id, case_id=case.id, city_id=case.city_id,
                             position=next_position(session, case.id), kind=kind, author="reporter",
                             created_on=case.received_on, stream_header=header,
                             key_for_city=seal_data_key(data_key, city.public_key, context, Recipient.CITY)))
        session.flush()
        for index, chunk in enumerate(chunks):
            session.add(ItemChunk(item_id=item_id, index=index, ciphertext=chunk))
    return item_id


def stored_bytes(database) -> bytes:
    """Everything the database holds in the content columns, as bytes."""
    with database.engine.connect() as connection:
        rows = connection.execute(text("SELECT ciphertext, key_for_city, key_for_reporter FROM case_item")).all()
        chunks = connection.execute(text("SELECT ciphertext FROM item_chunk")).all()
    return b"".join(bytes(v) for row in [*rows, *chunks] for v in row if v is not None)


def pdf_text(body: bytes) -> str:
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(body)).pages)


def test_redaction_removes_the_original_from_the_database_and_every_export(database, config, scene, tmp_path):
    _city, submitted, ana, _gus = scene
    reply_to_reporter(database, config, ana, submitted.case_id, f"About {SECRET}: which invoices?")
    attachment = add_attachment(database, submitted.case_id, b"Marker-Attachment-bytes " * 5000)
    with database.read() as session:
        before = {row.id: row.ciphertext for row in session.exec(select(CaseItem)).all()}
    exported = export_case(database, ana, submitted.case_id, export_format="pdf")
    assert SECRET in pdf_text(case_pdf(exported))
    buffer = io.BytesIO()
    assert write_case_zip(database, ana, export_case(database, ana, submitted.case_id, export_format="zip"),
                          b"%PDF", buffer) == 1
    names = zipfile.ZipFile(buffer).namelist()
    assert names[0].endswith(".pdf") and b"Marker-Attachment-bytes" in zipfile.ZipFile(buffer).read(names[1])
    assert b"".join(open_streamed_item(database, ana, submitted.case_id, attachment).chunks).startswith(b"Marker")

    items = read_case(database, ana, submitted.case_id).items
    with pytest.raises(InvalidInput):
        redaction.redact_passage(database, ana, submitted.case_id, items[0].item_id, "not in the text")
    with pytest.raises(InvalidInput):
        redaction.redact_item(database, ana, submitted.case_id, items[0].item_id)
    # The second look refuses what the redaction would refuse, shows what it would do, and changes nothing.
    with pytest.raises(InvalidInput):
        redaction.preview_passage(database, ana, submitted.case_id, items[0].item_id, "not in the text")
    with pytest.raises(InvalidInput):
        redaction.preview_item(database, ana, submitted.case_id, items[0].item_id)
    preview = redaction.preview_passage(database, ana, submitted.case_id, items[0].item_id, SECRET)
    assert (preview.occurrences, preview.result) == (1, "Invoices were approved for [redacted] twice.")
    whole = redaction.preview_item(database, ana, submitted.case_id, attachment)
    assert whole.whole_item and whole.streamed and whole.position == 3
    with database.read() as session:
        assert {row.id: row.ciphertext for row in session.exec(select(CaseItem)).all()} == before
    assert redaction.redact_passage(database, ana, submitted.case_id, items[0].item_id, SECRET) == 1
    redaction.redact_passage(database, ana, submitted.case_id, items[1].item_id, SECRET)
    redaction.redact_item(database, ana, submitted.case_id, attachment)

    after = read_case(database, ana, submitted.case_id).items
    assert after[0].text == "Invoices were approved for [redacted] twice." and after[0].redacted_on
    assert SECRET not in after[1].text and after[2].text == "[redacted]"
    stored = stored_bytes(database)
    for old in before.values():  # the old ciphertexts are overwritten, not kept beside the new ones
        assert old is None or old not in stored
    with database.read() as session:
        assert session.exec(select(ItemChunk)).all() == []
    assert SECRET not in pdf_text(case_pdf(export_case(database, ana, submitted.case_id, export_format="pdf")))
    buffer = io.BytesIO()
    assert write_case_zip(database, ana, export_case(database, ana, submitted.case_id, export_format="zip"),
                          b"%PDF", buffer) == 0
    access = reports.open_report(database, config, submitted.report_key)
    assert all(SECRET not in item.text for item in reports.reporter_view(database, access).items)
    if database.is_sqlite:  # and not in the file's free pages either (PRAGMA secure_delete)
        path = Path(database.url.split("///", 1)[1])
        raw = b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))
        assert all(old is None or old not in raw for old in before.values())
    with database.read() as session:
        redactions = session.exec(select(AuditEntry).where(AuditEntry.action == "case.redacted")).all()
    assert len(redactions) == 3 and all(SECRET not in (e.detail or "") for e in redactions)
