"""Every reporter and exit-survey page, as a person on a phone or a desktop sees it, in English and Spanish.

Each page is reached for real (JavaScript off, as the flows a reporter follows: the start page, a city, a subject,
the form, its errors, a refused dead end, a rate limit, the receipt, the follow-up with a long report, replies
and a question, the anonymity page, the exit survey) and its HTML kept; then it is shown again at each width from
the same origin (its stylesheet and images load as usual):

- at 320 and 390 px with JavaScript off: nothing scrolls sideways, and no block of text (paragraph, label,
  legend, list item, table cell, answer) is narrower than 100 px;
- at 390 and 1280 px: axe-core finds no WCAG 2.2 A or AA violation, the page with everything it loads weighs
  under 100 KB and loads nothing from another origin, and a screenshot is written to test-screenshots/reporter/
  (not committed) for a person to look at.

Spanish is reached as a first visit from a browser asking for es-MX, without ?lang=es.
"""

from __future__ import annotations

import os
import re
import shutil
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
from intake.accounts.reviewers import add_reviewer, sign_in
from intake.accounts.sessions import resume_session, start_session
from intake.casework.cases import reply_to_reporter
from intake.cities import create_city, find_city, open_city_key_with_recovery_key
from intake.db import Database
from intake.exit import hr as exit_hr
from intake.items import KIND_INFORMATION_REQUEST, KIND_REVIEWER_REPLY
from intake.models import Case
from intake.operations.migrate import upgrade
from intake.phone.lines import add_number
from tests.conftest import in_ci
from tests.e2e.servers import free_port

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]
PASSWORD = "a long enough password"
MAX_PAGE_BYTES = 100 * 1024
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-screenshots" / "reporter"
ONION = "hotline" + "a" * 49 + ".onion"
LONG_REPORT = ("On the north yard the crane has not been inspected since March. " * 40
               + "Serial:" + "X" * 90 + "\n\n" + "The foreman said it would be fine. " * 20)
# The blocks of text that must never be squeezed on a phone.
TEXT_BLOCKS = "p, li, label, legend, dt, dd, td, th, h1, h2, h3, blockquote, .usa-hint, .usa-error-message"
NARROW = """(selector) => [...document.querySelectorAll(selector)].filter(el => {
    const style = getComputedStyle(el);
    if (style.display === 'none' || style.visibility === 'hidden' || el.closest('.usa-sr-only, .hp, [hidden]'))
        return false;
    if (!el.innerText || !el.innerText.trim()) return false;
    const box = el.getBoundingClientRect();
    return box.width > 0 && box.width < 100;
}).map(el => el.tagName + ': ' + el.innerText.trim().slice(0, 40)
            + ' (' + Math.round(el.getBoundingClientRect().width) + ' px)')"""


def chromium_or_skip() -> None:
    if not (os.path.exists(CHROMIUM) or shutil.which("chromium")):
        message = "Debian's Chromium is not installed at /usr/bin/chromium"
        if in_ci():
            pytest.fail(message + " (CI=true: a missing browser is a failure, not a skip)")
        pytest.skip(message)


@dataclass
class Site:
    base: str
    limited: str  # the same site with one report per client an hour
    database: Database
    settings: Settings
    invitations: list[str]


def serve(settings: Settings, database: Database) -> tuple[uvicorn.Server, threading.Thread]:
    server = uvicorn.Server(uvicorn.Config(create_app(settings, database), host="127.0.0.1", port=settings.port,
                                           log_config=None, access_log=False, lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "the server did not start"
        time.sleep(0.05)
    return server, thread


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    chromium_or_skip()
    directory = tmp_path_factory.mktemp("reporter-pages")
    database = Database(f"sqlite:///{directory / 'hotline.sqlite3'}")
    upgrade(database)
    ports = free_port(), free_port()
    settings = Settings(database_url=database.url, pepper=b"p" * 40, session_key=b"s" * 40, insecure_test_kdf=True,
                        public_url=f"http://127.0.0.1:{ports[0]}", port=ports[0], reports_per_client_per_hour=1000,
                        twilio_account_sid="AC" + "0" * 32, twilio_auth_token=b"t" * 32,
                        phone_shared_number="+18165550100", onion_address=ONION)
    config = settings.intake_config()
    for slug, name in (("raytown", "Raytown"), ("grandview", "Grandview")):
        created = create_city(database, slug, name)
        key = open_city_key_with_recovery_key(find_city(database, slug), created.recovery_key)
        add_reviewer(database, config, city_slug=slug, email=f"ethics@{slug}.example",
                     display_name=f"{name} Ethics Officer", password=PASSWORD, role="reviewer", city_private_key=key)
        if slug == "raytown":  # Grandview's alternate group stays empty: a report leaving its officer out is refused
            add_reviewer(database, config, city_slug=slug, email="attorney@raytown.example",
                         display_name="Raytown City Attorney", password=PASSWORD, role="reviewer",
                         city_private_key=key, groups=["alternate"])
            add_reviewer(database, config, city_slug=slug, email="hr@raytown.example", display_name="Raytown HR",
                         password=PASSWORD, role="reviewer", city_private_key=key, groups=["hr"])
    add_number(database, "raytown", "+18165550111")
    signed_in = sign_in(database, config, "hr@raytown.example", PASSWORD)
    hr = exit_hr.hr_access(database, resume_session(database, config, start_session(
        database, signed_in, signed_in.memberships[0].city_id)), "raytown")
    invitations = [exit_hr.create_invitation(database, config, hr, department="public_works",
                                             separation_type="retirement", last_day=time.strftime("%Y-%m-%d")).token
                   for _ in range(4)]
    limited = Settings(**{**settings.__dict__, "port": ports[1], "public_url": f"http://127.0.0.1:{ports[1]}",
                          "reports_per_client_per_hour": 1})
    servers = [serve(settings, database), serve(limited, database)]
    try:
        yield Site(settings.public_url, limited.public_url, database, settings, invitations)
    finally:
        for server, thread in servers:
            server.should_exit = True
            thread.join(timeout=10)
        database.dispose()


def tick(page, input_id: str) -> None:
    """Choose a radio button or check a box as a person does: by its label (USWDS draws the box in the label)."""
    page.locator(f'label[for="{input_id}"]').click()
    assert page.locator(f"#{input_id}").is_checked(), input_id


def reviewers_answer(site: Site, *, question: str) -> None:
    """Raytown's ethics officer replies to the newest case, then asks a question (as the console does)."""
    config = site.settings.intake_config()
    signed_in = sign_in(site.database, config, "ethics@raytown.example", PASSWORD)
    context = resume_session(site.database, config, start_session(site.database, signed_in,
                                                                  signed_in.memberships[0].city_id))
    with site.database.read() as session:
        from sqlmodel import col, select
        case_id = session.exec(select(Case.id).where(Case.city_id == context.city_id)
                               .order_by(col(Case.number).desc())).first()
    reply_to_reporter(site.database, config, context, case_id, "Thank you. We are looking at the crane's papers "
                      "and will tell you what we find.", kind=KIND_REVIEWER_REPLY)
    reply_to_reporter(site.database, config, context, case_id, question, kind=KIND_INFORMATION_REQUEST)


def collect(chromium, site: Site, tmp_path: Path, language: str) -> dict[str, str]:
    """Walk every reporter and exit-survey page with JavaScript off; return each page's HTML by name."""
    locale = "es-MX" if language == "es" else "en-US"
    context = chromium.new_context(java_script_enabled=False, locale=locale, accept_downloads=True)
    page = context.new_page()
    pages: dict[str, str] = {}
    words = {"en": {"send": "Send report", "open": "Open my report", "message": "Send message",
                    "answers": "Send my answers"},
             "es": {"send": "Enviar reporte", "open": "Abrir mi reporte", "message": "Enviar mensaje",
                    "answers": "Enviar mis respuestas"}}[language]
    upload = tmp_path / "notes.txt"
    upload.write_text("notes")

    def keep(name: str) -> None:
        page.wait_for_load_state("load")
        assert page.locator("html").get_attribute("lang") == language, name
        pages[name] = page.content()

    try:
        page.goto(site.base + "/")
        keep("home")
        page.goto(site.base + "/report/raytown")
        keep("city")
        page.goto(site.base + "/report/raytown?category=safety")
        keep("form")
        page.fill("#narrative", "   ")  # blank to the server (the browser asks for something in the box)
        page.set_input_files("#attachments", str(upload))
        page.get_by_role("button", name=words["send"]).click()  # errors, and the file to attach again
        expect(page.locator(".usa-alert--error")).to_have_count(1)  # waits for the answer page
        assert "notes.txt" in page.content()
        keep("form-with-errors")

        page.goto(site.base + "/report/grandview?category=ethics-conflict")
        page.fill("#narrative", "About the ethics officer.")
        tick(page, "exclude-" + re.search(r'id="exclude-(\d+)"', page.content()).group(1))
        page.get_by_role("button", name=words["send"]).click()
        expect(page.locator("#nobody-title")).to_have_count(1)
        keep("form-nobody-left")

        for attempt in range(2):
            page.goto(site.limited + "/report/raytown?category=other")
            page.fill("#narrative", f"Marker rate limit {attempt}: the depot's fuel card is used at weekends.")
            page.get_by_role("button", name=words["send"]).click()
        assert page.locator("#narrative").input_value().startswith("Marker rate limit 1")
        keep("form-rate-limited")

        page.goto(site.base + "/report/raytown?category=safety")
        tick(page, "in_danger-yes")
        page.fill("#narrative", LONG_REPORT)
        page.fill("#q-where", "North yard, " + "beside the long fence " * 6)
        tick(page, "q-how_known-saw")
        tick(page, "q-evidence-photos")
        tick(page, "q-reported_before-yes")
        page.fill("#q-reported_to", "My supervisor, " + "twice in writing and once in person " * 5)
        page.get_by_role("button", name=words["send"]).click()
        page.wait_for_selector("#report-key")
        key = page.locator("#report-key").inner_text().replace(" ", "")
        assert re.fullmatch(r"\d{20}", key) and page.locator(".usa-alert--emergency").count() == 1
        keep("receipt")

        reviewers_answer(site, question=f"Which crane exactly, and who else saw it? ({language})")
        page.goto(site.base + "/follow-up")
        keep("follow-up")
        page.fill("#report_key", "1" * 20)
        page.get_by_role("button", name=words["open"]).click()
        keep("follow-up-wrong-key")
        page.fill("#report_key", key)
        page.get_by_role("button", name=words["open"]).click()
        page.wait_for_selector("#add")
        assert "Which crane exactly" in page.content()
        keep("case-with-question")
        page.fill("#message", "The one by gate 3. " * 10)
        page.get_by_role("button", name=words["message"]).click()
        keep("case-after-message")

        page.goto(site.base + "/anonymity")
        assert ONION in page.content()
        keep("anonymity")
        page.goto(site.base + "/report/atlantis")
        keep("not-found")

        token = site.invitations.pop()
        page.goto(site.base + "/exit")
        keep("exit-code")
        page.goto(site.base + f"/exit/i/{token}")
        keep("exit-survey")
        tick(page, "q_rating_pay-4")
        page.get_by_role("button", name=words["answers"]).click()
        keep("exit-done")
        page.goto(site.base + f"/exit/i/{token}")
        keep("exit-used")
    finally:
        context.close()
    return pages


def replay(page, base: str, name: str, html: str) -> dict[str, int]:
    """Show the kept HTML again at this page's size, from the site's origin; return the bytes each URL loaded."""
    loaded: dict[str, int] = {}

    def on_response(response) -> None:
        try:
            loaded[response.url] = len(response.body())
        except Exception:
            loaded[response.url] = 0

    page.on("response", on_response)
    url = f"{base}/replay/{name}"
    page.route(url, lambda route: route.fulfill(status=200, body=html, content_type="text/html; charset=utf-8"))
    page.goto(url)
    page.wait_for_load_state("load")
    page.unroute(url)
    page.remove_listener("response", on_response)
    return loaded


@pytest.mark.parametrize("language", ["en", "es"])
def test_every_reporter_page_fits_a_phone_is_accessible_and_light(chromium, site, tmp_path, language):
    from axe_playwright_python.sync_playwright import Axe

    pages = collect(chromium, site, tmp_path, language)
    assert len(pages) == 17
    problems: list[str] = []
    for width in (320, 390):
        context = chromium.new_context(java_script_enabled=False, viewport={"width": width, "height": 800})
        page = context.new_page()
        for name, html in pages.items():
            replay(page, site.base, name, html)
            scroll, client = page.evaluate("[document.documentElement.scrollWidth, "
                                           "document.documentElement.clientWidth]")
            if scroll > client:
                problems.append(f"{language} {name} at {width} px scrolls sideways ({scroll} > {client})")
            for narrow in page.evaluate(NARROW, TEXT_BLOCKS):
                problems.append(f"{language} {name} at {width} px: a text block narrower than 100 px: {narrow}")
        context.close()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    axe = Axe()
    for width in (390, 1280):
        context = chromium.new_context(bypass_csp=True, viewport={"width": width, "height": 900})
        page = context.new_page()
        for name, html in pages.items():
            loaded = replay(page, site.base, name, html)
            foreign = [url for url in loaded if not url.startswith(site.base + "/")]
            if foreign:
                problems.append(f"{language} {name}: loads from another origin: {foreign}")
            weight = sum(size for url, size in loaded.items() if "/replay/" not in url) + len(html.encode())
            if weight >= MAX_PAGE_BYTES:
                problems.append(f"{language} {name}: {weight} bytes with what it loads")
            results = axe.run(page, options={"runOnly": {"type": "tag", "values": WCAG_TAGS}})
            for violation in results.response["violations"]:
                targets = [node["target"] for node in violation["nodes"]][:3]
                problems.append(f"{language} {name} at {width} px: {violation['id']}: {violation['help']} {targets}")
            page.screenshot(path=str(SCREENSHOTS / f"{name}-{language}-{width}.png"), full_page=True)
        context.close()
    assert problems == [], "\n".join(problems)
    print(f"screenshots in {SCREENSHOTS}")
