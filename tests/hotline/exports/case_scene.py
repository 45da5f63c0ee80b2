"""A case with everything a PDF must carry: questionnaire answers, attachments, a message from the reporter, a
reply, a request for information, an internal note, an assignee, a status with an outcome, a redaction, a closed
record, and a reviewer the reporter excluded who then tried to open it. Built through the real services."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from crypto.scratch import ScratchFile
from intake.accounts.sessions import ReviewerContext
from intake.casework import assignment, closed_records, notes, redaction
from intake.casework import status_changes as case_status_changes
from intake.casework.cases import read_case, reply_to_reporter
from intake.errors import NotFound
from intake.items import KIND_INFORMATION_REQUEST
from intake.reports.attachments import Upload
from intake.reports.submission import add_reporter_message, open_report, submit_report
from tests.intake.casework.console_helpers import context_for, make_city

# 15:25 UTC on a December day is 9:25 AM in Missouri (America/Chicago, UTC-6).
RECEIVED = datetime(2025, 12, 1, 15, 25, tzinfo=UTC)
# The refused attempt and the export, at a fixed time too: at the time of day a test ran, a page could show
# any time at all (one of them, "3:33:25 PM", held the "3:25" that test_case_pdf says no UTC time shows).
EXPORTED = RECEIVED + timedelta(days=5)
REDACTED_PASSAGE = "Marker-redacted-Dale-Hobbs-phone-816"
NARRATIVE = (f"Marker-narrative: fuel cards at the Raytown public works depot are used at weekends. Call me at "
             f"{REDACTED_PASSAGE} if needed. A very long line follows to check wrapping: " + "word " * 80)
LONG_FILE_NAME = "weekend-fuel-card-statements-for-the-public-works-depot-" + "x" * 60 + ".txt"


@dataclass
class RichCase:
    case_id: str
    number: int
    ana: ReviewerContext  # the assignee, who exports it
    excluded_name: str
    reader_names: tuple[str, ...]
    marker_texts: dict[str, str]  # what must be in the PDF, by what it is


def upload(name: str, content: bytes) -> Upload:
    scratch = ScratchFile()
    scratch.write(content)
    return Upload(name, scratch.finish())


def rich_case(database, config) -> RichCase:
    city = make_city(database, config, "raytown", {
        "ana": ("reviewer", None), "bo": ("reviewer", None), "dale": ("reviewer", None)})
    ana = context_for(database, config, "ana@raytown.example")
    clock = lambda: RECEIVED  # noqa: E731
    submitted = submit_report(
        database, config, city_slug="raytown", category="fraud-waste-abuse", narrative=NARRATIVE,
        excluded_reviewer_ids=[city.reviewer_ids["dale"]],
        answers={"q-where": ["Public works depot, Marker-answer-yard 3"], "q-how_known": ["saw"],
                 "q-evidence": ["documents"]},
        attachments=[upload("receipts.txt", b"Marker-attachment-content receipts"),
                     upload(LONG_FILE_NAME, b"statements")], clock=clock)
    access = open_report(database, config, submitted.report_key)
    add_reporter_message(database, config, access, "Marker-reporter-message: it happened again on Saturday.",
                         attachments=[upload("saturday.txt", b"Marker-second-file")],
                         clock=lambda: RECEIVED + timedelta(days=3))
    later = RECEIVED + timedelta(days=1)
    reply_to_reporter(database, config, ana, submitted.case_id, "Marker-reply: thank you, we are looking into it.",
                      clock=lambda: later)
    reply_to_reporter(database, config, ana, submitted.case_id, "Marker-request: which weekends exactly?",
                      kind=KIND_INFORMATION_REQUEST, clock=lambda: later + timedelta(hours=2))
    notes.add_internal_note(database, config, ana, submitted.case_id,
                            "Marker-internal-note: compare with the fleet log.", clock=lambda: later)
    assignment.assign_case(database, ana, submitted.case_id, city.reviewer_ids["ana"], clock=lambda: later)
    case_status_changes.change_status(database, config, ana, submitted.case_id, "investigating",
                                      clock=lambda: later + timedelta(days=1))
    report_item = read_case(database, ana, submitted.case_id).items[0]
    redaction.redact_passage(database, ana, submitted.case_id, report_item.item_id, REDACTED_PASSAGE,
                             clock=lambda: later + timedelta(days=2))
    closed_records.close_as_record(database, ana, submitted.case_id, "610.021(16)", clock=lambda: later)
    dale = context_for(database, config, "dale@raytown.example")
    with pytest.raises(NotFound):  # the excluded reviewer tries, is refused, and the attempt is audited
        read_case(database, dale, submitted.case_id, clock=lambda: EXPORTED)
    number = read_case(database, ana, submitted.case_id).summary.number
    return RichCase(
        submitted.case_id, number, ana, "Dale Raytown", ("Ana Raytown", "Bo Raytown"),
        {"narrative": "Marker-narrative", "answer": "Marker-answer-yard 3", "answer choice": "I saw or heard it",
         "question": "Where did it happen?", "attachment": "receipts.txt", "second file": "saturday.txt",
         "message": "Marker-reporter-message", "reply": "Marker-reply", "request": "Marker-request",
         "note": "Marker-internal-note", "assignee": "Ana Raytown", "closed record": "610.021(16)"})
