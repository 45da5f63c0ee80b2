"""Key rotation against every other change to an item's sealed key or content, whichever lands first
(docs/design.md#key-rotation).

At each step of a rotation (after it is prepared, after each batch, during the switch, and between a run that
stopped half-way and the run that resumes it) a reviewer redacts a passage of a report and a whole attachment
that were already re-sealed, the reporter adds a message, and retention purges a concluded case. Afterwards
every item left opens with the new city key, and every case with its reporter's key, showing exactly what the
changes left: the redactions, the new message, and nothing of the purged case.
"""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlmodel import col, select

from crypto.scratch import ScratchFile
from crypto.sealing import Recipient, open_data_key
from crypto.streaming import open_chunks
from intake.accounts.reviewers import add_reviewer, sign_in
from intake.accounts.sessions import resume_session, start_session
from intake.casework import redaction
from intake.cities import create_city, find_city, open_city_key_with_recovery_key
from intake.clock import utc_now
from intake.errors import InvalidInput
from intake.items import item_context, text_for_city
from intake.keys import rotation as rotation_module
from intake.keys.rotation import rotate_city_key
from intake.models import Case, CaseItem, ItemChunk, ResealedCityKey
from intake.operations.retention import run_retention, set_rule
from intake.reports.attachments import Upload
from intake.reports.submission import add_reporter_message, open_report, reporter_view, submit_report

PASSWORD = "a long enough password"
REPORTS = 6
BATCH = 3
# 6 reports with one file each, and one concluded case of two items: 14 items, 5 batches of 3.
BATCHES = 5
STEPS = ["prepare", *[f"batch-{n}" for n in range(1, BATCHES + 1)], "switch", "resume-after-kill"]


class Killed(Exception):
    """Stands for the process dying between batches: each batch commits whole or not at all."""


def upload(name: str, data: bytes) -> Upload:
    scratch = ScratchFile()
    scratch.write(data)
    return Upload(name, scratch.finish())


class Site:
    def __init__(self, database, config) -> None:
        self.database, self.config = database, config
        created = create_city(database, "raytown", "Raytown")
        self.recovery_key = created.recovery_key
        key = open_city_key_with_recovery_key(find_city(database, "raytown"), created.recovery_key)
        add_reviewer(database, config, city_slug="raytown", email="one@raytown.example", display_name="One",
                     password=PASSWORD, role="reviewer", city_private_key=key)
        signed_in = sign_in(database, config, "one@raytown.example", PASSWORD)
        self.reviewer = resume_session(database, config, start_session(database, signed_in,
                                                                       signed_in.memberships[0].city_id))
        self.keys: dict[str, str] = {}
        for n in range(REPORTS):
            made = submit_report(database, config, city_slug="raytown", category="safety",
                                 narrative=f"Report {n}: the passage secret-{n} must go, the rest stays.",
                                 attachments=[upload(f"file-{n}.bin", bytes([n]) * 70_000)])
            self.keys[made.case_id] = made.report_key
        concluded = submit_report(database, config, city_slug="raytown", category="fraud-waste-abuse",
                                  narrative="A concluded case that retention purges.")
        self.purged_case = concluded.case_id
        with database.write() as session:
            case = session.get(Case, concluded.case_id)
            case.status, case.outcome = "concluded", "unsubstantiated"
            case.concluded_on = utc_now().date() - timedelta(days=10)
            session.add(case)
        set_rule(database, "raytown", "concluded-cases", 1)
        self.redacted_report: str | None = None
        self.redacted_file: str | None = None
        self.message: tuple[str, str] | None = None
        self.refused: list[str] = []
        # How many of the items changed had their key re-sealed aside already (the switch must notice each one),
        # and how many were changed at all (a batch being written meanwhile may have read one before its change).
        self.changed_after_resealing = 0
        self.changed = 0

    def _target(self, kind: str) -> tuple[CaseItem, bool]:
        """An item of ``kind`` whose key is already re-sealed aside, if any (the case the switch must catch), else
        any, never the purged case's; and whether it was re-sealed aside."""
        with self.database.read() as session:
            rows = session.exec(select(CaseItem).where(CaseItem.kind == kind, CaseItem.case_id != self.purged_case)
                                .order_by(col(CaseItem.id))).all()
            staged = set(session.exec(select(ResealedCityKey.item_id)).all())
        row = next((row for row in rows if row.id in staged), rows[0])
        return row, row.id in staged

    def interfere(self) -> None:
        report, staged = self._target("report")
        passage = next(f"secret-{n}" for n in range(REPORTS)
                       if f"secret-{n}" in text_for_city(report, self.reviewer.city_private_key))
        try:
            redaction.redact_passage(self.database, self.reviewer, report.case_id, report.id, passage)
            self.redacted_report = report.id
            self.changed_after_resealing += staged
            self.changed += 1
        except InvalidInput as refused:  # only during the switch: the session's key was replaced meanwhile
            self.refused.append(refused.problems["passage"])
        attachment, staged = self._target("attachment")
        redaction.redact_item(self.database, self.reviewer, attachment.case_id, attachment.id)
        self.redacted_file = attachment.id
        self.changed_after_resealing += staged
        self.changed += 1
        case_id = report.case_id
        access = open_report(self.database, self.config, self.keys[case_id])
        add_reporter_message(self.database, self.config, access, f"A message added at {id(self)}")
        self.message = (case_id, f"A message added at {id(self)}")
        run_retention(self.database, vacuum=False)

    def check_everything_opens(self, recovery_key: str) -> None:
        new_key = open_city_key_with_recovery_key(find_city(self.database, "raytown"), recovery_key)
        with self.database.read() as session:
            items = session.exec(select(CaseItem)).all()
            assert session.get(Case, self.purged_case) is None
            assert not session.exec(select(CaseItem).where(CaseItem.case_id == self.purged_case)).all()
            assert not session.exec(select(ResealedCityKey)).all()
        assert len(items) >= REPORTS * 2 + 1
        for item in items:
            if item.stream_header is not None:
                data_key = open_data_key(item.key_for_city, new_key, item_context(item), Recipient.CITY)
                with self.database.read() as session:
                    chunks = session.exec(select(ItemChunk.ciphertext).where(ItemChunk.item_id == item.id)
                                          .order_by(col(ItemChunk.index))).all()
                assert sum(len(chunk) for chunk in open_chunks(data_key, item_context(item), item.stream_header,
                                                                  chunks)) == 70_000
            else:
                text = text_for_city(item, new_key)
                if item.id == self.redacted_report:
                    assert "[redacted]" in text and "secret-" not in text
                if item.id == self.redacted_file:
                    assert text == "[redacted]"
        for case_id, report_key in self.keys.items():  # the reporters' side opens too
            view = reporter_view(self.database, open_report(self.database, self.config, report_key))
            texts = [item.text for item in view.items]
            if self.message and case_id == self.message[0]:
                assert self.message[1] in texts


@pytest.fixture
def site(database, config) -> Site:
    return Site(database, config)


@pytest.mark.parametrize("step", STEPS)
def test_a_redaction_a_message_and_a_purge_at_any_step_lose_nothing(site, step, monkeypatch):
    calls = []

    def progress(done: int, total: int) -> None:
        calls.append(done)
        at = {"prepare": 1, **{f"batch-{n}": 1 + n for n in range(1, BATCHES + 1)}}.get(step)
        if len(calls) == at:
            site.interfere()
        elif step == "resume-after-kill" and len(calls) == 3:
            raise Killed()

    if step == "switch":
        original = rotation_module._reseal_exit_responses
        blocked = []

        def during_the_switch(*args, **kwargs):
            # Inside the switch's transaction, under the city lock: the changes start now and must wait for it.
            worker = threading.Thread(target=site.interfere)
            worker.start()
            worker.join(timeout=1.0)
            blocked.append(worker.is_alive())
            site.worker = worker
            return original(*args, **kwargs)

        monkeypatch.setattr(rotation_module, "_reseal_exit_responses", during_the_switch)

    if step == "resume-after-kill":
        with pytest.raises(Killed):
            rotate_city_key(site.database, "raytown", site.recovery_key, batch_size=BATCH, progress=progress)
        site.interfere()
        result = rotate_city_key(site.database, "raytown", site.recovery_key, batch_size=BATCH)
        assert result.resumed
    else:
        result = rotate_city_key(site.database, "raytown", site.recovery_key, batch_size=BATCH, progress=progress)
    if step == "switch":
        site.worker.join(timeout=60)
        assert blocked == [True], "the changes did not wait for the switch"
        # The session's old key was replaced under it: the passage redaction is refused in so many words.
        assert site.refused == ["The city key was just replaced: sign in again, then redact."]
    else:
        assert site.redacted_report is not None and not site.refused
    assert len(calls) >= 1 + BATCHES or step == "resume-after-kill"
    site.check_everything_opens(result.recovery_key)
    # Every changed item whose key had been re-sealed aside was re-sealed again at the switch (and one re-sealed by
    # a batch written while it changed, if the timing fell so), never an item that did not change.
    assert site.changed_after_resealing <= result.changed_meanwhile <= site.changed
    if (step.startswith("batch-") and step != "batch-1") or step == "resume-after-kill":
        assert site.changed_after_resealing >= 1
