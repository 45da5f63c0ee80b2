"""Joining a city by invitation (docs/design.md#joining-a-city-by-invitation): an admin's answer is the same
whether the email has an account in another city or not, no form checks another account's password, the owner
of an existing account accepts while signed in and then reads the city's cases, a new person joins with the code,
and every invitation, acceptance, refusal and withdrawal is in the city's audit log."""

from __future__ import annotations

import re
from pathlib import Path

from sqlmodel import select
from starlette.testclient import TestClient

from hotline.app import create_app
from intake.accounts.reviewers import add_reviewer
from intake.cities import find_city, open_city_key_with_recovery_key
from intake.models import AuditEntry, City
from tests.hotline.conftest import PASSWORD, enrol, hidden, sign_in, submit_report

TEMPLATES = Path(__file__).resolve().parents[4] / "hotline" / "templates"
GRANDVIEW_REVIEWER = "ethics@grandview.example"  # has an account, in Grandview only
NEWCOMER = "newcomer@raytown.example"  # has none
NOBODY = "ethicz@grandview.example"  # has none either, and is as long as GRANDVIEW_REVIEWER


def browser(app) -> TestClient:
    return TestClient(app, base_url="https://testserver")


def make_admin(seeded) -> TestClient:
    key = open_city_key_with_recovery_key(find_city(seeded.database, "raytown"), seeded.recovery_keys["raytown"])
    add_reviewer(seeded.database, seeded.settings.intake_config(), city_slug="raytown", email="boss@raytown.example",
                 display_name="Boss", password=PASSWORD, role="admin", city_private_key=key, groups=["ethics"])
    enrol(seeded.database, seeded.settings, "boss@raytown.example")
    admin = browser(create_app(seeded.settings, seeded.database))
    assert sign_in(admin, "boss@raytown.example").status_code == 200
    return admin


def invite(admin: TestClient, email: str, name: str = "Invited Person", role: str = "reviewer"):
    token = hidden(admin.get("/review/admin").text, "csrf_token")
    return admin.post("/review/admin/invitations", data={"csrf_token": token, "email": email, "name": name,
                                                         "role": role})


def code_of(page: str) -> str:
    return re.search(r'id="invitation-code"><strong>([0-9A-Z-]+)<', page).group(1)


def withdraw(admin: TestClient, page: str):
    return admin.post("/review/admin/invitations/withdraw", data={"csrf_token": hidden(page, "csrf_token"),
                                                                  "invitation": hidden(page, "invitation")})


def blank(page: str, email: str, code: str) -> str:
    page = re.sub(r'name="form_token" value="[^"]*"', 'name="form_token" value=""', page)
    return page.replace(email, "EMAIL").replace(code, "CODE")


def comparable(page: str, email: str) -> str:
    page = re.sub(r'name="invitation" value="[0-9a-f]{32}"', 'name="invitation" value=""', page)
    return page.replace(email, "EMAIL").replace(code_of(page), "CODE")


def join(app, code: str, password: str):
    person = browser(app)
    step = person.post("/review/join", data={"form_token": hidden(person.get("/review/join").text, "form_token"),
                                             "code": code})
    assert step.status_code == 200, step.text
    return step, person.post("/review/join", data={"form_token": hidden(step.text, "form_token"), "code": code,
                                                    "password": password, "password_again": password})


def audit_actions(seeded, city: str) -> list[str]:
    with seeded.database.read() as session:
        city_id = session.exec(select(City.id).where(City.slug == city)).one()
        return [entry.action for entry in session.exec(select(AuditEntry).where(AuditEntry.city_id == city_id)
                                                       .order_by(AuditEntry.sequence)).all()]


def test_the_admin_is_answered_alike_for_an_existing_account_and_a_new_email(seeded):
    admin = make_admin(seeded)
    existing = invite(admin, GRANDVIEW_REVIEWER)
    withdraw(admin, existing.text)  # so both pages list one open invitation
    new = invite(admin, NOBODY)
    withdraw(admin, new.text)
    assert existing.status_code == new.status_code == 200
    assert comparable(existing.text, GRANDVIEW_REVIEWER) == comparable(new.text, NOBODY)
    assert dict(existing.headers) == dict(new.headers)
    existing, new = invite(admin, GRANDVIEW_REVIEWER), invite(admin, NOBODY)
    # The join page, with either code and any password, answers alike too, and the existing account's password
    # is untouched.
    app = admin.app
    existing_step, existing_done = join(app, code_of(existing.text), "a password the admin chose")
    new_step, new_done = join(app, code_of(new.text), "a password the admin chose")
    assert existing_done.status_code == new_done.status_code == 200
    assert existing_done.text.replace(GRANDVIEW_REVIEWER, "EMAIL") == new_done.text.replace(NOBODY, "EMAIL")
    assert (blank(existing_step.text, GRANDVIEW_REVIEWER, code_of(existing.text))
            == blank(new_step.text, NOBODY, code_of(new.text)))
    assert sign_in(browser(app), GRANDVIEW_REVIEWER).status_code == 200  # its own password still works
    failed = sign_in(browser(app), GRANDVIEW_REVIEWER, password="a password the admin chose")
    assert failed.status_code == 400
    # Both invitations were audited the same way, naming no account.
    with seeded.database.read() as session:
        invited = session.exec(select(AuditEntry).where(AuditEntry.action == "reviewer.invited")).all()
    assert [entry.detail for entry in invited] == ['{"role":"reviewer"}'] * 4
    assert all(entry.subject.startswith("invitation:") for entry in invited)


def test_no_form_asks_for_another_accounts_password():
    """The only password fields: signing in (your own), unlocking your own keys after single sign-on, changing your
    own, choosing one when joining, and the new password an admin sets when restoring a reviewer's access with the
    recovery key (it checks nothing)."""
    found = {}
    for template in TEMPLATES.rglob("*.html"):
        names = re.findall(r'<input[^>]*type="password"[^>]*name="([\w-]+)"|<input[^>]*name="([\w-]+)"[^>]*'
                           r'type="password"', template.read_text())
        fields = {a or b for a, b in names}
        if fields:
            found[str(template.relative_to(TEMPLATES))] = fields
    assert found == {"reporter/follow_up.html": {"report_key"}, "reviewer/sign_in.html": {"password"},
                     "reviewer/account.html": {"current_password", "new_password", "new_password_again"},
                     "reviewer/join.html": {"password", "password_again"}, "reviewer/unlock.html": {"password"},
                     "reviewer/admin/index.html": {"recovery_key", "new_password"}}, found


def test_an_existing_account_accepts_while_signed_in_and_then_reads_the_citys_cases(seeded):
    admin = make_admin(seeded)
    app = admin.app
    submit_report(browser(app), "raytown", "Marker-invited-reads-this", category="safety")
    invite(admin, GRANDVIEW_REVIEWER, role="reviewer")
    owner = browser(app)
    assert sign_in(owner, GRANDVIEW_REVIEWER).status_code == 200
    account = owner.get("/review/account")
    assert "Raytown invites you to join as reviewer" in account.text
    invitation = hidden(account.text, "invitation")
    accepted = owner.post("/review/account/invitations/accept", data={
        "csrf_token": hidden(account.text, "csrf_token"), "invitation": invitation})
    assert accepted.status_code == 200 and "You joined the city" in accepted.text
    assert "city key waits for their next sign-in" in admin.get("/review/admin").text
    again = browser(app)
    assert sign_in(again, GRANDVIEW_REVIEWER).status_code == 200
    switch = again.post("/review/city", data={"csrf_token": hidden(again.get("/review/account").text, "csrf_token"),
                                              "city": "raytown"})
    assert switch.status_code == 200
    inbox = again.get("/review/")
    case = re.search(r'href="(/review/cases/[0-9a-f]{32})"', inbox.text).group(1)
    assert "Marker-invited-reads-this" in again.get(case).text
    # Used: the invitation is gone; another try is a plain refusal.
    reused = owner.post("/review/account/invitations/accept", data={
        "csrf_token": hidden(account.text, "csrf_token"), "invitation": invitation})
    assert reused.status_code in (303, 400)
    assert audit_actions(seeded, "raytown").count("reviewer.invitation_accepted") == 1
    assert "key.grant_taken" in audit_actions(seeded, "raytown")


def test_a_newcomer_joins_with_the_code_and_sets_up_two_step_sign_in(seeded):
    admin = make_admin(seeded)
    app = admin.app
    submit_report(browser(app), "raytown", "Marker-newcomer-reads-this", category="safety")
    made = invite(admin, NEWCOMER, name="New Comer")
    wrong_step = browser(app).post("/review/join", data={
        "form_token": hidden(browser(app).get("/review/join").text, "form_token"), "code": "0000-0000-0000-0000-0000"})
    assert wrong_step.status_code == 400 and "No open invitation has that code" in wrong_step.text
    step, done = join(app, code_of(made.text).lower().replace("-", " "), "the newcomer's own password")
    assert "New Comer" in step.text and NEWCOMER in step.text and "Raytown" in step.text
    assert done.status_code == 200 and "Done." in done.text
    newcomer = browser(app)
    enrolment = sign_in(newcomer, NEWCOMER, password="the newcomer's own password")
    assert enrolment.url.path == "/review/totp"
    assert audit_actions(seeded, "raytown")[-2:] == ["reviewer.invitation_accepted",
                                                     "reviewer.totp_enrolment_started"]
    person = browser(app)
    twice = person.post("/review/join", data={"form_token": hidden(person.get("/review/join").text, "form_token"),
                                              "code": code_of(made.text)})
    assert twice.status_code == 400 and "No open invitation has that code" in twice.text  # used up


def test_declining_and_withdrawing_are_audited_and_strangers_cannot_touch_an_invitation(seeded):
    admin = make_admin(seeded)
    app = admin.app
    invite(admin, GRANDVIEW_REVIEWER)
    owner = browser(app)
    sign_in(owner, GRANDVIEW_REVIEWER)
    account = owner.get("/review/account")
    invitation = hidden(account.text, "invitation")
    stranger = browser(app)
    sign_in(stranger, seeded.logins["raytown"])
    stolen = stranger.post("/review/account/invitations/accept", data={
        "csrf_token": hidden(stranger.get("/review/account").text, "csrf_token"), "invitation": invitation})
    assert stolen.status_code == 400 and "no longer open" in stolen.text
    declined = owner.post("/review/account/invitations/decline", data={
        "csrf_token": hidden(account.text, "csrf_token"), "invitation": invitation})
    assert declined.status_code == 200 and "declined" in declined.text
    made = invite(admin, NEWCOMER)
    withdrawn = withdraw(admin, made.text)
    assert withdrawn.status_code == 200 and "withdrawn" in withdrawn.text
    person = browser(app)
    used = person.post("/review/join", data={"form_token": hidden(person.get("/review/join").text, "form_token"),
                                             "code": code_of(made.text)})
    assert used.status_code == 400 and "No open invitation has that code" in used.text
    actions = audit_actions(seeded, "raytown")
    assert actions.count("reviewer.invited") == 2 and "reviewer.invitation_declined" in actions
    assert "reviewer.invitation_withdrawn" in actions
