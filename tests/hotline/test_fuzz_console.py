"""Fuzzing the reviewer console: every route under /review/ - sign-in, TOTP enrolment, the
inbox's filters, sort and paging, every case action, the identity and file routes, the admin, audit, statistics
and regional pages, and HR's exit-interview pages - each requested as a signed-in person its rule admits, with a
valid CSRF token three times in four. The routes come from the route table; each example sends one hostile
request to every one of them and checks: no 500, nothing unescaped, nothing stored when refused."""

from __future__ import annotations

import json
import re
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote_from_bytes

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlmodel import select
from starlette.routing import Route
from starlette.testclient import TestClient

from hotline.app import create_app
from hotline.form_tokens import issue_public_form_token
from hotline.throttle import Throttle
from intake.accounts.account import add_regional_coordinator
from intake.accounts.reviewers import (
    ROLE_ADMIN,
    ROLE_COORDINATOR,
    ROLE_REVIEWER,
    ROLE_TOTP_ENROLMENT,
    ROLE_UNLOCK,
    add_reviewer,
    sign_in,
)
from intake.accounts.sessions import resume_session, start_session
from intake.cities import find_city, open_city_key_with_recovery_key
from intake.errors import WrongCredentials
from intake.models import CaseItem, ExitResponse, Reviewer
from tests.hotline.conftest import PASSWORD, enrol, hidden
from tests.hotline.conftest import sign_in as web_sign_in
from tests.hotline.fuzz_support import (
    ATTRIBUTE,
    ENCODING,
    IMAGE,
    SCRIPT,
    SMALL_HOSTILE_BYTES,
    SVG,
    Sent,
    body,
    draw_get,
    draw_parts,
    example,
    family,
    family_routes,
    fill,
    fuzz_settings,
    judge,
    nul_forms,
    nul_urls,
    route_table,
    valid_parts,
)

CASE = "/review/cases/{case_id}"
EXIT = "/review/exit/{city}"
# Each console form and the fields it reads (tests/hotline/test_fuzz_routes.py fails on a POST route no family
# lists, and on a field the code reads that no family sends).
POST_FORMS = {
    "/review/sign-in": ("form_token", "email", "password", "code", "passkey_response", "passkey_prf"),
    "/review/totp": ("csrf_token", "code"),
    "/review/sign-out": ("csrf_token",),
    "/review/city": ("csrf_token", "city"),
    "/review/account/password": ("csrf_token", "current_password", "new_password", "new_password_again"),
    "/review/new-report": ("csrf_token", "category", "channel", "narrative"),
    CASE + "/reply": ("csrf_token", "reply", "feedback"),
    CASE + "/request-information": ("csrf_token", "request"),
    CASE + "/note": ("csrf_token", "note"),
    CASE + "/status": ("csrf_token", "status", "outcome", "reason"),
    CASE + "/assign": ("csrf_token", "assignee"),
    CASE + "/redact": ("csrf_token", "item", "passage"),
    CASE + "/redact-item": ("csrf_token", "item", "confirm"),
    CASE + "/closed-record": ("csrf_token", "subsection"),
    CASE + "/identity": ("csrf_token", "reason"),
    "/review/admin/invitations": ("csrf_token", "email", "name", "role"),
    "/review/admin/invitations/withdraw": ("csrf_token", "invitation"),
    "/review/account/invitations/accept": ("csrf_token", "invitation"),
    "/review/account/invitations/decline": ("csrf_token", "invitation"),
    "/review/join": ("form_token", "code", "password", "password_again"),
    "/review/sign-in/passkey-options": ("form_token", "email"),
    "/review/unlock": ("csrf_token", "password", "passkey_response", "passkey_prf"),
    "/review/unlock/options": ("csrf_token",),
    "/review/account/passkeys/options": ("csrf_token",),
    "/review/account/passkeys": ("csrf_token", "passkey_response", "passkey_prf", "name"),
    "/review/account/passkeys/remove": ("csrf_token", "passkey"),
    "/review/admin/sign-in-rules": ("csrf_token", "password_allowed", "require_mfa"),
    "/review/admin/sso-links": ("csrf_token", "reviewer", "provider"),
    "/review/admin/sso-links/remove": ("csrf_token", "reviewer", "provider"),
    "/review/admin/reviewers/remove": ("csrf_token", "reviewer"),
    "/review/admin/restore": ("csrf_token", "email", "recovery_key", "new_password"),
    "/review/admin/groups": ("csrf_token", "slug", "name"),
    "/review/admin/groups/members": ("csrf_token", "group", "reviewer", "member"),
    "/review/admin/routing": ("csrf_token", "category", "group"),
    EXIT + "/settings": ("csrf_token", "mode", "threshold", "invitation_days", "open_link"),
    EXIT + "/invitations": ("csrf_token", "department", "separation_type", "last_day"),
    EXIT + "/publish": ("csrf_token", "quarter"),
}
GATES = ("csrf_token", "form_token")
# The routes that end the session they are sent with: each request gets a session of its own.
SESSION_ENDING = {"/review/sign-out", "/review/account/password"}
OTHER_PASSWORD = "another correct horse battery staple"
# Requests are drawn before any is sent, and a session may change in between: the valid CSRF token is put in
# when the request is sent (ConsoleWorld.ready).
CSRF_PLACEHOLDER = b"CsrfPlaceholder7f3a"

PEOPLE = {  # persona: (email, name, role, groups)
    "main": ("main@raytown.example", "Mia Main", ROLE_REVIEWER, ["ethics", "hr"]),
    "admin": ("admin@raytown.example", "Ada Admin", ROLE_ADMIN, ["ethics"]),
    "auditor": ("auditor@raytown.example", "Aud Auditor", "auditor", []),
    "changer": ("changer@raytown.example", "Cha Changer", ROLE_REVIEWER, []),
    "removable": ("removable@raytown.example", "Rem Removable", ROLE_REVIEWER, []),
    "victim": ("victim@raytown.example", "Vic Victim", ROLE_REVIEWER, []),
    "enrolling": ("enrolling@raytown.example", "Eno Enrolling", ROLE_REVIEWER, []),
    "locked": ("locked@raytown.example", "Loc Locked", ROLE_REVIEWER, []),
}
COORDINATOR = "coordinator@marc.example"


def persona_for(path: str, roles: frozenset[str]) -> str:
    """Who sends a route's requests: someone its rule admits, so the handler itself meets the input."""
    if path in SESSION_ENDING:
        return "changer"
    if roles == {ROLE_TOTP_ENROLMENT}:
        return "enrolling"
    if roles == {ROLE_UNLOCK}:
        return "locked"
    if roles == {ROLE_COORDINATOR}:
        return "coordinator"
    if roles == {ROLE_ADMIN}:
        return "admin"
    if ROLE_REVIEWER in roles:
        return "main"
    if "auditor" in roles:
        return "auditor"
    assert not roles, f"{path}: no persona here has any of the roles {sorted(roles)}; add one to PEOPLE"
    return "anonymous"


@dataclass
class Persona:
    client: TestClient
    csrf: str = ""


class ConsoleWorld:
    def __init__(self, seeded, stack: ExitStack) -> None:
        self.settings, self.database = seeded.settings, seeded.database
        database, settings, config = seeded.database, seeded.settings, seeded.settings.intake_config()
        key = open_city_key_with_recovery_key(find_city(database, "raytown"), seeded.recovery_keys["raytown"])
        for email, name, role, groups in PEOPLE.values():
            add_reviewer(database, config, city_slug="raytown", email=email, display_name=name, password=PASSWORD,
                         role=role, city_private_key=key, groups=groups)
            if not email.startswith("enrolling"):
                enrol(database, settings, email)
        add_regional_coordinator(database, config, email=COORDINATOR, display_name="Coordinator",
                                 password=PASSWORD)
        enrol(database, settings, COORDINATOR)
        self.recovery_key = seeded.recovery_keys["raytown"]
        # One single sign-on provider, at an address where nothing answers: its routes meet hostile input without
        # the network (starting a login answers 503; a callback without its cookie, 400).
        directory = Path(tempfile.mkdtemp(prefix="hotline-fuzz-sso-"))
        (directory / "secret").write_text("fuzz-client-secret")
        (directory / "providers.json").write_text(json.dumps({"providers": [{
            "name": "marc", "issuer": "http://127.0.0.1:9", "client_id": "hotline",
            "client_secret_file": str(directory / "secret"), "cities": "*"}]}))
        settings = replace(settings, oidc_providers_file=str(directory / "providers.json"))
        app = create_app(settings, database)
        # Every request comes from one address here: the sign-in throttle would answer 429 to most of them.
        app.state.hotline.sign_in_throttle = Throttle(10**9, 600)
        app.state.hotline.invitation_code_throttle = Throttle(10**9, 600)
        self.app = app
        self.personas: dict[str, Persona] = {}
        for name in ("anonymous", "main", "admin", "auditor", "coordinator", "enrolling", "changer", "locked"):
            client = stack.enter_context(TestClient(app, base_url="https://testserver",
                                                    raise_server_exceptions=False))
            self.personas[name] = Persona(client)
        for name in ("main", "admin", "auditor", "coordinator", "enrolling"):
            email = COORDINATOR if name == "coordinator" else PEOPLE[name][0]
            persona = self.personas[name]
            assert web_sign_in(persona.client, email).status_code == 200
            page = persona.client.get("/review/totp" if name == "enrolling" else "/review/account").text
            persona.csrf = hidden(page, "csrf_token")
        self.changer_password = PASSWORD
        self._make_case()
        self._make_exit_response()
        with database.read() as session:
            self.ids = {name: session.exec(select(Reviewer.id).where(Reviewer.email == email)).one()
                        for name, (email, *_rest) in PEOPLE.items()}

    def _make_case(self) -> None:
        """The case every case route is fuzzed on: a reporter filled every box with markup, so each page, file
        name and export that shows it is checked for escaping as well."""
        reporter = self.personas["anonymous"].client
        form = reporter.get("/report/raytown?category=fraud-waste-abuse").text
        answers = dict.fromkeys(re.findall(r'<textarea id="[^"]*" name="(q-[^"]+)"', form), IMAGE)
        page = reporter.post("/report/raytown", data={
            "form_token": hidden(form, "form_token"), "category": "fraud-waste-abuse",
            "narrative": f"Vic Victim signs his own overtime sheets every Friday. {SCRIPT} {ATTRIBUTE}",
            "identity": "give", "identity_name": f"Fuzz {SVG} Reporter", "identity_contact": IMAGE, **answers},
            files={"attachments": (f"{SCRIPT}{IMAGE}.txt", b"overtime sheets", "text/plain")})
        assert page.status_code == 200, page.text
        inbox = self.personas["main"].client.get("/review/").text
        self.case_id = re.search(r'href="/review/cases/([0-9a-f]{32})"', inbox).group(1)
        with self.database.read() as session:
            items = session.exec(select(CaseItem).where(CaseItem.case_id == self.case_id)).all()
        self.report_item = next(item.id for item in items if item.position == 1)
        self.attachment = next(item.id for item in items if item.kind == "attachment")

    def _make_exit_response(self) -> None:
        hr, employee = self.personas["main"], self.personas["anonymous"].client
        assert hr.client.post("/review/exit/raytown/settings", data={
            "csrf_token": hr.csrf, "mode": "confidential", "threshold": "5", "invitation_days": "30",
            "open_link": "on"}).status_code == 200
        invited = hr.client.post("/review/exit/raytown/invitations", data={
            "csrf_token": hr.csrf, "department": "parks", "separation_type": "voluntary",
            "last_day": datetime.now(UTC).date().isoformat()})
        link = re.search(r'id="invitation-link">[^<]*(/exit/i/[^<]+)<', invited.text).group(1)
        form = employee.get(link).text
        done = employee.post("/exit/answer", data={
            **{name: hidden(form, name) for name in ("form_token", "credential", "questionnaire", "lang")},
            "q_rating_pay": "2", "q_comments": "Fuzz exit comment."})
        assert done.status_code == 200, done.text
        with self.database.read() as session:
            self.response_id = session.exec(select(ExitResponse.id)).first()

    def fresh_changer_session(self) -> None:
        """A new session for the reviewer whose requests end it; their password may have been changed."""
        config = self.settings.intake_config()
        email = PEOPLE["changer"][0]
        for password in (self.changer_password, PASSWORD, OTHER_PASSWORD):
            try:
                signed_in = sign_in(self.database, config, email, password)
            except WrongCredentials:
                continue
            self.changer_password = password
            break
        city_id = signed_in.memberships[0].city_id
        cookie = start_session(self.database, signed_in, city_id)
        persona = self.personas["changer"]
        persona.client.cookies.set(self.app.state.hotline.session_cookie, cookie)
        persona.csrf = resume_session(self.database, config, cookie).csrf_token

    def fresh_locked_session(self) -> None:
        """A session signed in by single sign-on, its keys still locked (a request may unlock it)."""
        config = self.settings.intake_config()
        signed_in = sign_in(self.database, config, PEOPLE["locked"][0], PASSWORD)
        cookie = start_session(self.database, signed_in, signed_in.memberships[0].city_id, method="sso",
                               locked=True)
        persona = self.personas["locked"]
        persona.client.cookies.set(self.app.state.hotline.session_cookie, cookie)
        persona.csrf = resume_session(self.database, config, cookie).csrf_token

    def ready(self, sent: Sent) -> Sent:
        """The request as its persona sends it now: with a session of its own if the request ends it (or may
        unlock it), and the persona's CSRF token in place of the placeholder it was drawn with."""
        if sent.route in SESSION_ENDING:
            self.fresh_changer_session()
        if sent.persona == "locked":
            self.fresh_locked_session()
        if sent.body is None:
            return sent
        csrf = self.personas[sent.persona].csrf.encode()
        return replace(sent, body=replace(sent.body, content=sent.body.content.replace(CSRF_PLACEHOLDER, csrf)))

    def valid_fields(self) -> dict[str, str | bytes]:
        other = OTHER_PASSWORD if self.changer_password == PASSWORD else PASSWORD
        return {
            "csrf_token": CSRF_PLACEHOLDER,
            "form_token": issue_public_form_token(self.settings.session_key, time.time()),
            "email": PEOPLE["victim"][0], "password": PASSWORD, "code": "123456", "city": "raytown",
            "current_password": self.changer_password, "new_password": other, "new_password_again": other,
            "category": "safety", "channel": "walk-in", "narrative": "Told at the front desk.", "reply": "Thank you.",
            "feedback": "1", "request": "When did it start?", "note": "Check the sheets.", "status": "assessing",
            "outcome": "", "reason": "Needed to call back.", "assignee": str(self.ids["main"]),
            "item": self.report_item, "passage": "Friday", "confirm": "1", "subsection": "",
            "name": "New Person", "role": "reviewer", "reviewer": str(self.ids["removable"]),
            "recovery_key": self.recovery_key, "slug": "audit-team", "group": "1", "member": "1",
            "mode": "anonymous", "threshold": "5", "invitation_days": "30", "open_link": "on",
            "department": "parks", "separation_type": "voluntary",
            "last_day": datetime.now(UTC).date().isoformat(), "quarter": "2026-Q1",
            "invitation": "0" * 32, "password_again": PASSWORD, "passkey": "AAAA", "provider": "marc",
            "password_allowed": "1", "require_mfa": "", "passkey_response": "{}", "passkey_prf": "",
        }

    def valid_path(self) -> dict[str, str]:
        return {"case_id": self.case_id, "item_id": self.attachment, "city": "raytown",
                "response_id": self.response_id, "provider": "marc"}


def personas() -> dict[str, str]:
    """Who sends each console route's requests."""
    return {route.path: persona_for(route.path, route.access_rule.roles)  # type: ignore[attr-defined]
            for _m, _p, route in route_table() if isinstance(route, Route) and family(route.path) == "console"}


def console_requests(world: ConsoleWorld) -> list[Callable[[st.DrawFn], Sent]]:
    makers = []
    for method, path in family_routes("console"):
        persona = personas()[path]

        def make(draw: st.DrawFn, method: str = method, path: str = path, persona: str = persona) -> Sent:
            sent = draw_get(draw, path, world.valid_path())
            sent = replace(sent, persona=persona)
            if method == "GET":
                return sent
            url, _, query = sent.url.partition("?")
            parts = draw_parts(draw, POST_FORMS[path], world.valid_fields(), GATES)
            lang = draw(st.sampled_from(("", "?lang=es", "?" + query)))
            return Sent(path, "POST", url + lang, body(parts, draw(ENCODING)), persona)

        makers.append(make)
    guarded = sorted(path for method, path in family_routes("console") if method == "GET" and "sign-in" not in path)

    def forged_session(draw: st.DrawFn) -> Sent:
        """A signed-in page asked for with a session cookie nobody was given."""
        cookie = draw(st.one_of(SMALL_HOSTILE_BYTES, st.just(b"A" * 22 + b"." + b"B" * 43), st.just(b"x" * 5000)))
        value = quote_from_bytes(cookie, safe=b"=/+.")
        sent = draw_get(draw, draw(st.sampled_from(guarded)), world.valid_path())
        return replace(sent, headers=(("cookie", f"{world.app.state.hotline.session_cookie}={value}"),))

    return [*makers, forged_session]


@pytest.fixture
def world(seeded) -> Iterator[ConsoleWorld]:
    with ExitStack() as stack:
        yield ConsoleWorld(seeded, stack)


def test_console_survives_hostile_input(world, database):
    makers = console_requests(world)
    assert len(makers) == len(family_routes("console")) + 1 >= 45

    @fuzz_settings(4 if database.is_sqlite else 2)
    @given(example(makers))
    def run(sent: list[Sent]) -> None:
        problems = []
        for one in sent:
            problems += judge(world.database, world.personas[one.persona].client, world.ready(one))[1]
        assert problems == [], "\n".join(problems)

    run()

    # Then a NUL in every field, path parameter and query, one at a time (tests/hotline/fuzz_support.py).
    problems = []
    for method, path in family_routes("console"):
        persona = personas()[path]
        urls = list(nul_urls(path, world.valid_path()))
        if method == "GET":
            sent = [Sent(path, "GET", url, persona=persona) for url in urls]
        else:
            fields, valid = POST_FORMS[path], world.valid_fields()
            sent = [Sent(path, "POST", fill(path, world.valid_path()), body(parts, "urlencoded"), persona)
                    for _name, parts in nul_forms(fields, valid)]
            sent += [Sent(path, "POST", url, body(valid_parts(fields, valid), "urlencoded"), persona) for url in urls]
        for one in sent:
            problems += judge(world.database, world.personas[one.persona].client, world.ready(one))[1]
    assert problems == [], "\n".join(problems)
