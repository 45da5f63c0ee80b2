"""The basic web flow, through the real app: report, key, follow-up, reviewer reading and replying."""

import re

from sqlmodel import select

from intake.models import AuditEntry, Case, CaseItem
from tests.hotline.conftest import hidden, sign_in, submit_report


def test_city_list_links_every_city(client):
    page = client.get("/")
    assert page.status_code == 200
    assert 'href="/report/raytown"' in page.text and 'href="/report/grandview"' in page.text


def test_report_to_follow_up_to_reviewer_and_back(client, seeded):
    key = submit_report(client, "raytown", "Payroll padding in Public Works <b>bold</b>")
    assert len(key) == 20

    opened = client.post("/follow-up", data={"form_token": hidden(client.get("/follow-up").text, "form_token"),
                                             "report_key": " ".join(key[i:i + 4] for i in range(0, 20, 4))})
    assert opened.status_code == 200
    assert "Payroll padding in Public Works &lt;b&gt;bold&lt;/b&gt;" in opened.text  # escaped, not rendered

    assert sign_in(client, seeded.logins["raytown"]).status_code == 200
    inbox = client.get("/review/")
    case_path = re.search(r'href="(/review/cases/[0-9a-f]{32})"', inbox.text).group(1)
    case = client.get(case_path)
    assert "Payroll padding in Public Works" in case.text
    reply = client.post(case_path + "/reply", data={"csrf_token": hidden(case.text, "csrf_token"),
                                                    "reply": "Thank you. Which department?"})
    assert reply.status_code == 200 and "Your reply was sent" in reply.text

    again = client.post("/follow-up", data={"form_token": hidden(client.get("/follow-up").text, "form_token"),
                                            "report_key": key})
    assert "Thank you. Which department?" in again.text
    added = client.post("/follow-up/message", data={"access_token": hidden(again.text, "access_token"),
                                                    "message": "Streets department."})
    assert added.status_code == 200 and "Your message was sent" in added.text
    assert "Streets department." in client.get(case_path).text


def test_grandview_reviewer_gets_not_found_for_a_raytown_case_and_it_is_audited(client, other_client, seeded):
    submit_report(client, "raytown", "Something about Raytown")
    sign_in(client, seeded.logins["raytown"])
    case_path = re.search(r'href="(/review/cases/[0-9a-f]{32})"', client.get("/review/").text).group(1)

    sign_in(other_client, seeded.logins["grandview"])
    assert "Something about Raytown" not in other_client.get("/review/").text
    denied = other_client.get(case_path)
    assert denied.status_code == 404 and "Something about Raytown" not in denied.text
    with seeded.database.read() as session:
        entries = session.exec(select(AuditEntry).where(AuditEntry.action == "case.access_denied")).all()
    assert [entry.subject for entry in entries] == [case_path.rsplit("/", 1)[1]]


def test_unknown_city_is_a_404_page(client):
    for path in ("/report/atlantis", "/report/..%2f..%2fetc"):
        response = client.get(path)
        assert response.status_code == 404 and "Page not found" in response.text
    form = client.get("/report/raytown?category=safety")
    response = client.post("/report/atlantis", data={"form_token": hidden(form.text, "form_token"),
                                                     "category": "safety", "narrative": "x"})
    assert response.status_code == 404


def count_cases(seeded) -> int:
    with seeded.database.read() as session:
        return len(session.exec(select(Case)).all()) + len(session.exec(select(CaseItem)).all())


def test_empty_or_overlong_narrative_gives_the_form_again_and_stores_nothing(client, seeded):
    token = hidden(client.get("/report/raytown?category=safety").text, "form_token")
    for narrative, message in (("", "cannot be empty"), ("  \n ", "cannot be empty"),
                               ("x" * 50_001, "too long"), ("nul\x00byte", "control characters")):
        response = client.post("/report/raytown", data={"form_token": token, "category": "safety",
                                                        "narrative": narrative})
        assert response.status_code == 400
        assert message in response.text
        assert 'name="narrative"' in response.text
    assert count_cases(seeded) == 0


def test_missing_or_forged_csrf_token_is_403_and_stores_nothing(client, seeded):
    for data in ({"category": "safety", "narrative": "x"},
                 {"form_token": "1.forged", "category": "safety", "narrative": "x"},
                 {"form_token": "", "category": "safety", "narrative": "x"}):
        assert client.post("/report/raytown", data=data).status_code == 403
    assert client.post("/follow-up", data={"report_key": "1" * 20}).status_code == 403
    assert client.post("/follow-up/message", data={"access_token": "x", "message": "hi"}).status_code == 403
    assert count_cases(seeded) == 0


def test_malformed_key_gets_the_same_answer_as_a_wrong_one(client, seeded):
    submit_report(client, "raytown", "x")
    answers = set()
    for key in ("1" * 20, "12", "not a key at all", "<script>", "9" * 400):
        token = hidden(client.get("/follow-up").text, "form_token")
        response = client.post("/follow-up", data={"form_token": token, "report_key": key})
        answers.add((response.status_code, re.sub(r'value="[^"]*"', "", response.text)))
    assert len(answers) == 1


def test_report_key_checks_are_throttled(client):
    token = hidden(client.get("/follow-up").text, "form_token")
    statuses = [client.post("/follow-up", data={"form_token": token, "report_key": "1" * 20}).status_code
                for _ in range(12)]
    assert statuses[:10] == [400] * 10
    assert statuses[10:] == [429, 429]


def test_invalid_utf8_and_junk_bodies_are_4xx_not_500(client, seeded):
    token = hidden(client.get("/report/raytown?category=safety").text, "form_token")
    bodies = [
        b"form_token=" + token.encode() + b"&category=safety&narrative=%FF%FE%00",
        b"\xff\xfe\x00garbage",
        b"form_token=" + token.encode() + b"&category=safety&narrative=" + b"x" * (3 * 1024 * 1024),
    ]
    for body in bodies:
        response = client.post("/report/raytown", content=body,
                               headers={"content-type": "application/x-www-form-urlencoded"})
        assert 400 <= response.status_code < 500, (response.status_code, body[:40])
    assert count_cases(seeded) == 0
