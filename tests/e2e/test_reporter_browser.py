"""The reporter's pages in a real browser: Debian's Chromium driven by Playwright against a real server.

The whole reporter flow (report with questionnaire, files, an exclusion; receipt; follow-up after a reviewer's
question; an answer with a file) is walked in English with JavaScript on, in Spanish with JavaScript off, and in
Spanish with JavaScript on; axe-core (axe-playwright-python) checks every reporter page for WCAG 2.2 A/AA where
scripts can run. Every page loads nothing from another origin and weighs under 100 KB. A keyboard-only run
reaches and submits every form.
"""

from __future__ import annotations

import io
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import uvicorn
from PIL import Image
from playwright.sync_api import expect

from hotline.app import create_app
from hotline.settings import Settings
from intake.accounts.reviewers import add_reviewer, sign_in
from intake.accounts.sessions import resume_session, start_session
from intake.casework.cases import reply_to_reporter
from intake.cities import create_city, find_city, open_city_key_with_recovery_key
from intake.config import IntakeConfig
from intake.db import Database
from intake.items import KIND_INFORMATION_REQUEST
from intake.models import Case
from intake.operations.migrate import upgrade
from tests.e2e.servers import free_port

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
MAX_PAGE_BYTES = 100 * 1024
PASSWORD = "a long enough password"


@dataclass
class Site:
    base: str
    database: Database
    config: IntakeConfig
    officer_id: int
    reviewer_email: str


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    directory = tmp_path_factory.mktemp("browser")
    database = Database(f"sqlite:///{directory / 'hotline.sqlite3'}")
    upgrade(database)
    port = free_port()
    settings = Settings(database_url=database.url, pepper=b"p" * 40, session_key=b"s" * 40, insecure_test_kdf=True,
                        public_url=f"http://127.0.0.1:{port}", reports_per_client_per_hour=1000,
                        release_interval_seconds=0)
    config = settings.intake_config()
    created = create_city(database, "raytown", "Raytown")
    key = open_city_key_with_recovery_key(find_city(database, "raytown"), created.recovery_key)
    officer = add_reviewer(database, config, city_slug="raytown", email="officer@raytown.example",
                           display_name="Olive Officer", password=PASSWORD, role="reviewer", city_private_key=key)
    add_reviewer(database, config, city_slug="raytown", email="cy@raytown.example", display_name="Cy Counsel",
                 password=PASSWORD, role="reviewer", city_private_key=key, groups=["alternate"])
    server = uvicorn.Server(uvicorn.Config(create_app(settings, database), host="127.0.0.1", port=port,
                                           log_config=None, access_log=False, lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    try:
        yield Site(f"http://127.0.0.1:{port}", database, config, officer.reviewer_id, "cy@raytown.example")
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        database.dispose()


@dataclass
class Visit:
    """Watches a page: every request it makes and every byte it loads, per navigation."""

    base: str
    axe: bool
    requests: list[str] = field(default_factory=list)
    bytes_by_page: dict[str, int] = field(default_factory=dict)  # per page shown: "n:url"
    checked: list[str] = field(default_factory=list)
    current: str = ""
    shown: int = 0

    def attach(self, page) -> None:
        page.on("request", lambda request: self.requests.append(request.url))

        def on_response(response) -> None:
            if response.request.resource_type == "document":
                self.shown += 1
                self.current = f"{self.shown}:{response.url}"
            try:
                size = len(response.body())
            except Exception:  # a download's body is not kept by the page
                size = 0
            self.bytes_by_page[self.current] = self.bytes_by_page.get(self.current, 0) + size

        page.on("response", on_response)

    def check(self, page, name: str) -> None:
        """axe-core on the page as it is now (when scripts can run), and the page's weight so far."""
        self.checked.append(name)
        # The page as its reader sees it: after its stylesheet applied. A click returns once the next page is on
        # its way, and axe-core run before the CSS applied measured unstyled links (target-size, under load in CI).
        page.wait_for_load_state("load")
        if self.axe:
            from axe_playwright_python.sync_playwright import Axe

            results = Axe().run(page, options={"runOnly": {"type": "tag", "values": WCAG_TAGS}})
            assert results.violations_count == 0, f"{name}: " + results.generate_report()

    def assert_clean(self) -> None:
        foreign = [url for url in self.requests if not url.startswith(self.base + "/")]
        # Each page with everything it loads (the browser may reuse the stylesheet; counted again each time).
        assert foreign == []
        heavy = {url: size for url, size in self.bytes_by_page.items() if size >= MAX_PAGE_BYTES}
        assert heavy == {}
        assert self.bytes_by_page


def jpeg_file(tmp_path: Path) -> Path:
    path = tmp_path / "yard.jpg"
    image = Image.new("RGB", (32, 32), (10, 120, 40))
    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: (38.0, 57.0, 1.0)}
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    path.write_bytes(out.getvalue())
    return path


def reviewer_asks(site: Site, question: str) -> None:
    signed_in = sign_in(site.database, site.config, site.reviewer_email, PASSWORD)
    context = resume_session(site.database, site.config,
                             start_session(site.database, signed_in, signed_in.memberships[0].city_id))
    with site.database.read() as session:
        from sqlmodel import col, select
        case_id = session.exec(select(Case.id).order_by(col(Case.number).desc())).first()
    reply_to_reporter(site.database, site.config, context, case_id, question, kind=KIND_INFORMATION_REQUEST)


WORDS = {
    "en": {"city": "Raytown", "category": "Safety", "send": "Send report", "download": "Download the key",
           "follow": "Go to the follow-up page", "open": "Open my report", "needs": "The reviewer needs more",
           "message": "Send message", "sent": "Your message was sent.", "yes": "Yes", "saw": "I saw or heard it"},
    "es": {"city": "Raytown", "category": "Seguridad", "send": "Enviar reporte", "download": "Descargar la clave",
           "follow": "Ir a la página de seguimiento", "open": "Abrir mi reporte",
           "needs": "El equipo de revisión necesita más", "message": "Enviar mensaje",
           "sent": "Su mensaje fue enviado.", "yes": "Sí", "saw": "Lo vi o lo oí en persona"},
}


def walk(chromium, site: Site, tmp_path: Path, *, language: str, javascript: bool) -> Visit:
    words = WORDS[language]
    context = chromium.new_context(java_script_enabled=javascript, accept_downloads=True)
    page = context.new_page()
    visit = Visit(site.base, axe=javascript)
    visit.attach(page)
    try:
        page.goto(site.base + "/")
        if language != "en":
            page.get_by_role("link", name="Español").click()  # the language is chosen by a link...
            page.wait_for_url(re.compile(r"lang=es"))  # ...and kept in the URL
        assert page.locator("html").get_attribute("lang") == language
        visit.check(page, "cities")
        page.get_by_role("link", name=words["city"]).click()
        visit.check(page, "categories")
        page.get_by_role("link", name=re.compile("^" + words["category"])).first.click()
        visit.check(page, "report form")

        # The name fields show only once "give my name" is chosen (CSS, no script).
        # (expect waits for the stylesheet: a page whose CSS has not applied yet shows every field for a moment)
        expect(page.locator("#identity_name")).to_be_hidden()
        page.locator('label[for="identity-give"]').click()
        expect(page.locator("#identity_name")).to_be_visible()
        # A problem the server finds (a name with control characters): the form comes back, named.
        page.fill("#narrative", "Marker narrative: the crane at the north yard has not been inspected.")
        page.fill("#identity_name", "Some\u0007one")
        page.get_by_role("button", name=words["send"]).click()
        expect(page.locator(".usa-alert--error")).to_have_count(1)  # waits for the answer page
        assert page.input_value("#narrative").startswith("Marker narrative")
        visit.check(page, "report form with a problem")

        page.fill("#identity_name", "")
        page.locator('label[for="identity-anonymous"]').click()
        page.fill("#q-where", "North yard")
        page.locator('label[for="q-how_known-saw"]').click()
        page.locator('label[for="q-evidence-photos"]').click()
        page.locator('label[for="q-reported_before-yes"]').click()
        page.fill("#q-reported_to", "My supervisor, in May")
        page.locator(f'label[for="exclude-{site.officer_id}"]').click()
        page.set_input_files("#attachments", str(jpeg_file(tmp_path)))
        page.get_by_role("button", name=words["send"]).click()
        key = page.locator("#report-key").inner_text().replace(" ", "")
        assert re.fullmatch(r"\d{20}", key)
        assert page.locator(".files").inner_text().startswith("yard.jpg")
        visit.check(page, "confirmation")
        with page.expect_download() as download_info:
            page.get_by_role("button", name=words["download"]).click()
        receipt = Path(download_info.value.path()).read_text()
        assert " ".join(key[i:i + 4] for i in range(0, 20, 4)) in receipt

        reviewer_asks(site, f"Marker question in {language}: which crane?")
        page.get_by_role("link", name=words["follow"]).click()
        visit.check(page, "follow-up")
        page.fill("#report_key", key)
        page.get_by_role("button", name=words["open"]).click()
        # Waits for the case page: content() read while the form's navigation is still under way is empty.
        page.locator("#message").wait_for()
        assert words["needs"] in page.content()
        assert f"Marker question in {language}" in page.content()
        visit.check(page, "case with a question")
        page.fill("#message", "The one by gate 3.")
        page.set_input_files("#attachments", str(jpeg_file(tmp_path)))
        page.get_by_role("button", name=words["message"]).click()
        # expect() waits for the answer page; content() read while the form's navigation is under way is empty.
        expect(page.locator("body")).to_contain_text(words["sent"])
        assert words["needs"] not in page.content()
        visit.check(page, "case after answering")

        page.goto(site.base + "/report/atlantis" + ("?lang=es" if language == "es" else ""))
        visit.check(page, "not found")
        visit.assert_clean()
        return visit
    finally:
        context.close()


@pytest.mark.parametrize(("language", "javascript"), [("en", True), ("es", False), ("es", True)],
                         ids=["english-with-js", "spanish-without-js", "spanish-with-js"])
def test_the_whole_reporter_flow(chromium, site, tmp_path, language, javascript):
    visit = walk(chromium, site, tmp_path, language=language, javascript=javascript)
    assert len(visit.checked) == 9


def test_keyboard_alone_reaches_and_submits_every_form(chromium, site):
    context = chromium.new_context(accept_downloads=True)
    page = context.new_page()

    def tab_to(selector: str, limit: int = 120) -> None:
        target = page.locator(selector).first.element_handle()
        for _ in range(limit):
            page.keyboard.press("Tab")
            if page.evaluate("(el) => document.activeElement === el", target):
                return
        raise AssertionError(f"Tab never reached {selector}")

    try:
        page.goto(site.base + "/")
        tab_to('a[href="/report/raytown"]')
        page.keyboard.press("Enter")
        page.wait_for_url("**/report/raytown")
        tab_to('a[href="/report/raytown?category=other"]')
        page.keyboard.press("Enter")
        page.wait_for_url("**category=other")
        tab_to("#narrative")
        page.keyboard.type("Typed with the keyboard only.")
        tab_to("#q-ongoing-yes")
        page.keyboard.press("Space")
        tab_to("#identity-anonymous")
        tab_to('form[enctype] button[type="submit"]')
        page.keyboard.press("Enter")
        page.wait_for_selector("#report-key")
        key = page.locator("#report-key").inner_text().replace(" ", "")

        tab_to('button:has-text("Download the key")')
        with page.expect_download():
            page.keyboard.press("Enter")
        tab_to('main a[href="/follow-up"]')
        page.keyboard.press("Enter")
        page.wait_for_url("**/follow-up")
        tab_to("#report_key")
        page.keyboard.type(key)
        page.keyboard.press("Enter")
        page.wait_for_selector("#message")
        tab_to("#message")
        page.keyboard.type("A keyboard-only follow-up.")
        tab_to('form[action="/follow-up/message"] button[type="submit"]')
        page.keyboard.press("Enter")
        page.wait_for_selector("text=Your message was sent.")
        tab_to('nav.site-language button')  # the language switch of a page reached with a key is a form too
        page.keyboard.press("Enter")
        page.wait_for_selector('html[lang="es"]')
        assert "A keyboard-only follow-up." in page.content()
    finally:
        context.close()
