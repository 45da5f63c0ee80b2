"""The reviewer console walked in Debian's Chromium by Playwright, against the real server: TOTP
enrolment, sign-in with a code, triage in the inbox, reply, conclude, export; the admin's and auditor's pages.
axe-core checks every page for WCAG 2.2 A and AA and must find nothing. Under CI=true a missing Chromium fails.
"""

from __future__ import annotations

import re
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pyotp
import pytest

from intake.accounts.account import add_regional_coordinator
from intake.accounts.reviewers import add_reviewer
from intake.cities import create_city, find_city, open_city_key_with_recovery_key
from intake.config import IntakeConfig
from intake.db import Database
from intake.operations.migrate import upgrade
from intake.reports.submission import submit_report
from tests.conftest import TEST_KDF, in_ci
from tests.e2e.screenshots import screenshot
from tests.e2e.servers import free_port, running
from tests.hotline.exports.pdf_layout import layout_problems
from tests.hotline.exports.stats_scene import CITIES, region_year

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]
PASSWORD = "a long enough password"
NARRATIVE = "Marker-browser-narrative: the depot's fuel card is used at weekends."

pytestmark = pytest.mark.browser


def chromium_or_skip() -> None:
    if not Path(CHROMIUM).exists() or shutil.which("chromium") is None:
        message = f"Debian's Chromium is needed at {CHROMIUM}"
        if in_ci():
            pytest.fail(message + " (CI=true: a missing browser is a failure, not a skip)")
        pytest.skip(message)


def prepare(directory: Path) -> str:
    url = f"sqlite:///{directory / 'hotline.sqlite3'}"
    database = Database(url)
    upgrade(database)
    config = IntakeConfig(pepper=b"p" * 40, reviewer_kdf=TEST_KDF, report_key_kdf=TEST_KDF,
                          release_interval_seconds=0)
    created = create_city(database, "raytown", "Raytown")
    key = open_city_key_with_recovery_key(find_city(database, "raytown"), created.recovery_key)
    for email, name, role, groups in (("ana@raytown.example", "Ana Officer", "reviewer", ["ethics"]),
                                      ("boss@raytown.example", "Boss Admin", "admin", ["ethics"]),
                                      ("aud@raytown.example", "Aud Auditor", "auditor", [])):
        add_reviewer(database, config, city_slug="raytown", email=email, display_name=name, password=PASSWORD,
                     role=role, city_private_key=key, groups=groups)
    for narrative in (NARRATIVE, "A second report about a ladder."):
        submit_report(database, config, city_slug="raytown", category="safety", narrative=narrative)
    # A year of cases in four more cities and Raytown's own, for statistics, reports and the region worth reading.
    last_year = datetime.now(UTC).year - 1
    region_year(database, config, {slug: plan for slug, plan in CITIES.items() if slug != "raytown"}, last_year)
    for index, category in enumerate(["fraud-waste-abuse"] * 8 + ["safety"] * 6 + ["ethics-conflict"] * 5):
        submit_report(database, config, city_slug="raytown", category=category, narrative=f"Report {index}",
                      clock=lambda i=index: datetime(last_year, 1 + i % 12, 3, 15, tzinfo=UTC))
    add_regional_coordinator(database, config, email="marc@marc.example", display_name="MARC Coordinator",
                             password=PASSWORD)
    database.dispose()
    return url


def check_accessibility(page, axe, label: str, problems: list[str]) -> None:
    results = axe.run(page, options={"runOnly": {"type": "tag", "values": WCAG_TAGS}})
    assert results.response["testEngine"]["name"] == "axe-core" and results.response["passes"], label  # it ran
    for violation in results.response["violations"]:
        targets = [node["target"] for node in violation["nodes"]][:3]
        problems.append(f"{label}: {violation['id']} ({violation['impact']}): {violation['help']} at {targets}")


def sign_in_enrolling(page, base: str, email: str, axe, problems: list[str]) -> None:
    """First sign-in: password only, then the TOTP enrolment page, read as a person reads it."""
    page.goto(base + "/review/sign-in")
    check_accessibility(page, axe, "sign-in", problems)
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/review/totp")
    check_accessibility(page, axe, "TOTP enrolment", problems)
    secret = page.locator("#totp-secret").inner_text().replace(" ", "")
    assert page.locator(".qr svg").count() == 1
    page.get_by_label("Code from the app").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Confirm").click()
    page.wait_for_load_state()


def test_reviewer_flows_in_chromium_with_no_wcag_violations(tmp_path):
    chromium_or_skip()
    from axe_playwright_python.sync_playwright import Axe
    from playwright.sync_api import sync_playwright

    url = prepare(tmp_path)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {"HOTLINE_DATABASE_URL": url, "HOTLINE_PEPPER": "p" * 40, "HOTLINE_SESSION_KEY": "s" * 40,
           "HOTLINE_INSECURE_TEST_KDF": "1", "HOTLINE_PUBLIC_URL": base, "HOTLINE_RELEASE_INTERVAL_SECONDS": "0"}
    problems: list[str] = []
    axe = Axe()
    with running(["serve", "--port", str(port)], env, port, tmp_path / "server.log"), sync_playwright() as play:
        browser = play.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            reviewer = browser.new_context(accept_downloads=True).new_page()
            sign_in_enrolling(reviewer, base, "ana@raytown.example", axe, problems)
            assert reviewer.url.endswith("/review/")
            check_accessibility(reviewer, axe, "inbox", problems)
            reviewer.get_by_label("Category").select_option("safety")
            reviewer.get_by_role("button", name="Show cases").click()
            reviewer.wait_for_load_state()
            check_accessibility(reviewer, axe, "inbox filtered", problems)
            reviewer.get_by_role("link", name="#1", exact=True).click()
            reviewer.wait_for_load_state()
            assert NARRATIVE in reviewer.content()
            check_accessibility(reviewer, axe, "case", problems)
            reviewer.get_by_label("Reply", exact=True).fill("Thank you. Which weekends?")
            reviewer.get_by_role("button", name="Send reply").click()
            reviewer.wait_for_load_state()
            assert "Your reply was sent" in reviewer.content()
            check_accessibility(reviewer, axe, "case after reply", problems)
            reviewer.get_by_label("New status").select_option("concluded")
            reviewer.get_by_role("button", name="Change status").click()
            reviewer.wait_for_load_state()
            assert "cannot be concluded without one" in reviewer.content()
            check_accessibility(reviewer, axe, "case with a problem", problems)
            reviewer.get_by_label("New status").select_option("concluded")
            reviewer.get_by_label("Outcome (needed to conclude)").select_option("substantiated")
            reviewer.get_by_role("button", name="Change status").click()
            reviewer.wait_for_load_state()
            assert "The status was changed" in reviewer.content()
            with reviewer.expect_download() as download:
                reviewer.get_by_role("link", name="Export as PDF").click()
            assert download.value.suggested_filename == "case-1.pdf"
            assert layout_problems(Path(download.value.path()).read_bytes()) == []
            reviewer.goto(base + "/review/new-report")
            check_accessibility(reviewer, axe, "record a report", problems)
            for path in ("/review/statistics", "/review/statistics?lang=es", "/review/statistics/report",
                         "/review/statistics/report?lang=es", f"/review/statistics?year={datetime.now(UTC).year}",
                         "/review/statistics?year=1850"):
                reviewer.goto(base + path)
                check_accessibility(reviewer, axe, path, problems)
                screenshot(reviewer, tmp_path, path)
            reviewer.goto(base + "/review/statistics")
            assert "Raytown received 19 reports in" in reviewer.content()
            with reviewer.expect_download() as download:
                reviewer.get_by_role("link", name=re.compile("as PDF")).first.click()
            assert layout_problems(Path(download.value.path()).read_bytes()) == []
            reviewer.goto(base + "/review/account")
            check_accessibility(reviewer, axe, "account", problems)

            admin = browser.new_context().new_page()
            sign_in_enrolling(admin, base, "boss@raytown.example", axe, problems)
            admin.goto(base + "/review/admin")
            check_accessibility(admin, axe, "administration", problems)
            admin.goto(base + "/review/audit")
            assert re.search(r"The chain of \d+ entries is intact", admin.content())
            check_accessibility(admin, axe, "audit log", problems)

            coordinator = browser.new_context(accept_downloads=True).new_page()
            sign_in_enrolling(coordinator, base, "marc@marc.example", axe, problems)
            for path in ("/review/region", "/review/region?lang=es", "/review/region/report",
                         "/review/region/report?lang=es", "/review/exit-regional"):
                coordinator.goto(base + path)
                check_accessibility(coordinator, axe, path, problems)
                screenshot(coordinator, tmp_path, path)
            coordinator.goto(base + "/review/region")
            assert "Cities combined: Blue Springs, Independence, Lees Summit, Raytown." in coordinator.content()
            assert "Every case you open" not in coordinator.content()
            with coordinator.expect_download() as download:
                coordinator.get_by_role("link", name=re.compile("as PDF")).first.click()
            assert layout_problems(Path(download.value.path()).read_bytes()) == []
        finally:
            browser.close()
    assert problems == [], "\n".join(problems)
