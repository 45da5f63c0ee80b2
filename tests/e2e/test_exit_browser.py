"""Exit interviews in a real browser: Debian's Chromium driven by Playwright.

An invited employee completes the survey with JavaScript off, in Spanish, by keyboard only; and axe-core finds no
WCAG 2.2 A or AA violation on any survey, HR or regional page. The app runs in a real uvicorn server on a free
local port, over a SQLite file.
"""

from __future__ import annotations

import os
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import expect

from hotline.app import create_app
from hotline.settings import Settings
from intake.db import Database
from intake.exit import hr as exit_hr
from intake.exit.survey import Credential, open_survey
from intake.models.exit import MODE_CONFIDENTIAL
from tests.conftest import in_ci
from tests.e2e.console_checks import DESKTOP, check_console_page, check_current_page
from tests.e2e.servers import free_port
from tests.hotline.conftest import PASSWORD, TOTP_SECRETS, totp_code
from tests.hotline.web.exit.exit_helpers import add_responses, hr_of, make_exit_world
from tests.hotline.web.exit.test_pages import department_people

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]


def chromium_or_skip() -> None:
    if not os.path.exists(CHROMIUM):
        message = f"Debian's Chromium is needed at {CHROMIUM}"
        if in_ci():
            pytest.fail(message + " (CI=true: a missing browser is a failure, not a skip)")
        pytest.skip(message)


@dataclass
class Served:
    base: str
    database: Database
    settings: Settings
    settings_directory: Path


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    chromium_or_skip()
    directory: Path = tmp_path_factory.mktemp("exit-browser")
    database = Database(f"sqlite:///{directory / 'hotline.sqlite3'}")
    database.create_schema()
    port = free_port()
    settings = Settings(database_url=database.url, pepper=b"p" * 40, session_key=b"s" * 40,
                        public_url=f"http://127.0.0.1:{port}", insecure_test_kdf=True)
    config = settings.intake_config()
    make_exit_world(database, config)
    add_responses(database, config, "raytown", department_people(), month=(2026, 2))
    server = uvicorn.Server(uvicorn.Config(create_app(settings, database), host="127.0.0.1", port=port,
                                           log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the server did not start")
        time.sleep(0.05)
    try:
        yield Served(f"http://127.0.0.1:{port}", database, settings, directory)
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        database.dispose()


def invitation_token(served: Served) -> str:
    hr = hr_of(served.database, served.settings.intake_config(), "raytown")
    created = exit_hr.create_invitation(served.database, served.settings.intake_config(), hr,
                                        department="public_works", separation_type="retirement",
                                        last_day=time.strftime("%Y-%m-%d"))
    return created.token


def tab_to(page, selector: str, limit: int = 200) -> None:
    """Press Tab until ``selector`` has the focus, as a keyboard user moves through the page."""
    target = page.locator(selector)
    for _ in range(limit):
        page.keyboard.press("Tab")
        if target.evaluate("element => element === document.activeElement"):
            return
    raise AssertionError(f"{selector} was never reached with the Tab key")


def test_an_invited_employee_answers_in_spanish_by_keyboard_with_javascript_off(served, chromium):
    token = invitation_token(served)
    context = chromium.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{served.base}/exit/i/{token}?lang=es")
    assert page.locator("html").get_attribute("lang") == "es"
    assert page.locator("#mode-title").inner_text() == "Esta encuesta es anónima"
    # The prefilled answers from the invitation are already chosen; the keyboard changes one of them and answers
    # two more: a rating (arrow keys within the radio group) and a comment (typing).
    tab_to(page, "#q_separation_type-retirement")
    page.keyboard.press("ArrowDown")  # retirement -> "the city ended my employment"
    tab_to(page, "#q_rating_pay-skip")
    page.keyboard.press("ArrowUp")  # skip -> 5
    page.keyboard.press("ArrowUp")  # 5 -> 4
    tab_to(page, "#q_comments")
    page.keyboard.type("Comentario de prueba por teclado")
    tab_to(page, "button[type=submit]")
    with page.expect_navigation():  # wait for the answer page itself, not the form still on screen
        page.keyboard.press("Enter")
    assert "Gracias" in page.locator("h1").inner_text()
    again = context.new_page()
    again.goto(f"{served.base}/exit/i/{token}?lang=es")
    assert again.locator("h1").inner_text() == "Esta invitación ya se usó"
    context.close()
    hr = hr_of(served.database, served.settings.intake_config(), "raytown")
    from sqlmodel import select

    from intake.exit.survey import open_answers
    from intake.models import ExitResponse

    with served.database.read() as session:
        rows = session.exec(select(ExitResponse)).all()
    answers = [open_answers(row, hr.private_key) for row in rows]
    mine = [a for a in answers if a.get("comments") == "Comentario de prueba por teclado"]
    assert mine == [{"comments": "Comentario de prueba por teclado", "department": "public_works",
                     "separation_type": "involuntary", "rating_pay": 4}]


def survey_pages(served: Served) -> dict[str, str]:
    token = invitation_token(served)
    used = invitation_token(served)
    credential = Credential("token", used)
    survey = open_survey(served.database, served.settings.intake_config(), credential)
    from intake.exit.survey import submit_survey

    submit_survey(served.database, served.settings.intake_config(), credential, str(survey.questionnaire.id),
                  {"q_rating_pay": ["3"]})
    return {"code": "/exit", "code-es": "/exit?lang=es", "survey": f"/exit/i/{token}",
            "survey-es": f"/exit/i/{token}?lang=es", "used": f"/exit/i/{used}", "unknown": "/exit/i/unknown"}


def check(axe, page, name: str) -> None:
    results = axe.run(page, options={"runOnly": {"type": "tag", "values": WCAG}, "resultTypes": ["violations"]})
    assert results.violations_count == 0, f"{name}:\n{results.generate_report()}"


def test_axe_finds_no_wcag_22_violation_on_the_survey_pages(served, chromium):
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    context = chromium.new_context(bypass_csp=True)  # axe is injected as a script; the pages themselves have none
    page = context.new_page()
    for name, path in survey_pages(served).items():
        page.goto(served.base + path)
        check(axe, page, name)
    page.goto(f"{served.base}/exit/i/{invitation_token(served)}?lang=es")
    page.click('label[for="q_rating_pay-5"]')
    page.evaluate("document.querySelector('#q_recommend-10').value = '11'")  # out of range, as a forged form
    page.click('label[for="q_recommend-10"]')
    page.click("button[type=submit]")
    expect(page.locator("body")).to_contain_text("Elija un número del 0 al 10")
    check(axe, page, "survey with a problem")
    page.click("button[type=submit]") if False else None
    page.click('label[for="q_recommend-9"]')
    page.click("button[type=submit]")
    expect(page.locator("body")).to_contain_text("Gracias")
    check(axe, page, "done")
    context.close()


def test_axe_finds_no_wcag_22_violation_on_the_hr_and_regional_pages(served, chromium):
    """HR's console pages and the coordinator's, through tests/e2e/console_checks.py: axe-core (WCAG 2.2 A/AA and
    landmark-unique) in English and Spanish, nothing sideways at 1024 px, a screenshot of each at 1280 px."""
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    problems: list[str] = []
    shots = served.settings_directory
    context = chromium.new_context(bypass_csp=True, viewport=DESKTOP)
    page = context.new_page()
    page.goto(f"{served.base}/review/sign-in")
    page.fill("#email", "hr@raytown.example")
    page.fill("#password", PASSWORD)
    page.fill("#code", totp_code(TOTP_SECRETS["hr@raytown.example"]))
    page.click("button[type=submit]")
    page.wait_for_load_state()
    assert page.url.endswith("/review/exit/raytown")  # HR's home is the exit interviews
    for path in ["/review/exit/raytown", "/review/exit/raytown/analytics?quarter=2026-Q1",
                 "/review/exit/raytown/analytics?quarter=2026-Q1&split=department",
                 "/review/exit/raytown/responses", "/review/account"]:
        check_console_page(page, axe, served.base, path, shots, problems, who="hr")
        assert page.locator("h1").count() == 1
    # One confidential response, to check the page that opens it too.
    config = served.settings.intake_config()
    hr = hr_of(served.database, config, "raytown")
    before = exit_hr.read_settings(served.database, hr)
    exit_hr.change_settings(served.database, hr, mode=MODE_CONFIDENTIAL, threshold=before.threshold,
                            invitation_days=before.invitation_days, open_link=before.open_link is not None)
    credential = Credential("token", invitation_token(served))
    from intake.exit.survey import submit_survey

    submit_survey(served.database, config, credential,
                  str(open_survey(served.database, config, credential).questionnaire.id), {"q_rating_pay": ["4"]})
    page.goto(f"{served.base}/review/exit/raytown/responses")
    opened = page.get_by_role("link", name="Read the answers").first.get_attribute("href")
    assert opened is not None
    check_console_page(page, axe, served.base, opened, shots, problems, who="hr")
    page.goto(f"{served.base}/review/exit/raytown")
    page.select_option("#department", "parks")
    page.fill("#last_day", time.strftime("%Y-%m-%d"))
    page.click("text=Make the invitation")
    assert page.locator("#invitation-code").count() == 1
    check_current_page(page, axe, "invitation made", shots, problems)
    page.goto(f"{served.base}/review/exit/raytown/analytics?quarter=2026-Q1")
    page.click("text=Preview publishing 2026-Q1 to the partnership")
    expect(page.locator("body")).to_contain_text("What the partnership will see")
    check_current_page(page, axe, "publish preview", shots, problems, shot="/review/exit/raytown/publish")
    page.get_by_role("button", name="Publish 2026-Q1 to the partnership").click()
    expect(page.locator("body")).to_contain_text("2026-Q1 was published to the partnership.")
    context.close()
    coordinator = chromium.new_context(bypass_csp=True, viewport=DESKTOP)
    page = coordinator.new_page()
    page.goto(f"{served.base}/review/sign-in")
    page.fill("#email", "coordinator@marc.example")
    page.fill("#password", PASSWORD)
    page.fill("#code", totp_code(TOTP_SECRETS["coordinator@marc.example"]))
    page.click("button[type=submit]")
    page.wait_for_load_state()
    page.get_by_role("link", name="Exit interviews, 2026-Q1").click()  # from the coordinator's home
    page.wait_for_load_state()
    assert re.search("Raytown", page.content())
    for path in ("/review/exit-regional", "/review/region", "/review/region/report"):
        check_console_page(page, axe, served.base, path, shots, problems, who="coordinator")
    coordinator.close()
    assert problems == [], "\n".join(problems)
