"""The console through the real app: TOTP enrolment and replay at sign-in, the lock message, the
case page's actions and their bad input, exports, staff intake, administration, statistics and reports."""

import io
import re
import zipfile

import pypdf
from sqlmodel import select
from starlette.testclient import TestClient

from intake.accounts.reviewers import add_reviewer
from intake.clock import utc_now
from intake.models import AuditEntry, Case
from tests.hotline.conftest import PASSWORD, TOTP_SECRETS, hidden, sign_in, submit_report, totp_code
from tests.hotline.exports.pdf_layout import page_texts
from tests.intake.casework.test_case_handling import add_attachment


def case_path(client) -> str:
    return re.search(r'href="(/review/cases/[0-9a-f]{32})"', client.get("/review/").text).group(1)


def test_first_sign_in_enrols_totp_and_a_replayed_code_fails(client, other_client, seeded):
    from intake.cities import find_city, open_city_key_with_recovery_key

    key = open_city_key_with_recovery_key(find_city(seeded.database, "raytown"), seeded.recovery_keys["raytown"])
    add_reviewer(seeded.database, seeded.settings.intake_config(), city_slug="raytown", email="new@raytown.example",
                 display_name="New Reviewer", password=PASSWORD, role="reviewer", city_private_key=key)
    submit_report(client, "raytown", "Marker-enrol-narrative")
    page = sign_in(client, "new@raytown.example")
    assert page.url.path == "/review/totp" and "<svg" in page.text and 'role="img"' in page.text
    assert client.get("/review/", follow_redirects=False).headers["location"] == "/review/totp"
    secret = re.search(r'id="totp-secret">([A-Z2-7 ]+)<', page.text).group(1).replace(" ", "")
    wrong = client.post("/review/totp", data={"csrf_token": hidden(page.text, "csrf_token"), "code": "000000"})
    assert wrong.status_code == 400 and "does not match" in wrong.text
    TOTP_SECRETS["new@raytown.example"] = secret
    done = client.post("/review/totp", data={"csrf_token": hidden(page.text, "csrf_token"),
                                             "code": totp_code(secret)})
    assert done.url.path == "/review/" and "Marker-enrol-narrative" in client.get(case_path(client)).text
    code = totp_code(secret)
    assert sign_in(other_client, "new@raytown.example", code=code).url.path == "/review/"
    replay = sign_in(other_client, "new@raytown.example", code=code)
    assert replay.status_code == 400 and "Wrong email, password or code" in replay.text


def test_a_slowed_account_is_told_how_long_to_wait(client, seeded):
    email = seeded.logins["raytown"]
    for _ in range(3):
        failed = sign_in(client, email, password="not the password at all", code="123456")
    assert failed.status_code == 400 and failed.headers["retry-after"] == "1"
    assert "must wait 1 second" in failed.text and "not locked" in failed.text
    refused = sign_in(client, email, code="000000")  # too soon: refused before anything is checked
    assert refused.status_code == 429 and refused.headers["retry-after"] == "1" and "wait 1 second" in refused.text


def test_case_actions_bad_input_and_exports(client, seeded):
    submit_report(client, "raytown", "Marker-case-narrative about the depot", category="safety")
    sign_in(client, seeded.logins["raytown"])
    path = case_path(client)
    token = hidden(client.get(path).text, "csrf_token")
    conclude = client.post(path + "/status", data={"csrf_token": token, "status": "concluded", "outcome": ""})
    assert conclude.status_code == 400 and "cannot be concluded without one" in conclude.text
    with seeded.database.read() as session:
        assert session.exec(select(Case)).one().status == "received"
    for action, data, notice in (
            ("/reply", {"reply": "Marker-reply", "feedback": "1"}, "Your reply was sent"),
            ("/request-information", {"request": "Which depot?"}, "request for information was sent"),
            ("/note", {"note": "Marker-internal-note"}, "internal note was saved"),
            ("/status", {"status": "concluded", "outcome": "referred"}, "status was changed"),
            ("/closed-record", {"subsection": "610.021(16)"}, "closed-record designation was saved")):
        page = client.post(path + action, data={"csrf_token": token, **data})
        assert page.status_code == 200 and notice in page.text, action
    reopen = client.post(path + "/status", data={"csrf_token": token, "status": "investigating", "reason": ""})
    assert reopen.status_code == 400 and "reason for reopening" in reopen.text
    page = client.get(path).text
    assert "closed under RSMo 610.021(16)" in page and "Marker-internal-note" in page and "internal" in page

    case_id = path.rsplit("/", 1)[1]
    recording = add_attachment(seeded.database, case_id, b"RIFF fake wav bytes", kind="recording")
    page = client.get(path).text
    assert f'<audio controls preload="none" src="{path}/items/{recording}/content"' in page
    audio = client.get(f"{path}/items/{recording}/content")
    assert audio.headers["content-type"] == "audio/wav" and audio.content == b"RIFF fake wav bytes"
    pdf = client.get(path + "/export.pdf")
    assert pdf.headers["content-type"] == "application/pdf"
    text = "\n".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf.content)).pages)
    assert "Marker-case-narrative" in text and "Marker-internal-note" in text and "610.021(16)" in text
    archive = zipfile.ZipFile(io.BytesIO(client.get(path + "/files.zip").content))
    assert archive.namelist()[0] == "case-1.pdf" and archive.read("case-1.pdf").startswith(b"%PDF")
    assert [archive.read(name) for name in archive.namelist()[1:]] == [b"RIFF fake wav bytes"]
    with seeded.database.read() as session:
        actions = [e.action for e in session.exec(select(AuditEntry)).all()]
    assert actions.count("case.exported") == 2 and "case.item_opened" in actions


def test_staff_intake_hands_over_a_key_the_reporter_can_use(client, other_client, seeded):
    sign_in(client, seeded.logins["raytown"])
    form = client.get("/review/new-report").text
    bad = client.post("/review/new-report", data={"csrf_token": hidden(form, "csrf_token"), "channel": "",
                                                  "category": "safety", "narrative": "x"})
    assert bad.status_code == 400 and "letter, walk-in" in bad.text
    done = client.post("/review/new-report", data={"csrf_token": hidden(form, "csrf_token"), "channel": "letter",
                                                   "category": "safety", "narrative": "Marker-letter-report"})
    key = re.search(r'id="report-key"><strong>([\d ]+)</strong>', done.text).group(1).replace(" ", "")
    opened = other_client.post("/follow-up", data={"form_token": hidden(other_client.get("/follow-up").text,
                                                                        "form_token"), "report_key": key})
    assert "Marker-letter-report" in opened.text
    assert "<td>Letter</td>" in client.get("/review/?channel=letter").text  # the row, its channel in words


def test_admin_pages_statistics_and_reports(client, seeded):
    from intake.cities import find_city, open_city_key_with_recovery_key

    key = open_city_key_with_recovery_key(find_city(seeded.database, "raytown"), seeded.recovery_keys["raytown"])
    add_reviewer(seeded.database, seeded.settings.intake_config(), city_slug="raytown", email="boss@raytown.example",
                 display_name="Boss", password=PASSWORD, role="admin", city_private_key=key, groups=["ethics"])
    from tests.hotline.conftest import enrol

    enrol(seeded.database, seeded.settings, "boss@raytown.example")
    for n in range(6):
        submit_report(client, "raytown", f"report {n}", category="safety")
    sign_in(client, "boss@raytown.example")
    admin = client.get("/review/admin")
    token = hidden(admin.text, "csrf_token")
    invited = client.post("/review/admin/invitations", data={"csrf_token": token, "email": "third@raytown.example",
                                                             "name": "Third Person", "role": "reviewer"})
    assert invited.status_code == 200 and "Third Person" in invited.text
    code = re.search(r'id="invitation-code"><strong>([0-9A-Z-]+)<', invited.text).group(1)
    joiner = TestClient(client.app, base_url="https://testserver")
    step = joiner.post("/review/join", data={"form_token": hidden(joiner.get("/review/join").text, "form_token"),
                                             "code": code})
    assert "third@raytown.example" in step.text and "Raytown" in step.text
    joined = joiner.post("/review/join", data={"form_token": hidden(step.text, "form_token"), "code": code,
                                               "password": "a first password", "password_again": "a first password"})
    assert joined.status_code == 200 and "Done." in joined.text
    assert "not yet" in client.get("/review/admin").text  # joined, two-step sign-in still to set up
    bad = client.post("/review/admin/groups", data={"csrf_token": token, "slug": "Bad Slug", "name": "x"})
    assert bad.status_code == 400 and "lower-case letters" in bad.text
    restore = client.post("/review/admin/restore", data={"csrf_token": token, "email": "third@raytown.example",
                                                         "recovery_key": seeded.recovery_keys["raytown"],
                                                         "new_password": "a restored password"})
    assert restore.status_code == 200 and "Access was restored" in restore.text
    year = utc_now().year
    default = client.get("/review/statistics")
    assert default.status_code == 200 and f"Statistics for Raytown, {year - 1}</h1>" in default.text
    stats = client.get(f"/review/statistics?year={year}")
    assert f"Raytown received 6 reports in {year} to date." in stats.text
    # Six safety reports and nothing else: every breakdown would give a figure away, so each collapses to a line.
    assert "Not shown, because every figure in them is under 5" in stats.text and "<table" not in stats.text
    bad = client.get("/review/statistics?year=1850")
    assert bad.status_code == 400 and "Choose a year from the list." in bad.text
    report = client.get(f"/review/statistics/report?year={year}")
    assert "report to the Raytown City Council" in report.text and f"{year} to date" in report.text
    pdf = client.get(f"/review/statistics/report.pdf?year={year}")
    pages = page_texts(pdf.content)
    assert "Raytown City Council" in pages[0] and all(f"report for {year} to date" in page for page in pages)
    assert pypdf.PdfReader(io.BytesIO(pdf.content)).metadata.title.endswith(f"{year} to date")
    assert "chain of" in client.get("/review/audit").text and "intact" in client.get("/review/audit").text


def test_a_redaction_is_shown_and_asked_again_before_anything_goes(client, seeded):
    key = submit_report(client, "raytown", "Marker-redact: Dana Secret signed the invoices twice.", category="safety")
    sign_in(client, seeded.logins["raytown"])
    path = case_path(client)
    page = client.get(path).text
    token, report_item = hidden(page, "csrf_token"), re.search(r'name="item" value="([0-9a-f]{32})"', page).group(1)
    # A passage not in the text: the case page again, its panel open, what was typed kept, nothing changed.
    wrong = client.post(path + "/redact", data={"csrf_token": token, "item": report_item, "passage": "Dana Secrett"})
    assert wrong.status_code == 400 and "That passage is not in this item" in wrong.text
    assert re.search(r'<details class="redact" open>', wrong.text) and ">Dana Secrett</textarea>" in wrong.text
    # The right one: the second look shows what goes and what stays, and still nothing is changed.
    look = client.post(path + "/redact", data={"csrf_token": token, "item": report_item, "passage": "Dana Secret"})
    assert look.status_code == 200 and "Remove for good?" in look.text
    assert re.search(r'<del class="removed">.*Dana Secret.*</del>', look.text)
    assert "Marker-redact: [redacted] signed the invoices twice." in look.text
    assert 'name="confirm" value="1"' in look.text
    assert "Dana Secret" in client.get(path).text
    done = client.post(path + "/redact", data={"csrf_token": token, "item": report_item, "passage": "Dana Secret",
                                               "confirm": "1"})
    assert done.status_code == 200 and "The passage was redacted" in done.text and "Dana Secret" not in done.text
    # The reporter sees their report without the passage, and a sentence that says why.
    with TestClient(client.app, base_url="https://testserver") as reporter:
        for query, sentence in (("", "removed by the reviewers to protect someone"),
                                ("?lang=es", "para proteger a alguien")):
            follow = reporter.get("/follow-up" + query).text
            case = reporter.post("/follow-up" + query, data={"form_token": hidden(follow, "form_token"),
                                                             "report_key": key})
            assert "Dana Secret" not in case.text and "Marker-redact: [redacted]" in case.text
            assert sentence in case.text, query


def test_each_role_lands_on_its_own_home(client, other_client, seeded):
    from intake.cities import find_city, open_city_key_with_recovery_key
    from tests.hotline.conftest import enrol

    config = seeded.settings.intake_config()
    key = open_city_key_with_recovery_key(find_city(seeded.database, "raytown"), seeded.recovery_keys["raytown"])
    for email, role, groups in (("aud@raytown.example", "auditor", []), ("hr@raytown.example", "reviewer", ["hr"]),
                                ("both@raytown.example", "reviewer", ["ethics", "hr"])):
        add_reviewer(seeded.database, config, city_slug="raytown", email=email, display_name=email.split("@")[0],
                     password=PASSWORD, role=role, city_private_key=key, groups=groups)
        enrol(seeded.database, seeded.settings, email)
    assert sign_in(client, seeded.logins["raytown"]).url.path == "/review/"
    landing = sign_in(other_client, "aud@raytown.example")
    assert landing.url.path == "/review/audit" and "Audit log" in landing.text
    with TestClient(client.app, base_url="https://testserver") as hr:
        landing = sign_in(hr, "hr@raytown.example")
        assert landing.url.path == "/review/exit/raytown" and "Invite a departing employee" in landing.text
        # The invitation form speaks to HR, not in the departing employee's words.
        assert "Resignation" in landing.text and "I chose to leave" not in landing.text
        assert '<a href="/review/exit/raytown" aria-current="page">Exit interviews</a>' in landing.text
    with TestClient(client.app, base_url="https://testserver") as both:
        landing = sign_in(both, "both@raytown.example")
        assert landing.url.path == "/review/" and 'href="/review/exit/raytown"' in landing.text


def test_the_regional_coordinator_sees_the_region_only(client, seeded):
    from intake.accounts.account import add_regional_coordinator
    from tests.hotline.conftest import enrol

    add_regional_coordinator(seeded.database, seeded.settings.intake_config(), email="marc@marc.example",
                             display_name="MARC", password=PASSWORD)
    enrol(seeded.database, seeded.settings, "marc@marc.example")
    for city in ("raytown", "grandview", "raytown"):
        submit_report(client, city, "Marker-regional")
    landing = sign_in(client, "marc@marc.example")
    assert landing.url.path == "/review/region" and "Statistics for the region" in landing.text
    assert "Mid-America Regional Council" in client.get("/review/region/report").text
    assert client.get("/review/region/report.pdf").headers["content-type"] == "application/pdf"
    for path in ("/review/", "/review/statistics", "/review/audit", "/review/admin"):
        assert client.get(path).status_code == 404



def test_a_large_zip_export_never_reaches_the_disk_in_clear(tmp_path, monkeypatch):
    """The files of a case, exported as a ZIP too large to build in memory, go to disk only sealed.
    Every temporary file the app makes is kept here (instead of unlinked at once) so what was written is read.
    SQLite only: this is about the web handler's scratch space, whatever the database."""
    import os
    import tempfile
    import uuid

    from starlette.testclient import TestClient

    from hotline.app import create_app
    from intake.cities import create_city, find_city, open_city_key_with_recovery_key
    from intake.db import Database
    from tests.hotline.conftest import enrol, make_settings

    database = Database(f"sqlite:///{tmp_path / 'hotline.sqlite3'}")
    database.create_schema()
    settings = make_settings(database.url)
    created = create_city(database, "raytown", "Raytown")
    add_reviewer(database, settings.intake_config(), city_slug="raytown", email="ethics@raytown.example",
                 display_name="Officer", password=PASSWORD, role="reviewer",
                 city_private_key=open_city_key_with_recovery_key(find_city(database, "raytown"),
                                                                  created.recovery_key))
    enrol(database, settings, "ethics@raytown.example")
    marker = f"MARKER-{uuid.uuid4().hex}".encode()
    content = os.urandom(5 * 1024 * 1024) + marker + os.urandom(4 * 1024 * 1024)  # random: deflate stores it
    kept = tmp_path / "temporary-files"
    kept.mkdir()
    with TestClient(create_app(settings, database), base_url="https://testserver") as client:
        submit_report(client, "raytown", "A report with a large file")
        sign_in(client, "ethics@raytown.example")
        path = case_path(client)
        add_attachment(database, path.rsplit("/", 1)[1], content)
        monkeypatch.setattr(tempfile, "TemporaryFile", lambda **options: tempfile.NamedTemporaryFile(  # noqa: SIM115
            **{**options, "dir": kept, "delete": False}))
        archive = zipfile.ZipFile(io.BytesIO(client.get(path + "/files.zip").content))
    database.dispose()
    assert [archive.read(name) for name in archive.namelist()[1:]] == [content]
    written = [file.read_bytes() for file in kept.iterdir()]
    assert sum(map(len, written)) >= len(content)  # it did go to disk (sealed), so the check below is real
    assert not any(marker in data for data in written)
