"""Who may use each route, built from the route table itself: a route without a rule fails, and every
console route is requested as every role - anonymous, a reviewer of city A, a reviewer of city B, city A's
admin and auditor, the regional coordinator, and a reviewer of A excluded from the case - and each answer must
match the route's rule. Nothing of city A reaches anyone of city B, nor anyone the rule keeps out."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from sqlmodel import select
from starlette.routing import Mount, Route
from starlette.testclient import TestClient

from hotline.access import PUBLIC, SIGNED_IN
from hotline.app import create_app, routes
from intake.accounts.account import add_regional_coordinator
from intake.accounts.reviewers import add_reviewer
from intake.accounts.reviewers import sign_in as sign_in_intake
from intake.accounts.sessions import resume_session, start_session
from intake.cities import find_city, open_city_key_with_recovery_key
from intake.models import CaseItem
from tests.hotline.conftest import PASSWORD, enrol, hidden, sign_in, submit_report
from tests.intake.casework.test_case_handling import add_attachment

MARKER = "Marker-matrix-narrative-4411"


def test_every_route_states_who_may_use_it():
    for route in routes():
        assert isinstance(route, Route | Mount)
        rule = getattr(route, "access_rule", None)
        assert rule is not None, f"{route.path} has no access rule: make it with public_route or reviewer_route"
        assert rule.audience in (PUBLIC, SIGNED_IN)
        if rule.audience == SIGNED_IN:
            assert rule.roles, f"{route.path} admits no role"


@dataclass
class Persona:
    name: str
    role: str | None  # None: anonymous
    city: str | None  # the city whose data it may see
    client: TestClient
    csrf: str = ""


@pytest.fixture
def matrix(seeded):
    settings, database = seeded.settings, seeded.database
    config = settings.intake_config()
    key = open_city_key_with_recovery_key(find_city(database, "raytown"), seeded.recovery_keys["raytown"])
    people = {"admin": ("admin@raytown.example", "Ada Administrator", "admin", ["ethics"]),
              "auditor": ("auditor@raytown.example", "Aud Auditor", "auditor", []),
              "excluded": ("ex@raytown.example", "Eddie Excluded", "reviewer", ["ethics"]),
              "hr": ("hr@raytown.example", "Hal Humanresources", "reviewer", ["hr"])}
    for email, name, role, groups in people.values():
        add_reviewer(database, config, city_slug="raytown", email=email, display_name=name, password=PASSWORD,
                     role=role, city_private_key=key, groups=groups)
        enrol(database, settings, email)
    add_regional_coordinator(database, config, email="coordinator@marc.example", display_name="Coordinator",
                             password=PASSWORD)
    enrol(database, settings, "coordinator@marc.example")
    app = create_app(settings, database)
    personas = []
    for name, email, role, city in (
            ("anonymous", None, None, None), ("reviewer A", seeded.logins["raytown"], "reviewer", "raytown"),
            ("reviewer B", seeded.logins["grandview"], "reviewer", "grandview"),
            ("admin A", "admin@raytown.example", "admin", "raytown"),
            ("auditor A", "auditor@raytown.example", "auditor", "raytown"),
            ("coordinator", "coordinator@marc.example", "coordinator", None),
            ("excluded A", "ex@raytown.example", "reviewer", "raytown"),
            ("HR A", "hr@raytown.example", "reviewer", "raytown")):
        client = TestClient(app, base_url="https://testserver", raise_server_exceptions=False)
        persona = Persona(name, role, city, client)
        if email is not None:
            assert sign_in(client, email).status_code == 200
            persona.csrf = hidden(client.get("/review/account").text, "csrf_token")
        personas.append(persona)
    # After single sign-on, before unlocking: a session with no key that reaches the unlock page alone.
    locked_client = TestClient(app, base_url="https://testserver", raise_server_exceptions=False)
    signed_in = sign_in_intake(database, config, seeded.logins["raytown"], PASSWORD)
    cookie = start_session(database, signed_in, signed_in.memberships[0].city_id, method="sso", locked=True)
    locked_client.cookies.set(app.state.hotline.session_cookie, cookie)
    locked = Persona("SSO-locked A", "unlock", "raytown", locked_client,
                     resume_session(database, config, cookie).csrf_token)
    personas.append(locked)
    reporter = TestClient(app, base_url="https://testserver")
    submit_report(reporter, "raytown", f"{MARKER}: Eddie Excluded signs his own overtime.",
                  category="fraud-waste-abuse",  # with a name given, so the identity routes have something to open
                  extra={"identity": "give", "identity_name": "Marker-matrix-name", "identity_contact": "555-0100"})
    a = personas[1].client
    case_id = re.search(r'href="/review/cases/([0-9a-f]{32})"', a.get("/review/").text).group(1)
    item_id = add_attachment(database, case_id, b"Marker-matrix-attachment")
    with database.read() as session:
        report_item = session.exec(select(CaseItem.id).where(CaseItem.case_id == case_id,
                                                             CaseItem.position == 1)).one()
    return personas, case_id, item_id, report_item


FORM = {"reply": "matrix reply", "request": "matrix question", "note": "matrix note", "status": "assessing",
        "outcome": "", "reason": "", "assignee": "", "item": "nope", "passage": "zzz", "confirm": "",
        "subsection": "", "category": "safety", "channel": "walk-in", "narrative": "matrix staff report",
        "email": "", "name": "", "password": "", "role": "", "reviewer": "x", "recovery_key": "",
        "new_password": "", "slug": "", "group": "x", "member": "1", "current_password": "",
        "new_password_again": "different", "code": "", "invitation": "0" * 32,
        "passkey": "x", "provider": "x", "password_allowed": "1", "require_mfa": "", "passkey_response": "",
        "passkey_prf": ""}


def console_requests(case_id: str, item_id: str) -> list[tuple[str, str, frozenset[str]]]:
    """(method, path, roles) of every signed-in route, sign-out last (it ends the session)."""
    found = []
    for route in routes():
        rule = route.access_rule  # type: ignore[attr-defined]
        if rule.audience != SIGNED_IN:
            continue
        path = (route.path.replace("{case_id}", case_id).replace("{item_id}", item_id).replace("{city}", "raytown")
                .replace("{response_id}", "0" * 32))
        for method in sorted(route.methods - {"HEAD"}):  # type: ignore[union-attr]
            found.append((method, path, rule.roles))
    return sorted(found, key=lambda request: request[1] == "/review/sign-out")


def test_the_access_matrix_holds(matrix):
    personas, case_id, item_id, report_item = matrix
    requests = console_requests(case_id, item_id)
    assert len(requests) >= 35
    failures = []
    for method, path, roles in requests:
        for persona in personas:
            # A real item, so redaction answers with its own checks (a passage not found, no confirmation).
            data = {**FORM, "csrf_token": persona.csrf, "city": persona.city or "", "item": report_item}
            response = (persona.client.get(path, follow_redirects=False) if method == "GET"
                        else persona.client.post(path, data=data, follow_redirects=False))
            status, body = response.status_code, response.text
            about_the_case = "{case_id}" not in path and case_id in path
            kept_from_the_case = about_the_case and persona.name in ("reviewer B", "excluded A", "HR A")
            # Exit interviews: only the city's hr group, and no response has the all-zero id.
            kept_from_exit = path.startswith("/review/exit/raytown") and (persona.name != "HR A"
                                                                          or path.endswith("0" * 32))
            if persona.role is None:
                expected_ok = response.status_code == 303 and response.headers["location"] == "/review/sign-in"
            elif persona.role == "unlock" and "unlock" not in roles:
                expected_ok = status == 303 and response.headers["location"] == "/review/unlock"
            elif persona.role not in roles or kept_from_the_case or kept_from_exit:
                expected_ok = status == 404
            elif path == "/review/city" and persona.city is None:
                expected_ok = status == 404  # the coordinator has no city to switch to
            else:
                expected_ok = status in (200, 303, 400) and status != 500
            if not expected_ok:
                failures.append(f"{method} {path} as {persona.name}: {status}")
            may_see_the_case = persona.name in ("reviewer A", "admin A")
            if not may_see_the_case:
                for secret in (MARKER, "Marker-matrix-attachment", "matrix note", "Marker-matrix-name"):
                    if secret in body:
                        failures.append(f"{method} {path} as {persona.name} shows {secret}")
            if persona.name == "reviewer B":
                for secret in (MARKER, case_id, "Raytown", "raytown", "Eddie Excluded", "Ada Administrator"):
                    if secret in body:
                        failures.append(f"{method} {path} as reviewer B shows city A's {secret}")
    assert failures == [], "\n".join(failures)
