"""Every console page, as every role, in English and Spanish, on a city with every kind of case and entry: the
pages speak in words and local time (docs/design.md#console-wording). No raw action code (``case.routed``), no
reviewer id (``reviewer:5``), no UTC time or offset; and the Spanish pages show no English status, channel,
group, outcome, item kind, role or action label.

The city is made through the app and the intake services, as people would: a web report with a name given, a
report entered by staff, a phone report with its recording, replies, a request, notes, status changes, an
assignment, a redaction, a closed record, both exports, the reporter's name opened, the reporter's own message,
administration (invitation, group, membership, routing, sign-in rules), an exit invitation, and a reviewer who
acted on a case and was then removed from the city.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from html.parser import HTMLParser

import pytest
from sqlmodel import select
from starlette.testclient import TestClient

from hotline.access import SIGNED_IN
from hotline.app import create_app
from hotline.web.console.routes import console_routes
from intake.accounts.account import add_regional_coordinator
from intake.accounts.reviewers import add_reviewer
from intake.audit.actions import ACTIONS, AuditAction
from intake.case_status import OUTCOMES, STATUSES
from intake.cities import find_city, open_city_key_with_recovery_key
from intake.exit.questionnaire import DEFAULT_DEFINITION
from intake.items import KIND_INFORMATION_REQUEST, KIND_INTERNAL_NOTE, KIND_REPORTER_MESSAGE, KIND_REVIEWER_REPLY
from intake.models import Membership, Reviewer, ReviewerGroup
from intake.phone.recordings import store_recording
from intake.phone.reports import open_phone_report
from intake.reports.submission import CHANNELS
from intake.routing import DEFAULT_GROUPS
from tests.hotline.conftest import PASSWORD, enrol, hidden, sign_in, submit_report
from tests.hotline.voice.test_transcripts import silent_wav
from tests.intake.casework.test_case_handling import add_attachment

# Text that must never be shown: a reviewer's id, and a time in UTC or with its offset (ISO 8601 or otherwise).
REVIEWER_ID = re.compile(r"reviewer:\d+")
UTC_TIME = re.compile(r"\d\d:\d\d(:\d\d)?(\.\d+)?(Z|[+-]\d\d:?\d\d)\b|\bUTC\b|\d{4}-\d\d-\d\dT\d\d:\d\d")
ACTION_CODES = {action.value for action in AuditAction}
# Pages that are files, not pages: PDFs, archives, CSV, a file's bytes.
NOT_PAGES = (".pdf", ".zip", ".csv", "/content", "/files/{item_id}")


class VisibleText(HTMLParser):
    """The text a person sees (and a screen reader reads): text nodes and the labels of form controls, without
    scripts, styles or attribute values that are only addresses or codes."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.texts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._hidden += 1
        for name, value in attrs:
            if name in ("aria-label", "title", "alt", "placeholder") and value:
                self.texts.append(value)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self._hidden and data.strip():
            self.texts.append(data.strip())


def visible_texts(page: str) -> list[str]:
    parser = VisibleText()
    parser.feed(page)
    return parser.texts


def english_words() -> set[str]:
    """The console's English labels that have a Spanish translation of their own: statuses, outcomes,
    channels, the built-in groups, item kinds, roles, the audit actions' labels, and the exit interviews'
    departments and ways of leaving."""
    words = {label for info in ACTIONS.values() for label in (info.label_en,) if label != info.label_es}
    for value in (*STATUSES, *OUTCOMES):
        words.add(value.capitalize())
    words |= {"Reporter", "Phone caller", "Letter", "Walk-in", "HR call", "Phone", "Report",
              "Reviewer reply", "Internal note", "Information request", "Reporter message", "Reviewer",
              "Administrator", "Coordinator", "Former reviewer", "System"}
    words |= {name for _slug, name, _purpose in DEFAULT_GROUPS}
    # The exit interviews' departments and ways of leaving, as HR's pages show them.
    for question in DEFAULT_DEFINITION["questions"]:
        if question["id"] in ("department", "separation_type"):
            words |= {option["label"]["en"] for option in question["options"]
                      if option["label"]["en"] != option["label"]["es"]}
    words |= {kind.replace("_", " ").capitalize() for kind in (KIND_INFORMATION_REQUEST, KIND_INTERNAL_NOTE,
                                                                KIND_REPORTER_MESSAGE, KIND_REVIEWER_REPLY)}
    assert {"Assessing", "Ethics officers", "Reviewer reply", "Sent to a group"} <= words
    assert len(CHANNELS) == 5
    return words


def english_in(texts: list[str], words: set[str]) -> set[str]:
    """Which English labels stand as a text of their own, or as a part between separators (" · ", ", ", ": ",
    parentheses), in a Spanish page."""
    found = set()
    for text in texts:
        for part in re.split(r"\s*[·,:;()\n]\s*|\s+-\s+", text):
            part = part.strip(" .")
            if part in words or (part.capitalize() in words and part == part.lower() and len(part) > 3):
                found.add(part)
    return found


@dataclass
class Persona:
    name: str
    client: TestClient
    roles: tuple[str, ...]


def post(client: TestClient, path: str, data: dict[str, str], page: str | None = None) -> str:
    token = hidden(client.get(page or path.rsplit("/", 1)[0]).text, "csrf_token")
    response = client.post(path, data={"csrf_token": token, **data})
    assert response.status_code == 200, (path, response.status_code, response.text[:2000])
    return response.text


@pytest.fixture
def city(seeded):
    """Raytown with every kind of case and audit entry; the personas signed in to it."""
    settings, database = seeded.settings, seeded.database
    config = settings.intake_config()
    key = open_city_key_with_recovery_key(find_city(database, "raytown"), seeded.recovery_keys["raytown"])
    people = {"admin": ("admin@raytown.example", "Ada Administrator", "admin", ["ethics"]),
              "auditor": ("auditor@raytown.example", "Aud Auditor", "auditor", []),
              "leaving": ("leaving@raytown.example", "Lee Leaving", "reviewer", ["ethics"]),
              "hr": ("hr@raytown.example", "Hal Humanresources", "reviewer", ["hr"])}
    for email, name, role, groups in people.values():
        add_reviewer(database, config, city_slug="raytown", email=email, display_name=name, password=PASSWORD,
                     role=role, city_private_key=key, groups=groups)
        enrol(database, settings, email)
    add_regional_coordinator(database, config, email="coordinator@marc.example", display_name="Cora Coordinator",
                             password=PASSWORD)
    enrol(database, settings, "coordinator@marc.example")
    app = create_app(settings, database)

    def browser(email: str | None = None) -> TestClient:
        client = TestClient(app, base_url="https://testserver", raise_server_exceptions=False)
        if email is not None:
            signed_in = sign_in(client, email)
            if signed_in.status_code == 400:  # the TOTP step turned during the request: the next code is good
                signed_in = sign_in(client, email)
            assert signed_in.status_code == 200
        return client

    # A web report with the reporter's name, and the reporter's own message later (day-only entries).
    reporter = browser()
    report_key = submit_report(reporter, "raytown", "Marker-words: the depot's fuel card is shared.",
                               category="fraud-waste-abuse",
                               extra={"identity": "give", "identity_name": "Pat Reporter",
                                      "identity_contact": "555-0100"})
    reviewer = browser(seeded.logins["raytown"])
    case_id = re.search(r'href="/review/cases/([0-9a-f]{32})"', reviewer.get("/review/").text).group(1)
    path = f"/review/cases/{case_id}"
    item_id = add_attachment(database, case_id, b"Marker-words-attachment")
    post(reviewer, path + "/reply", {"reply": "Thank you: which depot?", "feedback": "1"}, path)
    post(reviewer, path + "/request-information", {"request": "When did it start?"}, path)
    post(reviewer, path + "/note", {"note": "Fuel logs requested."}, path)
    post(reviewer, path + "/status", {"status": "assessing", "outcome": ""}, path)
    post(reviewer, path + "/status", {"status": "concluded", "outcome": "referred"}, path)
    post(reviewer, path + "/status", {"status": "investigating", "reason": "New logs arrived."}, path)
    post(reviewer, path + "/closed-record", {"subsection": "610.021(16)"}, path)
    post(reviewer, path + "/redact", {"item": report_item(reviewer, path), "passage": "fuel card"}, path)
    assert reviewer.get(path + "/export.pdf").status_code == 200
    assert reviewer.get(path + "/files.zip").status_code == 200
    assert reviewer.get(f"{path}/files/{item_id}").status_code == 200
    post(reviewer, path + "/identity", {"reason": "To call the reporter back, as they asked."}, path + "/identity")
    opened = reporter.post("/follow-up", data={"form_token": hidden(reporter.get("/follow-up").text, "form_token"),
                                              "report_key": report_key})
    reporter.post("/follow-up/message", data={"access_token": hidden(opened.text, "access_token"),
                                              "message": "It started in March."})
    # A reviewer who acts on the case and is then removed from the city.
    leaving = browser("leaving@raytown.example")
    post(leaving, path + "/note", {"note": "Handing over."}, path)
    with database.read() as session:
        leaving_id = session.exec(select(Reviewer.id).where(Reviewer.email == "leaving@raytown.example")).one()
        ethics = session.exec(select(ReviewerGroup.id).where(ReviewerGroup.slug == "ethics")).first()
    post(reviewer, path + "/assign", {"assignee": str(leaving_id)}, path)
    # Staff intake, and a phone report with its recording.
    post(reviewer, "/review/new-report", {"channel": "walk-in", "category": "safety",
                                          "narrative": "Marker-words: a walk-in report."}, "/review/new-report")
    phone_case = uuid.uuid4().hex
    open_phone_report(database, config, case_id=phone_case, city_slug="raytown", category="safety")
    store_recording(database, case_id=phone_case, original_wav=silent_wav(1.0), give_up=True, config=config)
    # Administration.
    admin = browser("admin@raytown.example")
    post(admin, "/review/admin/invitations", {"email": "new@raytown.example", "name": "Nia New",
                                              "role": "reviewer"}, "/review/admin")
    post(admin, "/review/admin/groups", {"slug": "parks", "name": "Parks board"}, "/review/admin")
    post(admin, "/review/admin/groups/members", {"group": str(ethics), "reviewer": str(leaving_id),
                                                 "member": "0"}, "/review/admin")
    post(admin, "/review/admin/routing", {"category": "safety", "group": str(ethics)}, "/review/admin")
    post(admin, "/review/admin/sign-in-rules", {"password_allowed": "1", "require_mfa": ""}, "/review/admin")
    post(admin, "/review/admin/reviewers/remove", {"reviewer": str(leaving_id)}, "/review/admin")
    with database.read() as session:
        assert session.exec(select(Membership).where(Membership.reviewer_id == leaving_id)).first() is None
    hr = browser("hr@raytown.example")
    post(hr, "/review/exit/raytown/invitations", {"department": "parks", "separation_type": "voluntary",
                                                  "last_day": "2026-11-30"}, "/review/exit/raytown")
    auditor = browser("auditor@raytown.example")
    coordinator = browser("coordinator@marc.example")
    personas = [Persona("reviewer", reviewer, ("reviewer",)), Persona("admin", admin, ("admin",)),
                Persona("auditor", auditor, ("auditor",)), Persona("HR officer", hr, ("reviewer",)),
                Persona("coordinator", coordinator, ("coordinator",))]
    return personas, case_id, item_id, phone_case


def report_item(client: TestClient, path: str) -> str:
    return re.search(r'name="item" value="([^"]+)"', client.get(path).text).group(1)


def pages_for(persona: Persona, case_id: str, item_id: str, phone_case: str) -> list[str]:
    """Every GET page of the console's route table this persona's role may open, ids filled in."""
    paths = []
    for route in console_routes():
        rule = route.access_rule  # type: ignore[attr-defined]
        if rule.audience != SIGNED_IN or "GET" not in (route.methods or ()) or route.path.endswith(NOT_PAGES):
            continue
        if not set(persona.roles) & set(rule.roles) or "{response_id}" in route.path:
            continue
        if route.path in ("/review/totp", "/review/unlock"):
            continue  # stages before a session is whole
        for case in (case_id, phone_case) if "{case_id}" in route.path else (None,):
            paths.append(route.path.replace("{case_id}", case or "").replace("{item_id}", item_id)
                         .replace("{city}", "raytown"))
    if "/review/audit" in paths:
        paths += ["/review/audit?action=case.status_changed", "/review/audit?page=2"]
    return paths


def test_every_console_page_speaks_in_words_and_local_time(city):
    personas, case_id, item_id, phone_case = city
    words = english_words()
    failures = []
    opened = 0
    for persona in personas:
        for path in pages_for(persona, case_id, item_id, phone_case):
            for language in ("en", "es"):
                response = persona.client.get(path, headers={"accept-language": language})
                if response.status_code == 404 and (
                        (persona.name == "HR officer" and "/cases/" in path)  # not routed to HR's group
                        or (persona.name != "HR officer" and path.startswith("/review/exit/"))  # HR's group only
                        or path.endswith(phone_case + "/identity")):  # a caller gives no name
                    continue
                where = f"{persona.name} {language} {path}"
                if response.status_code != 200:
                    failures.append(f"{where}: {response.status_code}")
                    continue
                opened += 1
                texts = visible_texts(response.text)
                shown = "\n".join(texts)
                failures += [f"{where}: raw action {code}" for code in ACTION_CODES if code in shown]
                failures += [f"{where}: reviewer id {m}" for m in set(REVIEWER_ID.findall(shown))]
                failures += [f"{where}: UTC time {m.group(0)!r}" for m in UTC_TIME.finditer(shown)]
                if language == "es":
                    failures += [f"{where}: English {word!r}" for word in sorted(english_in(texts, words))]
    assert opened >= 40
    assert failures == [], "\n".join(failures)


def test_notices_and_problems_are_in_the_page_s_language(city):
    personas, case_id, _item_id, _phone_case = city
    reviewer, admin = personas[0].client, personas[1].client
    spanish = {"accept-language": "es"}
    assert "Se cambió el estado." in reviewer.get(f"/review/cases/{case_id}?done=status", headers=spanish).text
    assert "Se añadió el grupo." in admin.get("/review/admin?done=group", headers=spanish).text
    page = reviewer.get(f"/review/cases/{case_id}", headers=spanish).text
    refused = reviewer.post(f"/review/cases/{case_id}/status?lang=es", data={
        "csrf_token": hidden(page, "csrf_token"), "status": "concluded", "outcome": ""})
    assert refused.status_code == 400 and "Elija el resultado: un caso no puede concluirse sin él." in refused.text
