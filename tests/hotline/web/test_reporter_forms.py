"""Reporting through the real app: questionnaires, files, exclusions, identity, questions, receipt, limits, Spanish."""

import io
import re

import pytest
from PIL import Image
from pypdf import PdfReader, PdfWriter
from sqlmodel import select
from starlette.testclient import TestClient

from hotline.app import create_app
from intake.accounts.reviewers import add_reviewer
from intake.cities import find_city, open_city_key_with_recovery_key
from intake.models import AuditEntry, Case, CaseItem, ItemChunk
from intake.reports.questionnaires import load_questionnaires
from intake.routing import load_routing
from tests.hotline.conftest import PASSWORD, enrol, hidden, sign_in

GPS_MARKER = "Marker-camera-serial-4711"
AUTHOR_MARKER = "Marker-Author Jane Q. Public"


def jpeg_with_gps() -> bytes:
    image = Image.new("RGB", (64, 48), (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "MarkerCam"  # Make
    exif[0xA431] = GPS_MARKER  # BodySerialNumber
    exif[0x8825] = {1: "N", 2: (38.0, 57.0, 12.5), 3: "W", 4: (94.0, 21.0, 3.2)}  # GPSInfo
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif, comment=b"Marker-comment")
    data = out.getvalue()
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(0x8825)  # the fixture really carries a position
    return data


def pdf_with_author() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    writer.add_metadata({"/Author": AUTHOR_MARKER, "/Title": "Marker title"})
    out = io.BytesIO()
    writer.write(out)
    assert PdfReader(io.BytesIO(out.getvalue())).metadata.author == AUTHOR_MARKER
    return out.getvalue()


def form_page(client, city="raytown", category="safety", lang=""):
    suffix = f"&lang={lang}" if lang else ""
    return client.get(f"/report/{city}?category={category}{suffix}")


def post_report(client, data, files=None, city="raytown", category="safety", lang=""):
    token = hidden(form_page(client, city, category, lang).text, "form_token")
    suffix = f"?lang={lang}" if lang else ""
    return client.post(f"/report/{city}{suffix}", data={"form_token": token, "category": category, **data},
                       files=files or [])


def report_key(page: str) -> str:
    return re.search(r'id="report-key"><strong>([\d ]+)</strong>', page).group(1).replace(" ", "")


def stored(seeded) -> int:
    with seeded.database.read() as session:
        return len(session.exec(select(CaseItem)).all()) + len(session.exec(select(Case)).all())


def only_case_id(seeded) -> str:
    with seeded.database.read() as session:
        return session.exec(select(Case)).one().id


def test_gps_exif_and_pdf_author_are_gone_from_the_reviewers_download(client, seeded):
    jpeg, pdf = jpeg_with_gps(), pdf_with_author()
    response = post_report(client, {"narrative": "Photos of the crane and the signed inspection form."},
                           files=[("attachments", ("crane.jpg", jpeg, "image/jpeg")),
                                  ("attachments", ("inspection.pdf", pdf, "application/pdf"))])
    assert response.status_code == 200, response.text
    assert "crane.jpg: hidden details were removed" in response.text
    with seeded.database.read() as session:
        chunks = b"".join(row.ciphertext for row in session.exec(select(ItemChunk)).all())
    assert chunks and GPS_MARKER.encode() not in chunks and b"Marker" not in chunks  # sealed, not clear

    sign_in(client, seeded.logins["raytown"])
    case_path = f"/review/cases/{only_case_id(seeded)}"
    case = client.get(case_path)
    links = dict(re.findall(r'<a href="(/review/cases/[0-9a-f]{32}/files/[0-9a-f]{32})">([^<]+)</a>', case.text))
    assert sorted(links.values()) == ["crane.jpg", "inspection.pdf"]
    downloads = {name: client.get(path) for path, name in links.items()}
    for download in downloads.values():
        assert download.status_code == 200
        assert download.headers["content-type"] == "application/octet-stream"
        assert download.headers["content-disposition"].startswith("attachment;")

    photo = downloads["crane.jpg"].content
    image = Image.open(io.BytesIO(photo))
    assert image.size == (64, 48) and image.format == "JPEG"
    assert not image.getexif() and not image.getexif().get_ifd(0x8825)
    assert "exif" not in image.info and "comment" not in image.info and "icc_profile" not in image.info
    for marker in (b"Exif\x00\x00", GPS_MARKER.encode(), b"MarkerCam", b"Marker-comment"):
        assert marker not in photo

    document = downloads["inspection.pdf"].content
    reader = PdfReader(io.BytesIO(document))
    assert len(reader.pages) == 1
    assert reader.metadata is None or reader.metadata.author is None
    assert AUTHOR_MARKER.encode() not in document and b"Marker title" not in document

    with seeded.database.read() as session:
        audited = session.exec(select(AuditEntry).where(AuditEntry.action == "case.attachment_downloaded")).all()
    assert len(audited) == 2


def test_other_file_types_are_kept_and_flagged(client, seeded):
    response = post_report(client, {"narrative": "The spreadsheet."},
                           files=[("attachments", ("ledger.docx", b"PK\x03\x04 not really a document", "x/y"))])
    assert response.status_code == 200
    assert "ledger.docx: <strong>its hidden details could not be removed" in response.text


@pytest.fixture
def two_reviewers(seeded):
    """Raytown gets a second ethics reviewer, Ana Pérez; returns (ana_id, officer_id)."""
    key = open_city_key_with_recovery_key(find_city(seeded.database, "raytown"), seeded_recovery(seeded))
    added = add_reviewer(seeded.database, seeded.settings.intake_config(), city_slug="raytown",
                         email="ana@raytown.example", display_name="Ana Pérez", password=PASSWORD, role="reviewer",
                         city_private_key=key)
    enrol(seeded.database, seeded.settings, "ana@raytown.example")  # TOTP, so she can sign in
    with seeded.database.read() as session:
        from intake.models import Reviewer
        officer = session.exec(select(Reviewer).where(Reviewer.email == seeded.logins["raytown"])).one()
    return added.reviewer_id, officer.id


def seeded_recovery(seeded) -> str:
    return seeded.recovery_keys["raytown"]


def add_city_attorney(seeded) -> int:
    """Raytown's alternate group gets a member, who takes what the ethics group may not see."""
    key = open_city_key_with_recovery_key(find_city(seeded.database, "raytown"), seeded_recovery(seeded))
    added = add_reviewer(seeded.database, seeded.settings.intake_config(), city_slug="raytown",
                         email="attorney@raytown.example", display_name="Cy Counsel", password=PASSWORD,
                         role="reviewer", city_private_key=key, groups=["alternate"])
    enrol(seeded.database, seeded.settings, "attorney@raytown.example")
    return added.reviewer_id


def officer_checkbox(form: str) -> str:
    """The value of Raytown's ethics officer's box on the list of reviewers to leave out."""
    match = re.search(r'id="exclude-(\d+)" value="\d+"><label class="usa-checkbox__label" for="exclude-\d+">'
                      r'raytown officer ', form)
    assert match, "the ethics officer is not on the list"
    return match.group(1)


def test_excluding_everyone_with_an_empty_alternate_group_stores_nothing_and_says_why(client, seeded):
    officer = officer_checkbox(form_page(client).text)
    response = post_report(client, {"narrative": "Marker: the ethics officer takes cash.", "q-where": "Depot",
                                    "exclude": [officer]},
                           files=[("attachments", ("ledger.pdf", pdf_with_author(), "application/pdf"))])
    assert response.status_code == 400
    assert stored(seeded) == 0
    page = response.text
    assert "Nobody would be left to read your report" in page and "Leave out fewer reviewers" in page
    assert "Marker: the ethics officer takes cash." in page and 'value="Depot"' in page  # as typed
    assert f'id="exclude-{officer}" value="{officer}" checked' in page
    assert "Attach your files again" in page and "<li>ledger.pdf</li>" in page
    # Naming the officer in the report leaves them out the same way.
    named = post_report(client, {"narrative": "The raytown officer takes cash."})
    assert named.status_code == 400 and "Nobody would be left" in named.text and stored(seeded) == 0


def test_excluding_everyone_reaches_the_alternate_member(client, other_client, seeded):
    add_city_attorney(seeded)
    officer = officer_checkbox(form_page(client).text)
    response = post_report(client, {"narrative": "Marker: about the ethics officer.", "exclude": [officer]})
    assert response.status_code == 200, response.text
    case_id = only_case_id(seeded)
    sign_in(other_client, "attorney@raytown.example")
    assert case_id in other_client.get("/review/").text
    sign_in(client, seeded.logins["raytown"])
    assert case_id not in client.get("/review/").text


def test_named_and_excluded_reviewers_get_not_found_everywhere(client, other_client, seeded, two_reviewers):
    ana_id, officer_id = two_reviewers
    assert ana_id != officer_id
    add_city_attorney(seeded)
    form = form_page(client).text
    assert "Ana Pérez <span class=\"usa-checkbox__label-description\">Reviewer</span>" in form
    assert f'name="exclude" id="exclude-{officer_id}"' in form
    response = post_report(client, {"narrative": "The crane is not inspected.", "q-who": "ana perez, the foreman",
                                    "exclude": [str(officer_id)]})
    assert response.status_code == 200, response.text
    case_id = only_case_id(seeded)
    with seeded.database.read() as session:
        routed = session.exec(select(AuditEntry).where(AuditEntry.action == "case.routed")).one()
        routing = load_routing(session, seeded.settings.intake_config().routing_key, 1)
    # Nobody left in the ethics group: the alternate group has it, which only the sealed routing set says.
    assert routed.detail == '{"group":"ethics"}' and routing.alternate == {case_id}

    for browser, email in ((client, "ana@raytown.example"), (other_client, seeded.logins["raytown"])):
        sign_in(browser, email)
        inbox = browser.get("/review/")
        assert case_id not in inbox.text
        for path in (f"/review/cases/{case_id}", f"/review/cases/{case_id}/identity"):
            assert browser.get(path).status_code == 404
        token = hidden(inbox.text, "csrf_token")
        for path, data in ((f"/review/cases/{case_id}/reply", {"reply": "x"}),
                           (f"/review/cases/{case_id}/request-information", {"request": "x"}),
                           (f"/review/cases/{case_id}/identity", {"reason": "because I want to know"})):
            assert browser.post(path, data={"csrf_token": token, **data}).status_code == 404
    with seeded.database.read() as session:
        item = session.exec(select(CaseItem)).first()
    assert client.get(f"/review/cases/{case_id}/files/{item.id}").status_code == 404


@pytest.mark.parametrize(("data", "field", "message"), [
    ({"q-nope": "x"}, "q-nope", "This question is not part of this form."),
    ({"q-ongoing": "maybe"}, "q-ongoing", "Answer yes or no."),
    ({"q-when": "31/12/2024"}, "q-when", "Give a date as year-month-day"),
    ({"q-how_known": "psychic"}, "q-how_known", "Choose from the options offered."),
    ({"q-how_known": ["saw", "told"]}, "q-how_known", "Give one answer only."),
    ({"q-evidence": ["photos", "bribes"]}, "q-evidence", "Choose from the options offered."),
    ({"q-where": "x" * 501}, "q-where", "This is too long: at most 500 characters."),
    ({"q-who": "nul\x00byte"}, "q-who", "control characters"),
])
def test_answers_that_do_not_match_the_questionnaire_come_back_named(client, seeded, data, field, message):
    response = post_report(client, {"narrative": "Something happened.", **data})
    assert response.status_code == 400
    assert message in response.text
    assert f'href="#{field}"' in response.text or field == "q-nope"
    assert "Something happened." in response.text  # what was typed is kept
    assert stored(seeded) == 0


def test_a_required_question_and_a_conditional_one(client, seeded):
    load_questionnaires(seeded.database, "raytown", {"category": "safety", "fields": [
        {"id": "site", "type": "text", "label": {"en": "Which site?", "es": "¿Qué lugar?"}, "required": True},
        {"id": "hurt", "type": "yes_no", "label": "Was anyone hurt?"},
        {"id": "how_bad", "type": "long_text", "label": "How badly?", "required": True,
         "show_if": {"field": "hurt", "equals": "yes"}},
    ]})
    missing = post_report(client, {"narrative": "x"})
    assert missing.status_code == 400 and "Please answer this question." in missing.text
    assert "Which site?" in missing.text and "q-where" not in missing.text  # the city's own questionnaire
    needed = post_report(client, {"narrative": "x", "q-site": "Yard", "q-hurt": "yes"})
    assert needed.status_code == 400 and 'href="#q-how_bad"' in needed.text
    assert stored(seeded) == 0
    fine = post_report(client, {"narrative": "x", "q-site": "Yard", "q-hurt": "no", "q-how_bad": "not asked"})
    assert fine.status_code == 200
    sign_in(client, seeded.logins["raytown"])
    case = client.get(f"/review/cases/{only_case_id(seeded)}").text
    assert "<dt>Which site?</dt><dd>Yard</dd>" in case and "<dt>Was anyone hurt?</dt><dd>No</dd>" in case
    assert "not asked" not in case  # a conditional answer whose condition is not met is not kept


def test_a_file_over_the_limit_is_refused_as_it_streams(seeded, tmp_path, monkeypatch):
    import dataclasses
    import tempfile
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    settings = dataclasses.replace(seeded.settings, max_attachment_bytes=100_000, max_attachments_bytes=150_000)
    with TestClient(create_app(settings, seeded.database), base_url="https://testserver") as client:
        big = post_report(client, {"narrative": "x"}, files=[("attachments", ("big.bin", b"\x01" * 150_000, "x/y"))])
        assert big.status_code == 413 and "The file big.bin is larger than" in big.text
        both = post_report(client, {"narrative": "x"}, files=[("attachments", ("a.bin", b"a" * 90_000, "x/y")),
                                                               ("attachments", ("b.bin", b"b" * 90_000, "x/y"))])
        assert both.status_code == 413 and "Together the files are larger than" in both.text
    assert stored(seeded) == 0
    assert list(scratch.iterdir()) == []  # scratch files are anonymous and gone


def test_reviewer_question_shows_as_needing_information_until_answered_with_a_file(client, other_client, seeded):
    key = report_key(post_report(client, {"narrative": "Overtime fraud."}).text)
    sign_in(other_client, seeded.logins["raytown"])
    case_path = f"/review/cases/{only_case_id(seeded)}"
    asked = other_client.post(case_path + "/request-information",
                              data={"csrf_token": hidden(other_client.get(case_path).text, "csrf_token"),
                                    "request": "Which weeks?"})
    assert asked.status_code == 200

    opened = client.post("/follow-up", data={"form_token": hidden(client.get("/follow-up").text, "form_token"),
                                             "report_key": key})
    assert "The reviewer needs more information." in opened.text and "Which weeks?" in opened.text
    assert "Overtime fraud." in opened.text and "readonly" not in opened.text  # additions only, no editing
    answered = client.post("/follow-up/message", data={"access_token": hidden(opened.text, "access_token"),
                                                       "message": "March, weeks 2 and 3."},
                           files=[("attachments", ("timesheet.png", png_bytes(), "image/png"))])
    assert answered.status_code == 200 and "Your message was sent." in answered.text
    assert "The reviewer needs more information." not in answered.text and "timesheet.png" in answered.text
    case = other_client.get(case_path).text
    assert "March, weeks 2 and 3." in case and ">timesheet.png</a>" in case


def png_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("P", (8, 8)).save(out, "PNG")
    return out.getvalue()


def test_identity_is_sealed_apart_and_opened_only_with_a_reason(client, seeded):
    response = post_report(client, {"narrative": "x", "identity": "give", "identity_name": "Marker-Name Rivera",
                                    "identity_contact": "call 816-555-0100"})
    assert response.status_code == 200
    with seeded.database.read() as session:
        case = session.exec(select(Case)).one()
        blobs = b"".join(row.ciphertext or b"" for row in session.exec(select(CaseItem)).all())
    assert case.identity_given and b"Marker-Name" not in blobs
    sign_in(client, seeded.logins["raytown"])
    page = client.get(f"/review/cases/{case.id}").text
    assert "Marker-Name" not in page and "gave a name and contact" in page
    form = client.get(f"/review/cases/{case.id}/identity").text
    refused = client.post(f"/review/cases/{case.id}/identity", data={"csrf_token": hidden(form, "csrf_token"),
                                                                      "reason": "x"})
    assert refused.status_code == 400 and "Marker-Name" not in refused.text
    opened = client.post(f"/review/cases/{case.id}/identity", data={"csrf_token": hidden(form, "csrf_token"),
                                                                     "reason": "Need to interview the witness."})
    assert opened.status_code == 200 and "Marker-Name Rivera" in opened.text
    with seeded.database.read() as session:
        entry = session.exec(select(AuditEntry).where(AuditEntry.action == "case.identity_opened")).one()
    assert "Need to interview the witness." in entry.detail


def test_a_name_typed_then_hidden_by_staying_anonymous_is_never_stored(client, seeded):
    # The name fields show only while "give my name" is chosen (CSS): a name typed before switching back to
    # "stay anonymous" is out of sight, so it is dropped, never stored and never shown again.
    response = post_report(client, {"narrative": "x", "identity": "anonymous", "identity_name": "Marker-Someone"})
    assert response.status_code == 200
    with seeded.database.read() as session:
        assert session.exec(select(Case)).one().identity_given is False
        assert len(session.exec(select(CaseItem)).all()) == 1  # the report alone
    again = post_report(client, {"narrative": "", "identity": "anonymous", "identity_name": "Marker-Someone"})
    assert again.status_code == 400 and "Marker-Someone" not in again.text


def test_receipt_offers_copy_download_and_phone(client):
    page = post_report(client, {"narrative": "x"}).text
    key = report_key(page)
    assert 'id="key-copy" type="text" readonly' in page and "works by phone" in page
    download = client.post("/report/receipt", data={"receipt_token": hidden(page, "receipt_token"),
                                                    "format": "text"})
    assert download.headers["content-type"].startswith("text/plain")
    assert "attachment" in download.headers["content-disposition"]
    assert " ".join(key[i:i + 4] for i in range(0, 20, 4)) in download.text
    spanish = client.post("/report/receipt?lang=es", data={"receipt_token": hidden(page, "receipt_token")})
    assert "Su clave de reporte" in spanish.text and key[:4] in spanish.text
    assert client.post("/report/receipt", data={"receipt_token": "forged"}).status_code == 403


def test_the_honeypot_refuses_plainly_and_stores_nothing(client, seeded):
    response = post_report(client, {"narrative": "x", "website": "http://spam.example"})
    assert response.status_code == 400 and "meant to stay empty" in response.text
    assert stored(seeded) == 0


def test_submission_caps_say_when_to_try_again(seeded):
    import dataclasses
    settings = dataclasses.replace(seeded.settings, reports_per_client_per_hour=2)
    with TestClient(create_app(settings, seeded.database), base_url="https://testserver") as client:
        codes = [post_report(client, {"narrative": f"report {n}"}).status_code for n in range(3)]
        assert codes == [200, 200, 429]
        before = stored(seeded)
        again = post_report(client, {"narrative": "Marker: one more, typed with care.\nSecond line.",
                                     "q-where": "North yard", "q-how_known": "saw", "in_danger": "yes",
                                     "identity": "give", "identity_name": "Marker Name"},
                            files=[("attachments", ("crane.pdf", pdf_with_author(), "application/pdf"))])
        assert again.status_code == 429 and again.headers["retry-after"]
        assert "send it again in 60 minutes" in again.text and stored(seeded) == before
        page = again.text
        assert ">Marker: one more, typed with care.\nSecond line.</textarea>" in page
        assert 'value="North yard"' in page and 'id="q-how_known-saw" value="saw" checked' in page
        assert 'id="in_danger-yes" value="yes" checked' in page and 'value="Marker Name"' in page
        assert "<li>crane.pdf</li>" in page and "Attach your files again" in page
    # The city's cap is in the database: the two reports above count, from any client or instance.
    settings = dataclasses.replace(seeded.settings, reports_per_city_per_hour=3)
    with TestClient(create_app(settings, seeded.database), base_url="https://testserver") as client:
        assert post_report(client, {"narrative": "a"}).status_code == 200
        assert post_report(client, {"narrative": "b"}).status_code == 429
        assert post_report(client, {"narrative": "c"}, city="grandview").status_code == 200


def test_junk_multipart_bodies_are_4xx_never_500(client, seeded):
    token = hidden(form_page(client).text, "form_token")
    boundary = "XyZ"
    bodies = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="form_token"\r\n\r\n{token}\r\n--{boundary}\r\n'
        f'Content-Disposition: form-data; name="narrative"\r\n\r\n'.encode() + b"\xff\xfe bad" +
        f"\r\n--{boundary}--\r\n".encode(),
        b"--XyZ\r\ngarbage without headers end",
        f'--{boundary}\r\nContent-Disposition: form-data; name="narrative"\r\n\r\n'.encode() + b"x" * (10 * 1024 * 1024)
        + f"\r\n--{boundary}--\r\n".encode(),
    ]
    for body in bodies:
        response = client.post("/report/raytown?category=safety", content=body,
                                headers={"content-type": f"multipart/form-data; boundary={boundary}"})
        assert 400 <= response.status_code < 500, response.status_code
    assert stored(seeded) == 0


def test_every_reporter_page_in_spanish_keeps_the_language_in_its_links(client):
    key = report_key(post_report(client, {"narrative": "x"}, lang="es").text)
    pages = [client.get("/?lang=es"), client.get("/report/raytown?lang=es"), form_page(client, lang="es"),
             client.get("/follow-up?lang=es"), client.get("/nowhere?lang=es")]
    opened = client.post("/follow-up?lang=es", data={"form_token": hidden(pages[3].text, "form_token"),
                                                     "report_key": key})
    pages.append(opened)
    for page in pages:
        assert '<html lang="es">' in page.text
        body = re.sub(r'<nav class="site-language".*?</nav>', "", page.text, flags=re.DOTALL)  # the way to English
        for url in re.findall(r'(?:href|action)="(/[^"]*)"', body):
            if not url.startswith("/static/"):
                assert "lang=es" in url, url
        assert 'hreflang="en"' in page.text or 'lang="en"' in page.text  # the way back to English
    assert "Reporte una inquietud" in pages[0].text
    problem = post_report(client, {"narrative": ""}, lang="es")
    assert "Esto no puede quedar vacío." in problem.text
    assert "Su informe" in opened.text or "Su reporte" in opened.text
