"""The reviewer console walked in Debian's Chromium by Playwright, against the real server: TOTP
enrolment, sign-in with a code, triage in the inbox (urgent, new messages, deadlines), reply, a redaction's second
look, conclude, export; the admin's, auditor's and coordinator's pages, each landing on its home. Every console page
each role can open is checked in English and Spanish by tests/e2e/console_checks.py (axe-core WCAG 2.2 A/AA and
landmark-unique, nothing sideways at 1024 px, a screenshot at 1280 px), and no inbox date wraps at 1280 px. Under
CI=true a missing Chromium fails.
"""

from __future__ import annotations

import re
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyotp
import pytest
from playwright.sync_api import expect

from intake.accounts.account import add_regional_coordinator
from intake.accounts.reviewers import add_reviewer
from intake.cities import create_city, find_city, open_city_key_with_recovery_key
from intake.config import IntakeConfig
from intake.db import Database
from intake.operations.migrate import upgrade
from intake.reports.identity import IdentityChoice
from intake.reports.submission import add_reporter_message, open_report, submit_report
from tests.conftest import TEST_KDF, in_ci
from tests.e2e.console_checks import DESKTOP, check_console_page, check_current_page, wrapped_dates
from tests.e2e.servers import free_port, running
from tests.hotline.exports.pdf_layout import layout_problems
from tests.hotline.exports.stats_scene import CITIES, region_year

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
PASSWORD = "a long enough password"
NARRATIVE = "Marker-browser-narrative: the depot's fuel card is used at weekends."
PASSAGE = "fuel card"
URGENT = "The foreman threatened to hurt the new driver tonight."

pytestmark = pytest.mark.browser


def chromium_or_skip() -> None:
    if not Path(CHROMIUM).exists() or shutil.which("chromium") is None:
        message = f"Debian's Chromium is needed at {CHROMIUM}"
        if in_ci():
            pytest.fail(message + " (CI=true: a missing browser is a failure, not a skip)")
        pytest.skip(message)


def intake_config() -> IntakeConfig:
    return IntakeConfig(pepper=b"p" * 40, reviewer_kdf=TEST_KDF, report_key_kdf=TEST_KDF,
                        release_interval_seconds=0)


def reporter_writes(url: str, report_key: str, text: str) -> None:
    """The reporter adds a message with their key, as the follow-up page does."""
    database = Database(url)
    try:
        add_reporter_message(database, intake_config(), open_report(database, intake_config(), report_key), text)
    finally:
        database.dispose()


def prepare(directory: Path) -> tuple[str, str]:
    """The demo city and its people; returns the database URL and the urgent case's report key."""
    url = f"sqlite:///{directory / 'hotline.sqlite3'}"
    database = Database(url)
    upgrade(database)
    config = intake_config()
    created = create_city(database, "raytown", "Raytown")
    key = open_city_key_with_recovery_key(find_city(database, "raytown"), created.recovery_key)
    for email, name, role, groups in (("ana@raytown.example", "Ana Officer", "reviewer", ["ethics"]),
                                      ("boss@raytown.example", "Boss Admin", "admin", ["ethics"]),
                                      ("aud@raytown.example", "Aud Auditor", "auditor", [])):
        add_reviewer(database, config, city_slug="raytown", email=email, display_name=name, password=PASSWORD,
                     role=role, city_private_key=key, groups=groups)
    submit_report(database, config, city_slug="raytown", category="safety", narrative=NARRATIVE,
                  identity=IdentityChoice(give=True, name="Robin Reporter", contact="555-0100"))
    submit_report(database, config, city_slug="raytown", category="safety", narrative="A second report about a ladder.")
    # An urgent case the reporter wrote to again, and one whose acknowledgement is due in two days.
    urgent = submit_report(database, config, city_slug="raytown", category="safety", narrative=URGENT, urgent=True)
    add_reporter_message(database, config, open_report(database, config, urgent.report_key),
                         "He said it again this morning.")
    submit_report(database, config, city_slug="raytown", category="ethics-conflict",
                  narrative="A contract went to the director's cousin.",
                  clock=lambda: datetime.now(UTC) - timedelta(days=5))
    # A year of cases in four more cities and Raytown's own, for statistics, reports and the region worth reading.
    last_year = datetime.now(UTC).year - 1
    region_year(database, config, {slug: plan for slug, plan in CITIES.items() if slug != "raytown"}, last_year)
    for index, category in enumerate(["fraud-waste-abuse"] * 8 + ["safety"] * 6 + ["ethics-conflict"] * 5):
        submit_report(database, config, city_slug="raytown", category=category, narrative=f"Report {index}",
                      clock=lambda i=index: datetime(last_year, 1 + i % 12, 3, 15, tzinfo=UTC))
    add_regional_coordinator(database, config, email="marc@marc.example", display_name="MARC Coordinator",
                             password=PASSWORD)
    database.dispose()
    return url, urgent.report_key


def sign_in_enrolling(page, base: str, email: str, axe, problems: list[str], directory: Path) -> None:
    """First sign-in: password only, then the TOTP enrolment page, read as a person reads it."""
    page.set_viewport_size(DESKTOP)
    page.goto(base + "/review/sign-in")
    check_current_page(page, axe, "/review/sign-in", directory, problems)
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/review/totp")
    check_current_page(page, axe, "/review/totp", directory, problems)
    secret = page.locator("#totp-secret").inner_text().replace(" ", "")
    assert page.locator(".qr svg").count() == 1
    page.get_by_label("Code from the app").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Confirm").click()
    page.wait_for_load_state()


def open_action(page, name: str) -> None:
    """Open one of the case page's action panels (a <details> element) by its summary."""
    page.locator("details.case-action > summary", has_text=name).click()


def test_reviewer_flows_in_chromium_with_no_wcag_violations(tmp_path):
    chromium_or_skip()
    from axe_playwright_python.sync_playwright import Axe
    from playwright.sync_api import sync_playwright

    url, urgent_key = prepare(tmp_path)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {"HOTLINE_DATABASE_URL": url, "HOTLINE_PEPPER": "p" * 40, "HOTLINE_SESSION_KEY": "s" * 40,
           "HOTLINE_INSECURE_TEST_KDF": "1", "HOTLINE_PUBLIC_URL": base, "HOTLINE_RELEASE_INTERVAL_SECONDS": "0"}
    problems: list[str] = []
    axe = Axe()
    year = datetime.now(UTC).year
    with running(["serve", "--port", str(port)], env, port, tmp_path / "server.log"), sync_playwright() as play:
        browser = play.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            reviewer = browser.new_context(accept_downloads=True, viewport=DESKTOP).new_page()
            sign_in_enrolling(reviewer, base, "ana@raytown.example", axe, problems, tmp_path)
            assert reviewer.url.endswith("/review/")
            inbox = check_console_page(reviewer, axe, base, "/review/", tmp_path, problems, who="reviewer")
            # The inbox at 1280 px: every date on one line; the urgent case carries its mark and its new message,
            # deadlines read in words.
            reviewer.goto(base + "/review/")
            assert reviewer.locator("table.inbox-table td.date").count() >= 20
            assert wrapped_dates(reviewer, "table.inbox-table .date") == []
            urgent_row = reviewer.locator("table.inbox-table tr", has_text="Urgent").first
            assert "1 new message" in urgent_row.text_content()
            assert re.search(r"overdue by \d+ days", inbox, re.IGNORECASE)
            assert re.search(r"due in 2 days", inbox, re.IGNORECASE)
            reviewer.get_by_label("Category").select_option("safety")
            reviewer.get_by_role("button", name="Show cases").click()
            reviewer.wait_for_load_state()
            check_current_page(reviewer, axe, "/review/?category=safety", tmp_path, problems)
            # Opening the urgent case reads its new message: the mark is gone on the way back.
            reviewer.locator("table.inbox-table tr", has_text="Urgent").first.get_by_role("link").first.click()
            expect(reviewer.locator("body")).to_contain_text(URGENT)
            reviewer.goto(base + "/review/")
            assert "new message" not in reviewer.locator("table.inbox-table").text_content()
            # The reporter writes again: on the next opening that message, and only it, is marked new.
            reporter_writes(url, urgent_key, "Now he is waiting by the gate.")
            reviewer.reload()
            urgent_row = reviewer.locator("table.inbox-table tr", has_text="Urgent").first
            assert "1 new message" in urgent_row.text_content()
            urgent_row.get_by_role("link").first.click()
            reviewer.wait_for_load_state()
            marked = reviewer.locator("li.item", has=reviewer.locator(".tag-new"))
            assert marked.count() == 1 and "waiting by the gate" in marked.text_content()
            check_current_page(reviewer, axe, "case with a new message", tmp_path, problems,
                               shot="reviewer case with a new message")
            reviewer.goto(base + "/review/?category=safety")
            reviewer.get_by_role("link", name="#1", exact=True).click()
            reviewer.wait_for_load_state()
            expect(reviewer.locator("body")).to_contain_text(NARRATIVE)
            case_path = reviewer.url.removeprefix(base)
            check_console_page(reviewer, axe, base, case_path, tmp_path, problems, who="reviewer")
            reviewer.goto(base + case_path)
            # One action open at a time, none at first.
            assert reviewer.locator("details.case-action[open]").count() == 0
            open_action(reviewer, "Reply to the reporter")
            open_action(reviewer, "Internal note")
            assert reviewer.locator("details.case-action[open]").count() == 1
            open_action(reviewer, "Reply to the reporter")
            reviewer.get_by_label("Reply", exact=True).fill("Thank you. Which weekends?")
            reviewer.get_by_role("button", name="Send reply").click()
            expect(reviewer.locator("body")).to_contain_text("Your reply was sent")
            open_action(reviewer, "Internal note")
            reviewer.get_by_label("Note for the city's reviewers").fill("Check the card statements.")
            reviewer.get_by_role("button", name="Save note").click()
            reviewer.wait_for_load_state()
            # A note reads as internal in words, a reply as sent, each in its own frame.
            note = reviewer.locator("li.item-internal_note")
            assert "Internal: never shown to the reporter" in note.text_content()
            assert "Reply sent to the reporter" in reviewer.locator("li.item-reviewer_reply").text_content()
            assert note.evaluate("e => getComputedStyle(e).borderTopStyle") == "dashed"
            check_current_page(reviewer, axe, "case after reply and note", tmp_path, problems)
            open_action(reviewer, "Status")
            reviewer.get_by_label("New status").select_option("concluded")
            reviewer.get_by_role("button", name="Change status").click()
            expect(reviewer.locator("body")).to_contain_text("cannot be concluded without one")
            assert reviewer.locator("details#action-status[open]").count() == 1  # the problem's panel stays open
            check_current_page(reviewer, axe, "case with a problem", tmp_path, problems)
            reviewer.get_by_label("New status").select_option("concluded")
            reviewer.get_by_label("Outcome (needed to conclude)").select_option("substantiated")
            reviewer.get_by_role("button", name="Change status").click()
            expect(reviewer.locator("body")).to_contain_text("The status was changed")
            # Redaction: a passage not in the text keeps the panel open with what was typed; the right one is
            # shown struck through and asked about before anything goes.
            report_item = reviewer.locator("li#item-1")
            report_item.locator("details.redact > summary").click()
            report_item.get_by_label("Passage to remove for good").fill("fuel kard")
            report_item.get_by_role("button", name="Review the redaction").click()
            reviewer.wait_for_load_state()
            report_item = reviewer.locator("li#item-1")
            assert report_item.locator("details.redact[open]").count() == 1
            assert report_item.get_by_label("Passage to remove for good").input_value() == "fuel kard"
            assert "That passage is not in this item" in report_item.inner_text()
            check_current_page(reviewer, axe, "redaction with a problem", tmp_path, problems)
            report_item.get_by_label("Passage to remove for good").fill(PASSAGE)
            report_item.get_by_role("button", name="Review the redaction").click()
            reviewer.wait_for_load_state()
            removed = reviewer.locator("#preview-before del.removed").all_text_contents()
            assert [" ".join(text.split()) for text in removed] == [f"[removed: {PASSAGE}]"]
            assert PASSAGE not in reviewer.locator("#preview-after").inner_text()
            check_current_page(reviewer, axe, "redaction second look", tmp_path, problems,
                               shot="/review/cases/redact")
            reviewer.get_by_role("button", name="Remove for good").click()
            expect(reviewer.locator("body")).to_contain_text("The passage was redacted")
            assert PASSAGE not in reviewer.content()
            open_action(reviewer, "Export")
            with reviewer.expect_download() as download:
                reviewer.get_by_role("link", name="Export as PDF").click()
            assert download.value.suggested_filename == "case-1.pdf"
            assert layout_problems(Path(download.value.path()).read_bytes()) == []
            for path in ("/review/new-report", "/review/statistics", "/review/statistics/report",
                         f"/review/statistics?year={year}", "/review/statistics?year=1850", "/review/account",
                         case_path + "/identity", "/review/?overdue=1", "/review/?sort=due&page=2"):
                check_console_page(reviewer, axe, base, path, tmp_path, problems, who="reviewer")
            # A report recorded by letter: the page that hands over its key.
            reviewer.goto(base + "/review/new-report")
            reviewer.get_by_label("By letter").check()
            reviewer.get_by_label("What was reported").fill("A letter about the depot's overtime sheets.")
            reviewer.get_by_role("button", name="Record the report").click()
            expect(reviewer.locator("body")).to_contain_text("The report was recorded")
            check_current_page(reviewer, axe, "report recorded", tmp_path, problems, shot="reviewer report recorded")
            check_console_page(reviewer, axe, base, "/review/join", tmp_path, problems, who="anyone")
            reviewer.goto(base + "/review/statistics")
            # Last year's 19, and the case received five days ago when that was still last year.
            expected = 19 + int((datetime.now(UTC) - timedelta(days=5)).year == year - 1)
            assert f"Raytown received {expected} reports in" in reviewer.content()
            with reviewer.expect_download() as download:
                reviewer.get_by_role("link", name=re.compile("as PDF")).first.click()
            assert layout_problems(Path(download.value.path()).read_bytes()) == []

            admin = browser.new_context(viewport=DESKTOP).new_page()
            sign_in_enrolling(admin, base, "boss@raytown.example", axe, problems, tmp_path)
            assert admin.url.endswith("/review/")
            for path in ("/review/admin", "/review/audit"):
                html = check_console_page(admin, axe, base, path, tmp_path, problems, who="admin")
            assert re.search(r"The chain of \d+ entries is intact", html)

            auditor = browser.new_context(viewport=DESKTOP).new_page()
            sign_in_enrolling(auditor, base, "aud@raytown.example", axe, problems, tmp_path)
            assert auditor.url.endswith("/review/audit")  # the auditor's home is the audit log
            for path in ("/review/audit", "/review/statistics", "/review/account"):
                check_console_page(auditor, axe, base, path, tmp_path, problems, who="auditor")

            coordinator = browser.new_context(accept_downloads=True, viewport=DESKTOP).new_page()
            sign_in_enrolling(coordinator, base, "marc@marc.example", axe, problems, tmp_path)
            assert coordinator.url.endswith("/review/region")
            for path in ("/review/region", "/review/region/report", "/review/exit-regional", "/review/account"):
                check_console_page(coordinator, axe, base, path, tmp_path, problems, who="coordinator")
            coordinator.goto(base + "/review/region")
            assert "Cities combined: Blue Springs, Independence, Lees Summit, Raytown." in coordinator.content()
            assert "Every case you open" not in coordinator.content()
            assert coordinator.get_by_role("heading", name="Exit interview figures the cities published").count() == 1
            with coordinator.expect_download() as download:
                coordinator.get_by_role("link", name=re.compile("as PDF")).first.click()
            assert layout_problems(Path(download.value.path()).read_bytes()) == []
        finally:
            browser.close()
    assert problems == [], "\n".join(problems)
