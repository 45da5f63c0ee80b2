"""Junk cannot close a city's form (docs/design.md#limits-an-attacker-cannot-turn-against-users): a thousand posts
that fail validation, from a hundred clients, leave the city's cap untouched, so a valid report from another client
goes through; the cap counts valid reports only, and one client's junk is limited per client."""

from __future__ import annotations

import dataclasses
import time

from sqlmodel import func, select
from starlette.testclient import TestClient

from hotline.app import create_app
from hotline.form_tokens import issue_public_form_token
from intake.models import Case
from tests.hotline.conftest import hidden

JUNK = [
    {"category": "not-a-category", "narrative": "x"},
    {"category": "safety", "narrative": ""},
    {"category": "safety", "narrative": "x", "website": "http://spam.example"},  # the honeypot
    {"category": "safety", "narrative": "x", "exclude": "nope"},
    {"category": "safety", "narrative": "x" * 60_000},  # over the narrative limit
]


def cases(seeded) -> int:
    with seeded.database.read() as session:
        return session.exec(select(func.count()).select_from(Case)).one()


def test_a_thousand_invalid_posts_from_many_clients_do_not_stop_a_valid_report(seeded):
    settings = dataclasses.replace(seeded.settings, reports_per_city_per_hour=5)
    app = create_app(settings, seeded.database)
    token = issue_public_form_token(settings.session_key, time.time())
    statuses = []
    for n in range(1000):
        client = TestClient(app, base_url="https://testserver", client=(f"203.0.113.{n % 100 + 1}", 40000))
        forged = {"form_token": "forged"} if n % 7 == 0 else {"form_token": token}
        statuses.append(client.post("/report/raytown", data={**JUNK[n % len(JUNK)], **forged}).status_code)
    assert 500 not in statuses and 200 not in statuses and cases(seeded) == 0
    honest = TestClient(app, base_url="https://testserver", client=("198.51.100.9", 40000))
    form = honest.get("/report/raytown?category=safety")
    sent = honest.post("/report/raytown", data={"form_token": hidden(form.text, "form_token"), "category": "safety",
                                                "narrative": "A valid report after the flood."})
    assert sent.status_code == 200 and "report-key" in sent.text and cases(seeded) == 1


def test_the_citys_cap_counts_valid_reports_and_junk_is_limited_per_client(seeded):
    settings = dataclasses.replace(seeded.settings, reports_per_city_per_hour=2,
                                   refused_posts_per_client_per_10_minutes=3)
    app = create_app(settings, seeded.database)
    token = issue_public_form_token(settings.session_key, time.time())
    junker = TestClient(app, base_url="https://testserver", client=("203.0.113.50", 40000))
    answers = [junker.post("/report/raytown", data={"form_token": token, **JUNK[1]}).status_code for _ in range(5)]
    assert answers == [400, 400, 400, 429, 429]
    limited = junker.post("/report/raytown", data={"form_token": token, "category": "safety", "narrative": "real"})
    assert limited.status_code == 429 and limited.headers["retry-after"]  # this client only
    for n in range(3):
        other = TestClient(app, base_url="https://testserver", client=(f"198.51.100.{n + 20}", 40000))
        sent = other.post("/report/raytown", data={"form_token": token, "category": "safety",
                                                   "narrative": f"valid report {n}"})
        assert sent.status_code == (200 if n < 2 else 429), sent.text
    assert cases(seeded) == 2
