"""Sign-in limits an attacker cannot turn against the account's owner
(docs/design.md#limits-an-attacker-cannot-turn-against-users): thirty wrong passwords for a known email and for an
unknown one are answered alike (status, body, headers), and afterwards the owner signs in from another client with
the right password and code after waiting at most what the last answer stated: with a clock the test moves, and once
in real time with the default settings. The delays are in the city's audit log."""

from __future__ import annotations

import base64
import re
import time
from datetime import timedelta

from sqlmodel import select
from starlette.testclient import TestClient

from hotline.app import create_app
from intake.accounts import totp
from intake.clock import utc_now
from intake.models import AuditEntry
from tests.hotline.conftest import PASSWORD, TOTP_SECRETS, hidden, totp_code

UNKNOWN = "ethicz@raytown.example"  # as long as the known one, so the pages have the same length too
WRONG = "not the right password at all"


class MovingClock:
    def __init__(self) -> None:
        self.now = utc_now()

    def __call__(self):
        return self.now


def attempt(client: TestClient, email: str, password: str = WRONG, code: str = "123456"):
    form = client.get("/review/sign-in")
    return client.post("/review/sign-in", data={"form_token": hidden(form.text, "form_token"), "email": email,
                                                "password": password, "code": code}, follow_redirects=False)


def comparable(response, email: str) -> tuple[int, str, dict[str, str]]:
    """Status, body and headers, with the email typed and the form's time token (made each second) blanked."""
    body = re.sub(r'name="form_token" value="[^"]*"', 'name="form_token" value=""', response.text)
    return response.status_code, body.replace(email, "EMAIL"), dict(response.headers)


def stated_wait(response) -> int:
    if "retry-after" not in response.headers:
        return 0
    seconds = int(response.headers["retry-after"])
    assert re.search(rf"wait {seconds} seconds?\b", response.text), response.text
    return seconds


def thirty_wrong_passwords(app, email: str, clock: MovingClock | None) -> list:
    """Thirty wrong passwords, each from a client of its own (so no per-client limit answers them). With a clock
    that moves, each after the wait the previous answer stated, and an impatient retry before it."""
    answers = []
    for n in range(30):
        with TestClient(app, base_url="https://testserver", client=(f"198.51.100.{n + 1}", 40000)) as client:
            answer = attempt(client, email)
            answers.append(answer)
            wait = stated_wait(answer)
            if clock is not None and wait:
                answers.append(attempt(client, email))  # too soon: refused unchecked, with the wait left
                clock.now += timedelta(seconds=wait)
    return answers


def test_thirty_wrong_passwords_answer_alike_and_the_owner_gets_in_after_the_stated_wait(seeded):
    clock = MovingClock()
    app = create_app(seeded.settings, seeded.database)
    app.state.hotline.clock = clock
    known = seeded.logins["raytown"]
    assert len(known) == len(UNKNOWN)
    start = clock.now
    known_answers = thirty_wrong_passwords(app, known, clock)
    known_took = clock.now - start
    unknown_answers = thirty_wrong_passwords(app, UNKNOWN, clock)
    assert clock.now - start == 2 * known_took  # the same delays
    assert len(known_answers) == len(unknown_answers) == 30 + 28
    for mine, theirs in zip(known_answers, unknown_answers, strict=True):
        assert comparable(mine, known) == comparable(theirs, UNKNOWN)
    statuses = {answer.status_code for answer in known_answers}
    assert statuses == {400, 429} and "wait 30 seconds" in known_answers[-2].text
    # The last answer stated a wait; after exactly that long, from yet another client, the owner is in.
    waited = stated_wait(known_answers[-2])
    clock.now += timedelta(seconds=waited)
    with TestClient(app, base_url="https://testserver", client=("192.0.2.200", 40000)) as owner:
        secret = TOTP_SECRETS[known]
        code = totp.code_for_step(base64.b32decode(secret + "=" * (-len(secret) % 8)), totp.step_at(clock.now))
        signed_in = attempt(owner, known, PASSWORD, code)
        assert signed_in.status_code == 303 and signed_in.headers["location"] == "/review/home", signed_in.text
    with seeded.database.read() as session:
        entries = session.exec(select(AuditEntry).where(AuditEntry.action == "reviewer.sign_in_delayed")).all()
    assert len(entries) == 28 and all(entry.subject.startswith("reviewer:") for entry in entries)


def test_in_real_time_with_the_default_settings(seeded):
    """Thirty wrong passwords as fast as they go (most refused unchecked), then the owner waits what the last
    answer said, in real time, and signs in from another client."""
    app = create_app(seeded.settings, seeded.database)
    known = seeded.logins["raytown"]
    answers = thirty_wrong_passwords(app, known, None)
    assert [answer.status_code for answer in answers[:3]] == [400, 400, 400]
    last = answers[-1]
    waited = stated_wait(last)
    assert 1 <= waited <= seeded.settings.sign_in_max_delay_seconds
    time.sleep(waited)
    with TestClient(app, base_url="https://testserver", client=("192.0.2.201", 40000)) as owner:
        signed_in = attempt(owner, known, PASSWORD, totp_code(TOTP_SECRETS[known]))
    assert signed_in.status_code == 303 and signed_in.headers["location"] == "/review/home", signed_in.text
