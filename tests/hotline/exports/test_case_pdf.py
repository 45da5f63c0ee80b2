"""The whole case in its PDF and ZIP, read back as an ethics officer preparing a referral would read them: every
part of the case in words, in English or Spanish, times in the city's zone and reporter days as dates, and never
the redacted passage or the name of the reviewer the reporter left out."""

from __future__ import annotations

import io
import zipfile
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from hotline.exports.case_pdf import case_pdf
from hotline.i18n import load_translations, translator
from intake.casework.export import export_case, write_case_zip
from intake.models import AuditEntry
from tests.hotline.exports.case_scene import EXPORTED, REDACTED_PASSAGE, rich_case
from tests.hotline.exports.pdf_layout import layout_problems, page_texts

CHICAGO = ZoneInfo("America/Chicago")


def exported_pdf(database, scene, language: str, zone: ZoneInfo = CHICAGO) -> str:
    exported = export_case(database, scene.ana, scene.case_id, export_format="pdf", language=language,
                           clock=lambda: EXPORTED)
    body = case_pdf(exported, translate=translator(load_translations(language), language), language=language,
                    zone=zone)
    assert layout_problems(body) == []
    return " ".join(page_texts(body))


@pytest.mark.parametrize("language", ["en", "es"])
def test_the_pdf_holds_the_whole_case_in_words_and_nothing_it_must_not(database, config, language):
    scene = rich_case(database, config)
    text = exported_pdf(database, scene, language)
    for what, marker in scene.marker_texts.items():
        if language == "es" and what in ("answer choice", "question"):
            continue  # the questionnaire's own Spanish, checked below
        assert marker in text, what
    assert all(name in text for name in scene.reader_names)  # who may read the case, by name
    assert REDACTED_PASSAGE not in text and "[redacted]" in text
    assert scene.excluded_name not in text and "Dale" not in text  # excluded, and refused when he tried
    assert "reviewer:" not in text and "case.status_changed" not in text and "investigating" not in text
    if language == "en":
        assert "Under investigation" in text and "Fraud, waste or abuse" in text and "Web form" in text
        assert "INTERNAL: never shown to the reporter." in text  # the note, marked
        assert "Request for information to the reporter" in text and "Message from the reporter" in text
        assert "Status changed" in text and "Access refused · someone without access" in text
        # The report arrived on Dec 1, 2025 (a reporter's day, and its routing's: a date, never a time); the reply
        # was written on Dec 2 at 15:25 UTC, 9:25 AM in Missouri.
        assert "Report received · the reporter" in text and "Dec 1, 2025 Report received" in text
        assert "Dec 2, 2025, 9:25:00 AM" in text and "3:25" not in text and "+00:00" not in text
        assert "Dec 1, 2025, 9:25" not in text  # the routing is the reporter's day, not a time
        assert "files/03-receipts.txt" in text and "in the ZIP as" in text
    else:
        assert "¿Dónde ocurrió?" in text and "Lo vi o lo oí en persona" in text
        assert "En investigación" in text and "Fraude, despilfarro o abuso" in text
        assert "INTERNA: nunca se muestra a la persona denunciante." in text
        assert "2 dic 2025, 9:25:00" in text and "Estado cambiado" in text


def test_exact_times_follow_the_city_zone_and_reporter_days_never_move(database, config):
    scene = rich_case(database, config)
    text = exported_pdf(database, scene, "en", ZoneInfo("Pacific/Kiritimati"))  # UTC+14
    assert "Dec 3, 2025, 5:25:00 AM" in text  # the reply, 15:25 UTC on Dec 2, is the next morning there
    assert "Dec 1, 2025 Report received" in text  # the reporter's day stays the day it was


def test_the_zip_holds_the_pdf_and_every_file_under_the_name_the_pdf_gives_it(database, config):
    scene = rich_case(database, config)
    exported = export_case(database, scene.ana, scene.case_id, export_format="zip")
    pdf = case_pdf(exported, zone=CHICAGO)
    buffer = io.BytesIO()
    assert write_case_zip(database, scene.ana, exported, pdf, buffer) == 3
    archive = zipfile.ZipFile(buffer)
    names = archive.namelist()
    assert names[0] == f"case-{scene.number}.pdf" and archive.read(names[0]) == pdf
    assert archive.read("files/03-receipts.txt") == b"Marker-attachment-content receipts"
    assert len(names) == 4 and all(name in " ".join(page_texts(pdf)) for name in names[1:])
    with database.read() as session:
        exports = session.exec(select(AuditEntry).where(AuditEntry.action == "case.exported")).all()
    assert [e.detail for e in exports] == ['{"files":3,"format":"zip"}']


def test_every_export_is_audited_and_an_excluded_reviewer_cannot_export(database, config):
    from intake.errors import NotFound
    from tests.intake.casework.console_helpers import context_for

    scene = rich_case(database, config)
    exported_pdf(database, scene, "en")
    exported_pdf(database, scene, "es")
    dale = context_for(database, config, "dale@raytown.example")
    with pytest.raises(NotFound):
        export_case(database, dale, scene.case_id, export_format="pdf")
    with database.read() as session:
        entries = session.exec(select(AuditEntry).where(AuditEntry.subject == scene.case_id)).all()
    assert [e.detail for e in entries if e.action == "case.exported"] == ['{"format":"pdf"}'] * 2
    assert sum(e.action == "case.access_denied" for e in entries) == 2
