"""Fuzzing the exit survey's public pages: the code form, the invitation link, the city's
uninvited link and the answers, with hostile codes, tokens, credentials, questionnaire ids and answers. Each
example sends one request to every /exit route (from the route table) and checks: no 500, nothing unescaped,
nothing stored when refused. HR's side of exit interviews is under /review/ and fuzzed with the console."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from urllib.parse import quote

import pytest
from hypothesis import given
from hypothesis import strategies as st
from starlette.testclient import TestClient

from hotline.app import create_app
from hotline.form_tokens import issue_public_form_token
from hotline.throttle import Throttle
from intake.exit.survey import code_credential
from tests.hotline.conftest import make_settings
from tests.hotline.conftest import sign_in as web_sign_in
from tests.hotline.fuzz_support import (
    ENCODING,
    Sent,
    Snapshot,
    body,
    draw_get,
    draw_parts,
    example,
    family_routes,
    fuzz_settings,
    judge,
    nul_forms,
    nul_urls,
    valid_parts,
)
from tests.hotline.web.exit.exit_helpers import hidden, make_exit_world

# The survey's forms and the fields each reads besides the answers (q_...), which come from the page.
POST_FORMS = {
    "/exit/code": ("form_token", "lang", "code"),
    "/exit/answer": ("form_token", "lang", "credential", "questionnaire"),
}
GATES = ("form_token", "credential")


@dataclass
class ExitWorld:
    client: TestClient
    session_key: bytes
    open_link: str
    tokens: list[str]
    codes: list[str]
    questionnaire: str
    answers: dict[str, str]

    def credentials(self) -> list[str]:
        return [f"open:raytown/{self.open_link}", *(f"token:{token}" for token in self.tokens),
                *(code_credential(code).encode() for code in self.codes)]


@pytest.fixture
def world(database) -> Iterator[ExitWorld]:
    settings = make_settings(database.url)
    make_exit_world(database, settings.intake_config())
    app = create_app(settings, database)
    # One address sends everything here: the code and uninvited-link throttles would refuse most requests.
    app.state.exit_throttles = (Throttle(10**9, 600), Throttle(10**9, 3600))
    with TestClient(app, base_url="https://testserver", raise_server_exceptions=False) as hr, \
            TestClient(app, base_url="https://testserver", raise_server_exceptions=False) as employee:
        assert web_sign_in(hr, "hr@raytown.example").status_code == 200
        csrf = hidden(hr.get("/review/exit/raytown").text, "csrf_token")
        settings_page = hr.post("/review/exit/raytown/settings", data={
            "csrf_token": csrf, "mode": "confidential", "threshold": "5", "invitation_days": "30",
        "open_link": "on"})
        open_link = re.search(r"/exit/open/raytown/([A-Za-z0-9_-]+)", settings_page.text).group(1)
        tokens, codes = [], []
        for _ in range(3):
            invited = hr.post("/review/exit/raytown/invitations", data={
                "csrf_token": csrf, "department": "parks", "separation_type": "voluntary",
                "last_day": date.today().isoformat()})
            tokens.append(re.search(r'id="invitation-link">[^<]*/exit/i/([^<]+)<', invited.text).group(1))
            codes.append(re.search(r'id="invitation-code"><strong>([^<]+)<', invited.text).group(1))
        survey = employee.get(f"/exit/open/raytown/{open_link}").text
        answers = dict.fromkeys(re.findall(r'<textarea id="[^"]*" name="(q_[^"]+)"', survey), "Fine.")
        for name, value in re.findall(r'name="(q_[^"]+)" id="[^"]*" value="([^"]+)"', survey):
            answers.setdefault(name, value)
        yield ExitWorld(employee, settings.session_key, open_link, tokens, codes,
                        hidden(survey, "questionnaire"), answers)


def valid_fields(world: ExitWorld, code: str, credential: str, lang: str = "en") -> dict[str, str | bytes]:
    return {"form_token": issue_public_form_token(world.session_key, time.time()), "lang": lang, "code": code,
            "credential": credential, "questionnaire": world.questionnaire, **world.answers}


def field_names(world: ExitWorld, path: str) -> list[str]:
    return [*POST_FORMS[path], *(world.answers if path == "/exit/answer" else ())]


def draw_post(draw: st.DrawFn, world: ExitWorld, path: str) -> Sent:
    valid = valid_fields(world, draw(st.sampled_from(world.codes)), draw(st.sampled_from(world.credentials())),
                         draw(st.sampled_from(("en", "es"))))
    names = field_names(world, path)
    parts = draw_parts(draw, names, valid, GATES)
    lang = draw(st.sampled_from(("", "?lang=es", "?lang=%FF")))
    return Sent(path, "POST", path + lang, body(parts, draw(ENCODING)))


def test_exit_survey_survives_hostile_input(world, database):
    valid_path = {"token": world.tokens[0], "city": "raytown", "link": world.open_link}
    makers: list[Callable[[st.DrawFn], Sent]] = []
    for method, path in family_routes("exit"):
        if method == "GET":
            makers.append(lambda draw, p=path: draw_get(draw, p, valid_path))
        else:
            makers.append(lambda draw, p=path: draw_post(draw, world, p))
    assert len(makers) >= 5 and {path for _m, path in family_routes("exit") if _m == "POST"} == set(POST_FORMS)

    @fuzz_settings(15 if database.is_sqlite else 5)
    @given(example(makers))
    def run(sent: list[Sent]) -> None:
        problems = []
        for one in sent:
            problems += judge(database, world.client, one)[1]
        assert problems == [], "\n".join(problems)

    run()

    # Then a NUL in every field, path parameter and query, one at a time (tests/hotline/fuzz_support.py), with
    # each kind of credential.
    problems = []
    for method, path in family_routes("exit"):
        urls = list(nul_urls(path, valid_path))
        if method == "GET":
            sent = [Sent(path, "GET", url) for url in urls]
        else:
            names = field_names(world, path)
            sent = [Sent(path, "POST", url, body(valid_parts(names, valid_fields(world, world.codes[-1],
                                                                                 world.credentials()[0])),
                                                 "urlencoded")) for url in urls]
            for credential in world.credentials()[:1] + world.credentials()[-1:]:
                valid = valid_fields(world, world.codes[-1], credential)
                sent += [Sent(path, "POST", path, body(parts, "urlencoded"))
                         for _name, parts in nul_forms(names, valid)]
        for one in sent:
            problems += judge(database, world.client, one)[1]
    assert problems == [], "\n".join(problems)


def test_a_used_invitation_and_a_forged_credential_store_nothing_again(world, database):
    """Beside the fuzzing: an invitation answered once, then refused, and credentials that were never issued."""
    page = world.client.get(f"/exit/i/{quote(world.tokens[1])}").text
    data = {name: hidden(page, name) for name in ("form_token", "credential", "questionnaire", "lang")}
    assert world.client.post("/exit/answer", data={**data, **world.answers}).status_code == 200
    for credential in (data["credential"], "token:" + "A" * 40, "open:raytown/nope", "code:0000-0000-0000"):
        with Snapshot(database) as snapshot:
            response = world.client.post("/exit/answer", data={**data, "credential": credential, **world.answers})
            assert response.status_code in (404, 409), response.status_code
            assert snapshot.stored_on_refusal() == []
