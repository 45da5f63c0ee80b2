"""Exit interviews through the web: the survey by link and code, in both modes and languages, bad input, HR access,
suppressed analytics in tables, charts and CSV, publication and the regional view."""

from __future__ import annotations

import csv
import io
import logging
import re
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlmodel import select
from starlette.testclient import TestClient

from hotline.app import create_app
from intake.accounts.account import set_up_totp
from intake.models import AuditEntry, ExitResponse
from tests.hotline.conftest import PASSWORD, TOTP_SECRETS, make_settings, sign_in
from tests.hotline.web.exit.exit_helpers import add_exit_city, add_responses, hidden, make_exit_world
from tests.intake.exit.test_survey import read_everything

COMMENT = "Marker comment 3f9a"


@pytest.fixture
def world(database):
    settings = make_settings(database.url)
    make_exit_world(database, settings.intake_config())
    return settings


def browser(settings, database) -> TestClient:
    return TestClient(create_app(settings, database), base_url="https://testserver", raise_server_exceptions=False)


@pytest.fixture
def hr(world, database) -> Iterator[TestClient]:
    with browser(world, database) as client:
        assert sign_in(client, "hr@raytown.example").status_code == 200
        yield client


@pytest.fixture
def employee(world, database) -> Iterator[TestClient]:
    with browser(world, database) as client:
        yield client


def make_invitation(hr: TestClient, last_day: str | None = None) -> tuple[str, str]:
    page = hr.get("/review/exit/raytown")
    day = last_day or datetime.now(UTC).date().isoformat()
    response = hr.post("/review/exit/raytown/invitations", data={
        "csrf_token": hidden(page.text, "csrf_token"), "department": "parks", "separation_type": "voluntary",
        "last_day": day})
    assert response.status_code == 200, response.text
    link = re.search(r'id="invitation-link">[^<]*(/exit/i/[^<]+)<', response.text).group(1)
    code = re.search(r'id="invitation-code"><strong>([^<]+)<', response.text).group(1)
    return link, code


def answer(employee: TestClient, page: str, fields: dict[str, str], lang: str | None = None):
    data = {name: hidden(page, name) for name in ("form_token", "credential", "questionnaire", "lang")}
    if lang:
        data["lang"] = lang
    return employee.post("/exit/answer", data={**data, **fields})


GOOD = {"q_rating_pay": "2", "q_recommend": "8", "q_comments": COMMENT, "q_main_reason": "pay"}


def test_an_invited_employee_answers_once_and_nothing_ties_it_to_the_invitation(hr, employee, database, caplog):
    caplog.set_level(logging.DEBUG)
    link, code = make_invitation(hr)
    page = employee.get(link)
    assert page.status_code == 200 and "This survey is anonymous" in page.text
    # The mode is said before the first question.
    assert page.text.index("This survey is anonymous") < page.text.index("<fieldset")
    assert "set-cookie" not in page.headers and "<script" not in page.text.lower()
    done = answer(employee, page.text, GOOD)
    assert done.status_code == 200 and "Thank you" in done.text
    again = employee.get(link)
    assert again.status_code == 409 and "already used" in again.text
    assert "hr@" not in again.text and "Raytown HR" not in again.text
    by_code = employee.post("/exit/code", data={"form_token": hidden(employee.get("/exit").text, "form_token"),
                                                "code": code})
    assert by_code.status_code == 409
    tables = read_everything(database)
    (response,) = tables["exit_response"]
    (invitation,) = tables["exit_invitation"]
    assert response["invitation_id"] is None and len(response["period"]) == 7
    assert invitation["status"] == "completed"
    for entry in tables["audit_entry"]:
        assert response["id"] not in str(entry.values())
        assert not (entry["subject"] == invitation["id"] and entry["action"] != "exit.invitation_created")
    token = link.rsplit("/", 1)[1]
    # Every log line the server wrote (the test's own HTTP client logs the URLs it calls; that is not the server).
    server = [record for record in caplog.records if not record.name.startswith("httpx")]
    assert any(record.name == "hotline.access" for record in server)
    logged = "\n".join(record.getMessage() + repr(getattr(record, "fields", "")) for record in server)
    for secret in (token, code, code.replace("-", ""), invitation["id"], response["id"], COMMENT):
        assert secret not in logged


def test_the_code_works_like_the_link_and_spanish_is_chosen_in_the_url(hr, employee, database):
    _link, code = make_invitation(hr)
    start = employee.get("/exit?lang=es")
    assert "Su código" in start.text and '<html lang="es">' in start.text
    page = employee.post("/exit/code", data={"form_token": hidden(start.text, "form_token"), "lang": "es",
                                             "code": code.lower()})
    assert page.status_code == 200 and "Esta encuesta es anónima" in page.text
    assert "¿Cuánto tiempo trabajó para la ciudad?" in page.text
    problem = answer(employee, page.text, {"q_rating_pay": "9"})
    assert problem.status_code == 400 and "Elija un número del 1 al 5" in problem.text
    done = answer(employee, problem.text, {"q_rating_pay": "4"})
    assert done.status_code == 200 and "Gracias" in done.text
    assert "set-cookie" not in done.headers


@pytest.mark.parametrize(("fields", "named"), [
    ({"q_rating_supervisor": "7"}, "Choose a number from 1 to 5"),
    ({"q_recommend": "12"}, "Choose a number from 0 to 10"),
    ({"q_salary_expectation": "lots"}, "questions this questionnaire does not ask"),
    ({"questionnaire": "99999"}, "This questionnaire was changed"),
])
def test_bad_answers_show_the_form_again_with_the_problem_named(hr, employee, database, fields, named):
    link, _code = make_invitation(hr)
    page = employee.get(link)
    response = answer(employee, page.text, {**GOOD, **fields})
    assert response.status_code == 400 and named in response.text
    assert COMMENT in response.text  # what was typed is kept in the form
    with database.read() as session:
        assert session.exec(select(ExitResponse)).all() == []
    assert employee.get(link).status_code == 200  # the invitation still works


def test_unknown_and_expired_invitations_get_a_plain_page_and_store_nothing(hr, employee, database):
    long_ago = datetime.now(UTC).date().toordinal() - 40
    link, _code = make_invitation(hr, last_day=datetime.fromordinal(long_ago).date().isoformat())
    with database.read() as session:
        before = len(session.exec(select(AuditEntry)).all())
    expired = employee.get(link)
    assert expired.status_code == 410 and "expired" in expired.text and "<form" not in expired.text.split("<main")[1]
    unknown = employee.get("/exit/i/not-a-real-token")
    assert unknown.status_code == 404 and "not known" in unknown.text
    bad_code = employee.post("/exit/code", data={"form_token": hidden(employee.get("/exit").text, "form_token"),
                                                 "code": "nope"})
    assert bad_code.status_code == 400 and "not known" in bad_code.text
    with database.read() as session:
        assert len(session.exec(select(AuditEntry)).all()) == before
        assert session.exec(select(ExitResponse)).all() == []


def test_a_forged_form_is_refused(employee):
    assert employee.post("/exit/answer", data={"credential": "token:x", "form_token": "1.x"}).status_code == 403


HR_PAGES = ["/review/exit/raytown", "/review/exit/raytown/analytics", "/review/exit/raytown/analytics.csv",
            "/review/exit/raytown/responses", "/review/exit/raytown/responses/0123456789abcdef0123456789abcdef"]


@pytest.mark.parametrize("email", ["hr@grandview.example", "ethics@raytown.example", "coordinator@marc.example"])
def test_other_cities_hr_and_reviewers_outside_hr_get_not_found(world, database, email):
    add_responses(database, world.intake_config(), "raytown", [{"comments": COMMENT}] * 12)
    with browser(world, database) as client:
        sign_in(client, email)
        for path in HR_PAGES:
            response = client.get(path)
            assert response.status_code == 404, path
            assert COMMENT not in response.text
            assert "Raytown" not in response.text.split("<main")[1].split("</main>")[0]  # the frame lists every city
        token = hidden(client.get("/review/sign-in").text, "form_token")
        assert client.post("/review/exit/raytown/publish", data={"csrf_token": token}).status_code in (403, 404)
    with database.read() as session:
        denied = session.exec(select(AuditEntry).where(AuditEntry.action == "exit.access_denied")).all()
    if email != "coordinator@marc.example":  # an auditor is turned away by its role before any lookup
        assert len(denied) >= len(HR_PAGES)


def test_hr_posts_need_the_session_csrf_token(hr):
    response = hr.post("/review/exit/raytown/invitations", data={"department": "parks",
                                                                 "separation_type": "voluntary",
                                                                 "last_day": "2026-01-01"})
    assert response.status_code == 403


def department_people() -> list[dict[str, str]]:
    """A quarter with a department of 4 leavers (parks) among larger ones."""
    people = []
    for department, count in (("parks", 4), ("public_works", 11), ("administration", 8), ("public_safety", 7)):
        for index in range(count):
            people.append({"department": department, "tenure_band": ("under_1", "1_to_5", "over_10")[index % 3],
                           "rating_pay": str(1 + (index * 7 + count) % 5), "recommend": str((index * 3) % 11),
                           "main_reason": ("pay", "supervisor", "another_job")[index % 3],
                           "comments": f"{COMMENT} {department} {index}"})
    return people


def parse_csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_a_department_of_four_reads_fewer_than_5_everywhere_and_cannot_be_recovered(hr, world, database):
    from tests.intake.disclosure.attacker import feasible_values

    add_responses(database, world.intake_config(), "raytown", department_people(), month=(2026, 2))
    page = hr.get("/review/exit/raytown/analytics?quarter=2026-Q1")
    assert page.status_code == 200
    parks_row = re.search(r"<th scope=\"row\">Parks and recreation</th><td[^>]*>([^<]+)</td>", page.text)
    assert parks_row.group(1) == "fewer than 5"
    chart = re.search(r'<svg[^>]*id="chart-department".*?</svg>', page.text, re.DOTALL).group(0)
    assert "Parks and recreation: fewer than 5" in chart
    split = hr.get("/review/exit/raytown/analytics?quarter=2026-Q1&split=department").text
    for row in re.findall(r"<th scope=\"row\">Parks and recreation</th>(.*?)</tr>", split, re.DOTALL):
        cells = re.findall(r"<td[^>]*>([^<]+)</td>", row)
        assert all(not cell.strip().isdigit() for cell in cells), cells  # nothing of Parks is shown as a number
        assert "fewer than 5" in cells[-2] or "fewer than 5" in cells[-1]
    rows = parse_csv(hr.get("/review/exit/raytown/analytics.csv?quarter=2026-Q1").text)
    # The findings first, and each of their figures is one the tables show (or a share of two that they show).
    summary = re.search(r'<ul class="findings">(.*?)</ul>', page.text, re.DOTALL).group(1)
    assert page.text.index('class="findings"') < page.text.index("<table")
    assert "people answered in 2026-Q1" in summary and "Parks and recreation" not in summary
    shown = {r["figure"] for r in rows if r["figure"].isdigit()}
    for table in re.findall(r'<table class="figures" id="table-(?!reasons|trend).*?</table>', page.text, re.DOTALL):
        figures = re.findall(r'<td(?! class="hidden-cell")[^>]*>(\d+)</td>', table.split("All responses")[0])
        assert figures, "a table with no visible figure should have been one line in the findings"
    assert "Not shown, because every figure in them is under 5" in summary
    for figure in re.findall(r"(?<![\d.+-])\d+(?![\d%.])", re.sub(r"\d{4}-Q\d|of 5", "", summary)):
        assert figure in shown, figure
    parks = [r for r in rows if r["row"] == "Parks and recreation" or r["column"] == "Parks and recreation"]
    assert parks and all(not r["figure"].isdigit() for r in parks)
    assert all(r["figure"] == "fewer than 5" for r in parks if r["column"] in ("Parks and recreation", "total"))
    # No combination of the published figures gives the 4 back: every table, margins included, checked by an
    # attacker who enumerates every table consistent with what the CSV shows.
    total = int(next(r["figure"] for r in rows if r["table"] == "responses"))
    tables: dict[str, list[dict[str, str]]] = {}
    for r in rows:
        if r["table"] != "responses":
            tables.setdefault(r["table"], []).append(r)
    department_table = "Which part of the city did you work in?"
    departments = [r for r in tables[department_table] if r["row"] == "all"]
    grid = [[int(r["figure"]) if r["figure"].isdigit() else None for r in departments] + [total]]
    small = {(0, j) for j, r in enumerate(departments) if r["figure"].startswith("fewer")}
    grid.append([None] * len(grid[0]))
    feasible = feasible_values(grid, small, 5, total, column_equations=False)
    parks_index = [r["column"] for r in departments].index("Parks and recreation")
    assert len(feasible[(0, parks_index)]) > 1
    for name, table_rows in tables.items():
        if " by department" not in name:
            continue
        measure_title = name.rsplit(" by ", 1)[0]
        measure = [r for r in tables[measure_title] if r["row"] == "all" and r["column"] not in (
            "mean", "recommend score")]
        labels = [r["column"] for r in measure]
        row_labels = [r["column"] for r in departments]
        cells = {(r["row"], r["column"]): r["figure"] for r in table_rows}
        two_way: list[list[int | None]] = []
        small2 = set()
        for i, row_label in enumerate(row_labels):
            line = []
            for j, label in enumerate(labels):
                figure = cells[(row_label, label)]
                line.append(int(figure) if figure.isdigit() else None)
                if figure.startswith("fewer"):
                    small2.add((i, j))
            figure = cells[(row_label, "total")]
            line.append(int(figure) if figure.isdigit() else None)
            if figure.startswith("fewer"):
                small2.add((i, len(labels)))
            two_way.append(line)
        margin = [int(r["figure"]) if r["figure"].isdigit() else None for r in measure] + [total]
        small2 |= {(len(row_labels), j) for j, r in enumerate(measure) if r["figure"].startswith("fewer")}
        two_way.append(margin)
        hidden_count = sum(v is None for line in two_way for v in line)
        if hidden_count > 16:
            continue  # brute force too slow here; the exact check covers it in tests/intake
        feasible = feasible_values(two_way, small2, 5, total)
        assert len(feasible[(parks_index, len(labels))]) > 1, name


def test_comments_only_for_ten_or_more_and_the_open_quarter_is_not_shown(hr, world, database):
    config = world.intake_config()
    add_responses(database, config, "raytown", [{"comments": f"{COMMENT} few"}] * 9, month=(2025, 11))
    add_responses(database, config, "raytown", [{"comments": f"{COMMENT} many"}] * 10, month=(2026, 2), seed=2)
    add_responses(database, config, "raytown", [{"comments": f"{COMMENT} now"}] * 10,
                  month=(datetime.now(UTC).year, datetime.now(UTC).month), seed=3)
    few = hr.get("/review/exit/raytown/analytics?quarter=2025-Q4").text
    assert f"{COMMENT} few" not in few and "at least 10 responses" in few
    many = hr.get("/review/exit/raytown/analytics?quarter=2026-Q1").text
    assert many.count(f"{COMMENT} many") == 10
    assert f"{COMMENT} now" not in many and "will be shown when the quarter ends" in many
    assert f"{COMMENT}" not in hr.get("/review/exit/raytown/analytics.csv?quarter=2026-Q1").text


def test_publishing_a_quarter_and_the_regional_view(world, database):
    config = world.intake_config()
    add_responses(database, config, "raytown", department_people(), month=(2026, 2))
    add_responses(database, config, "grandview", [{"department": "parks", "rating_pay": "5"}] * 6,
                  month=(2026, 3), seed=4)
    with browser(world, database) as coordinator:
        sign_in(coordinator, "coordinator@marc.example")
        assert "No city has published" in coordinator.get("/review/exit-regional").text
        with browser(world, database) as raytown:
            sign_in(raytown, "hr@raytown.example")
            page = raytown.get("/review/exit/raytown/analytics?quarter=2026-Q1").text
            # The first post is a second look: exactly the tables the coordinator will see, nothing published yet.
            preview = raytown.post("/review/exit/raytown/publish?quarter=2026-Q1",
                                   data={"csrf_token": hidden(page, "csrf_token"), "quarter": "2026-Q1"})
            assert preview.status_code == 200 and "What the partnership will see" in preview.text
            assert "No city has published" in coordinator.get("/review/exit-regional").text
            previewed = re.findall(r'<table class="figures".*?</table>', preview.text, re.DOTALL)
            assert previewed and COMMENT not in preview.text
            published = raytown.post("/review/exit/raytown/publish?quarter=2026-Q1",
                                     data={"csrf_token": hidden(page, "csrf_token"), "quarter": "2026-Q1",
                                           "confirm": "1"})
            assert published.status_code == 200 and "was published" in published.text
            again = raytown.post("/review/exit/raytown/publish?quarter=2026-Q1",
                                 data={"csrf_token": hidden(page, "csrf_token"), "quarter": "2026-Q1"})
            assert again.status_code == 400
        view = coordinator.get("/review/exit-regional?quarter=2026-Q1").text
        assert "Raytown" in view and "Not published by: Grandview" in view
        # What HR previewed is what the coordinator sees of Raytown, table for table.
        assert previewed == re.findall(r'<table class="figures".*?</table>', view, re.DOTALL)
        parks = re.search(r"<caption[^>]*>Which part of the city did you work in\? \(Raytown\)</caption>.*?</table>",
                          view,
                          re.DOTALL).group(0)
        assert re.search(r"<th scope=\"row\">Raytown</th>", parks)
        assert "fewer than 5" in parks
        assert COMMENT not in view
        with browser(world, database) as grandview:
            sign_in(grandview, "hr@grandview.example")
            page = grandview.get("/review/exit/grandview/analytics?quarter=2026-Q1").text
            grandview.post("/review/exit/grandview/publish?quarter=2026-Q1",
                           data={"csrf_token": hidden(page, "csrf_token"), "quarter": "2026-Q1", "confirm": "1"})
        view = coordinator.get("/review/exit-regional?quarter=2026-Q1").text
        # Two cities are not a region: each city's row is shown, no regional figure at all.
        assert "<th scope=\"row\">Region</th>" not in view and "need at least 3 publishing cities, and 2" in view
        add_exit_city(database, config, "independence")
        TOTP_SECRETS["hr@independence.example"] = set_up_totp(database, config, "hr@independence.example", PASSWORD)
        add_responses(database, config, "independence", [{"department": "parks", "rating_pay": "4"}] * 7,
                      month=(2026, 1), seed=5)
        with browser(world, database) as independence:
            sign_in(independence, "hr@independence.example")
            page = independence.get("/review/exit/independence/analytics?quarter=2026-Q1").text
            assert "7 people answered in 2026-Q1." in page
            independence.post("/review/exit/independence/publish?quarter=2026-Q1",
                              data={"csrf_token": hidden(page, "csrf_token"), "quarter": "2026-Q1", "confirm": "1"})
        view = coordinator.get("/review/exit-regional?quarter=2026-Q1").text
        assert "Regional figures combine Grandview, Independence, Raytown." in view
        pay = re.search(r'<table class="figures" id="regional-rating_pay">.*?</table>', view, re.DOTALL).group(0)
        region = re.search(r"<th scope=\"row\">Region</th>(.*?)</tr>", pay, re.DOTALL).group(1)
        grand = re.search(r"<th scope=\"row\">Grandview</th>(.*?)</tr>", pay, re.DOTALL).group(1)
        # Grandview's "5" column is 6 and its other ratings are fewer than 5: wherever a city hides a figure
        # the region withholds it too, so region minus the visible city never gives the hidden one.
        for city_cell, region_cell in zip(re.findall(r"<td[^>]*>([^<]+)</td>", grand),
                                          re.findall(r"<td[^>]*>([^<]+)</td>", region), strict=True):
            if not city_cell.isdigit():
                assert not region_cell.isdigit()
    with browser(world, database) as outsider:
        sign_in(outsider, "hr@raytown.example")
        assert outsider.get("/review/exit-regional").status_code == 404


def test_the_uninvited_link_is_rate_limited(hr, employee, database):
    page = hr.get("/review/exit/raytown")
    hr.post("/review/exit/raytown/settings", data={"csrf_token": hidden(page.text, "csrf_token"),
                                                   "mode": "anonymous", "threshold": "5", "invitation_days": "30",
                                                   "open_link": "on"})
    link = re.search(r'id="open-link">[^<]*(/exit/open/[^<]+)<', hr.get("/review/exit/raytown").text).group(1)
    statuses = []
    for _ in range(6):
        form = employee.get(link)
        statuses.append(answer(employee, form.text, {"q_rating_pay": "3"}).status_code)
    assert statuses == [200] * 5 + [429]
    with database.read() as session:
        assert len(session.exec(select(ExitResponse)).all()) == 5


def test_confidential_mode_says_so_first_and_hr_reads_the_answers(hr, employee, database):
    page = hr.get("/review/exit/raytown")
    hr.post("/review/exit/raytown/settings", data={"csrf_token": hidden(page.text, "csrf_token"),
                                                   "mode": "confidential", "threshold": "5",
                                                   "invitation_days": "30"})
    link, _code = make_invitation(hr)
    form = employee.get(link + "?lang=es")
    assert form.text.index("Esta encuesta es confidencial") < form.text.index("<fieldset")
    answer(employee, form.text, GOOD)
    listing = hr.get("/review/exit/raytown/responses").text
    path = re.search(r'href="(/review/exit/raytown/responses/[0-9a-f]{32})"', listing).group(1)
    assert COMMENT in hr.get(path).text
