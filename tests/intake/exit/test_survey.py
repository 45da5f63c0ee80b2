"""Invitations, the survey, sealed answers, modes, HR access and versioned questionnaires."""

from __future__ import annotations

import json

import pytest
import sqlalchemy
from sqlmodel import select

from intake.errors import InvalidInput, NotFound
from intake.exit import hr as exit_hr
from intake.exit.questionnaire import DEFAULT_DEFINITION, parse_definition
from intake.exit.responses import list_confidential, read_confidential
from intake.exit.survey import (
    Credential,
    InvitationExpired,
    InvitationUnknown,
    InvitationUsed,
    code_credential,
    open_survey,
    submit_survey,
)
from intake.models import AuditEntry, ExitInvitation, ExitQuestionnaire, ExitResponse
from intake.operations.retention import run_retention, set_rule
from tests.intake.exit.exit_fixtures import at, make_city, session_for

ANSWERS = {"q_rating_pay": ["2"], "q_recommend": ["9"], "q_main_reason": ["pay"], "q_other_reasons": ["workload"],
           "q_comments": ["Marker comment 7d1e"], "q_tenure_band": ["1_to_5"], "q_department": ["parks"]}


@pytest.fixture
def raytown(database, config):
    city = make_city(database, config, "raytown")
    return city, exit_hr.hr_access(database, session_for(database, config, "hr@raytown.example"), "raytown")


def invite(database, config, hr, *, last_day="2026-03-10", department="parks", clock=None):
    return exit_hr.create_invitation(database, config, hr, department=department, separation_type="voluntary",
                                     last_day=last_day, clock=clock or (lambda: at(2026, 3, 1)))


def version_id(survey) -> str:
    return str(survey.questionnaire.id)


def test_default_questionnaire_is_valid_and_bilingual():
    questionnaire = parse_definition(DEFAULT_DEFINITION)
    assert {q.id for q in questionnaire.questions} >= {"separation_type", "department", "tenure_band", "main_reason",
                                                        "other_reasons", "recommend", "come_back", "comments"}
    assert sum(q.type == "rating" for q in questionnaire.questions) == 9
    assert all(q.label["es"] and q.label["en"] != q.label["es"] for q in questionnaire.questions)


def test_an_invitation_works_once_and_then_says_it_was_used(database, config, raytown):
    _city, hr = raytown
    created = invite(database, config, hr)
    credential = Credential("token", created.token)
    survey = open_survey(database, config, credential, clock=lambda: at(2026, 3, 5))
    assert survey.mode == "anonymous" and survey.prefill["department"] == "parks"
    assert exit_hr.list_invitations(database, hr).counts == {"invited": 0, "started": 1, "completed": 0}
    submit_survey(database, config, credential, version_id(survey), ANSWERS, clock=lambda: at(2026, 3, 5))
    with pytest.raises(InvitationUsed) as used:
        open_survey(database, config, credential, clock=lambda: at(2026, 3, 6))
    assert "hr@" not in str(used.value) and "raytown" not in str(used.value)
    with pytest.raises(InvitationUsed):
        submit_survey(database, config, code_credential(created.code), version_id(survey), ANSWERS,
                      clock=lambda: at(2026, 3, 6))
    with database.read() as session:
        assert len(session.exec(select(ExitResponse)).all()) == 1
    assert exit_hr.list_invitations(database, hr).counts == {"invited": 0, "started": 0, "completed": 1}


def test_the_short_code_opens_the_same_invitation_typed_loosely(database, config, raytown):
    _city, hr = raytown
    created = invite(database, config, hr)
    loose = created.code.lower().replace("-", " ").replace("0", "o")
    survey = open_survey(database, config, code_credential(loose), clock=lambda: at(2026, 3, 5))
    assert survey.city_slug == "raytown"


def test_unknown_and_expired_invitations_store_nothing(database, config, raytown):
    _city, hr = raytown
    created = invite(database, config, hr, last_day="2026-03-10")
    with database.read() as session:
        before = len(session.exec(select(AuditEntry)).all())
    with pytest.raises(InvitationUnknown):
        open_survey(database, config, Credential("token", "no-such-token"))
    with pytest.raises(InvitationUnknown):
        code_credential("ABCD")
    with pytest.raises(InvitationExpired):  # 30 days after the last day by default
        open_survey(database, config, Credential("token", created.token), clock=lambda: at(2026, 4, 10))
    open_survey(database, config, Credential("code", created.code.replace("-", "")), clock=lambda: at(2026, 4, 9))
    with pytest.raises(InvitationExpired):
        submit_survey(database, config, Credential("token", created.token), "1", ANSWERS,
                      clock=lambda: at(2026, 4, 10))
    with database.read() as session:
        assert session.exec(select(ExitResponse)).all() == []
        assert len(session.exec(select(AuditEntry)).all()) == before


@pytest.mark.parametrize(("fields", "problem"), [
    ({"q_rating_pay": ["6"]}, "q_rating_pay"),
    ({"q_rating_pay": ["0"]}, "q_rating_pay"),
    ({"q_recommend": ["11"]}, "q_recommend"),
    ({"q_recommend": ["-1"]}, "q_recommend"),
    ({"q_main_reason": ["boredom"]}, "q_main_reason"),
    ({"q_favourite_colour": ["blue"]}, "form"),
    ({"q_comments": ["bad \x00 byte"]}, "q_comments"),
])
def test_bad_answers_name_the_problem_and_store_nothing(database, config, raytown, fields, problem):
    _city, hr = raytown
    created = invite(database, config, hr)
    credential = Credential("token", created.token)
    survey = open_survey(database, config, credential, clock=lambda: at(2026, 3, 5))
    with pytest.raises(InvalidInput) as invalid:
        submit_survey(database, config, credential, version_id(survey), {**ANSWERS, **fields},
                      clock=lambda: at(2026, 3, 5))
    assert problem in invalid.value.problems
    with database.read() as session:
        assert session.exec(select(ExitResponse)).all() == []
        assert session.get(ExitInvitation, created.invitation_id).status == "started"


def test_a_version_that_no_longer_exists_is_named_and_nothing_is_stored(database, config, raytown):
    _city, hr = raytown
    created = invite(database, config, hr)
    credential = Credential("token", created.token)
    survey = open_survey(database, config, credential, clock=lambda: at(2026, 3, 5))
    changed = json.loads(json.dumps(DEFAULT_DEFINITION))
    changed["questions"][-1]["label"]["en"] = "Anything else at all?"
    with database.write() as session:
        from intake.exit.questionnaire import add_version

        add_version(session, hr.city_id, changed, at(2026, 3, 5).date())  # version 1 had no answers: removed
    for stale in (version_id(survey), "999", "x"):
        with pytest.raises(InvalidInput) as invalid:
            submit_survey(database, config, credential, stale, ANSWERS, clock=lambda: at(2026, 3, 5))
        assert "changed" in invalid.value.problems["form"]
    with database.read() as session:
        assert session.exec(select(ExitResponse)).all() == []


def test_old_versions_with_answers_are_kept_and_still_open(database, config, raytown):
    _city, hr = raytown
    created = invite(database, config, hr)
    credential = Credential("token", created.token)
    survey = open_survey(database, config, credential, clock=lambda: at(2026, 3, 5))
    submit_survey(database, config, credential, version_id(survey), ANSWERS, clock=lambda: at(2026, 3, 5))
    changed = json.loads(json.dumps(DEFAULT_DEFINITION))
    changed["questions"] = [q for q in changed["questions"] if q["id"] != "rating_pay"]
    from intake.exit.questionnaire import add_version

    with database.write() as session:
        add_version(session, hr.city_id, changed, at(2026, 4, 1).date())
    with database.read() as session:
        assert len(session.exec(select(ExitQuestionnaire)).all()) == 2
    from intake.exit.analytics import city_analytics

    analytics = city_analytics(database, hr, clock=lambda: at(2026, 5, 1))
    assert any(d.id == "rating_pay" for d in analytics.release.measures)  # the old question is still analysed


def read_everything(database) -> dict[str, list[dict]]:
    """Every row of every table, as the database holds it."""
    tables = {}
    with database.engine.connect() as connection:
        for name in sqlalchemy.inspect(connection).get_table_names():
            rows = connection.execute(sqlalchemy.text(f'SELECT * FROM "{name}"')).mappings().all()
            tables[name] = [dict(row) for row in rows]
    return tables


def test_anonymous_mode_leaves_nothing_linking_a_response_to_its_invitation(database, config, raytown):
    """Read every table after a survey; no row, column or timestamp ties the response to its invitation. The same
    check holds a response given by keypad (tests/hotline/voice/test_exit_by_phone.py)."""
    _city, hr = raytown
    invitations = [invite(database, config, hr, last_day=f"2026-03-{day:02d}") for day in (3, 10, 17)]
    used = invitations[1]
    credential = Credential("token", used.token)
    survey = open_survey(database, config, credential, clock=lambda: at(2026, 3, 11))
    submit_survey(database, config, credential, version_id(survey), ANSWERS, clock=lambda: at(2026, 3, 11))
    assert_unlinkable(database, used.invitation_id, "2026-03-11", "2026-03")


def assert_unlinkable(database, invitation_id: str, survey_day: str, month: str,
                      unchanged: dict | None = None) -> dict:
    """The one anonymous response in the database is unlinkable to invitation ``invitation_id``: no row, column,
    timestamp or (on PostgreSQL) row version ties them, and the day of the survey is stored nowhere (``unchanged``:
    the tables as they were before the survey, whose rows the survey left as they were are not its doing).
    Returns the response's row."""
    tables = read_everything(database)
    earlier = {table: [tuple(sorted(map(str, row.items()))) for row in rows]
               for table, rows in (unchanged or {}).items()}
    (response,) = tables["exit_response"]
    assert response["invitation_id"] is None and response["mode"] == "anonymous"
    assert response["period"] == month  # the month only
    invitation = next(r for r in tables["exit_invitation"] if r["id"] == invitation_id)
    identifying = {invitation_id, invitation["token_lookup"], invitation["code_lookup"], response["id"]}
    for table, rows in tables.items():
        for row in rows:
            values = set(row.values())
            if table != "exit_response":
                assert response["id"] not in values, table
            if table == "audit_entry" and row["action"] == "exit.invitation_created":
                continue  # HR's own record of making the invitation, written days before the survey
            if table != "exit_invitation":
                assert not (identifying - {response["id"]}) & values, table
    # The invitation keeps no date of use; nothing of the day of the survey is stored anywhere.
    assert set(invitation) == {"id", "city_id", "token_lookup", "code_lookup", "department", "separation_type",
                               "last_day", "expires_on", "status", "created_on", "created_by"}
    for table, rows in tables.items():
        for row in rows:
            if tuple(sorted(map(str, row.items()))) in earlier.get(table, []):
                continue
            for value in row.values():
                assert survey_day not in str(value), (table, row)
    for entry in tables["audit_entry"]:
        assert entry["subject"] != invitation_id or entry["action"] == "exit.invitation_created"
        assert "exit.survey" not in entry["action"]
    if database.dialect == "postgresql":
        # Row versions: the response and every invitation of the city carry the same transaction id.
        with database.engine.connect() as connection:
            response_xmin = connection.execute(sqlalchemy.text("SELECT xmin::text FROM exit_response")).scalar()
            invitation_xmins = set(connection.execute(sqlalchemy.text(
                "SELECT xmin::text FROM exit_invitation")).scalars())
        assert invitation_xmins == {response_xmin}
    return response


def test_confidential_mode_links_and_says_so(database, config, raytown):
    _city, hr = raytown
    exit_hr.change_settings(database, hr, mode="confidential", threshold="5", invitation_days="30", open_link=False)
    created = invite(database, config, hr)
    credential = Credential("token", created.token)
    survey = open_survey(database, config, credential, clock=lambda: at(2026, 3, 5))
    assert survey.mode == "confidential"
    submit_survey(database, config, credential, version_id(survey), ANSWERS, clock=lambda: at(2026, 3, 5))
    (summary,) = list_confidential(database, hr)
    assert summary.department == "parks" and summary.last_day.isoformat() == "2026-03-10"
    opened = read_confidential(database, hr, summary.response_id)
    assert opened.answers["comments"] == "Marker comment 7d1e"


def test_answers_are_sealed(database, config, raytown):
    _city, hr = raytown
    created = invite(database, config, hr)
    credential = Credential("token", created.token)
    survey = open_survey(database, config, credential, clock=lambda: at(2026, 3, 5))
    submit_survey(database, config, credential, version_id(survey), ANSWERS, clock=lambda: at(2026, 3, 5))
    dump = json.dumps(read_everything(database), default=repr)
    assert "Marker comment" not in dump


def test_exit_answers_seal_to_one_size_whatever_is_chosen_or_skipped(database, config, raytown):
    """A dump must not read a sealed survey by its size: the answers are padded to the widest the questionnaire
    allows (docs/design.md#sealing-content), and only free text moves it, by Padmé steps."""
    _city, hr = raytown
    choices = [
        {**ANSWERS, "q_come_back": ["yes"], "q_comments": []},
        {**ANSWERS, "q_come_back": ["maybe"], "q_other_reasons": ["pay", "workload", "another_job"], "q_comments": []},
        {"q_department": ["parks"]},  # everything else skipped
    ]
    for fields in choices:
        credential = Credential("token", invite(database, config, hr).token)
        survey = open_survey(database, config, credential, clock=lambda: at(2026, 3, 5))
        submit_survey(database, config, credential, version_id(survey), fields, clock=lambda: at(2026, 3, 5))
    with database.read() as session:
        sizes = {len(response.ciphertext) for response in session.exec(select(ExitResponse)).all()}
    assert len(sizes) == 1


def test_only_the_citys_hr_group_gets_in_and_every_refusal_is_audited(database, config, raytown):
    make_city(database, config, "grandview")
    for email, slug in [("hr@grandview.example", "raytown"), ("ethics@raytown.example", "raytown"),
                        ("hr@grandview.example", "nowhere")]:
        context = session_for(database, config, email)
        with pytest.raises(NotFound):
            exit_hr.hr_access(database, context, slug)
    with database.read() as session:
        denied = session.exec(select(AuditEntry).where(AuditEntry.action == "exit.access_denied")).all()
    assert len(denied) == 3


def test_the_uninvited_link_is_anonymous_and_can_be_closed(database, config, raytown):
    _city, hr = raytown
    exit_hr.change_settings(database, hr, mode="confidential", threshold="5", invitation_days="30", open_link=True)
    link = exit_hr.read_settings(database, hr).open_link
    credential = Credential("open", f"raytown/{link}")
    survey = open_survey(database, config, credential)
    assert survey.mode == "anonymous" and survey.prefill == {}
    submit_survey(database, config, credential, version_id(survey), ANSWERS)
    exit_hr.change_settings(database, hr, mode="confidential", threshold="5", invitation_days="30", open_link=False)
    with pytest.raises(InvitationUnknown):
        open_survey(database, config, credential)
    with database.read() as session:
        (response,) = session.exec(select(ExitResponse)).all()
    assert response.mode == "anonymous" and response.invitation_id is None


def test_settings_refuse_a_threshold_below_three(database, config, raytown):
    _city, hr = raytown
    with pytest.raises(InvalidInput) as invalid:
        exit_hr.change_settings(database, hr, mode="anonymous", threshold="2", invitation_days="30", open_link=False)
    assert "threshold" in invalid.value.problems


def test_retention_purges_old_responses_and_expired_unused_invitations(database, config, raytown):
    _city, hr = raytown
    old = invite(database, config, hr, last_day="2026-03-10")
    credential = Credential("token", old.token)
    survey = open_survey(database, config, credential, clock=lambda: at(2026, 3, 5))
    submit_survey(database, config, credential, version_id(survey), ANSWERS, clock=lambda: at(2026, 3, 5))
    unused = invite(database, config, hr, last_day="2026-03-12")
    set_rule(database, "raytown", "exit-responses", 365)
    set_rule(database, "raytown", "exit-invitations", 0)
    purged = run_retention(database, clock=lambda: at(2027, 2, 1)).purged
    assert purged == {("raytown", "exit-invitations"): 2}  # both expired; the response's month is not past yet
    purged = run_retention(database, clock=lambda: at(2027, 4, 2)).purged
    assert purged == {("raytown", "exit-responses"): 1}
    with database.read() as session:
        assert session.get(ExitInvitation, unused.invitation_id) is None
        assert session.exec(select(ExitResponse)).all() == []
        entries = session.exec(select(AuditEntry).where(AuditEntry.action == "retention.purged")).all()
    assert {entry.detail.split('"kind":"')[1].split('"')[0] for entry in entries} == {"exit response",
                                                                                       "exit invitation"}


def test_key_rotation_moves_exit_answers_to_the_new_key(database, config, raytown):
    """Rotation used to re-seal case items only; answers sealed to the old key would have been lost with it."""
    from crypto.errors import DecryptionFailed
    from intake.cities import find_city, open_city_key_with_recovery_key
    from intake.exit.survey import open_answers
    from intake.keys.rotation import rotate_city_key

    city, hr = raytown
    credential = Credential("token", invite(database, config, hr).token)
    survey = open_survey(database, config, credential, clock=lambda: at(2026, 3, 5))
    submit_survey(database, config, credential, version_id(survey), ANSWERS, clock=lambda: at(2026, 3, 5))
    old_key = city.key

    result = rotate_city_key(database, "raytown", city.recovery_key)

    new_key = open_city_key_with_recovery_key(find_city(database, "raytown"), result.recovery_key)
    with database.read() as session:
        response = session.exec(select(ExitResponse)).one()
        rotated = session.exec(select(AuditEntry).where(AuditEntry.action == "key.rotated")).one()
    assert "Marker comment 7d1e" in json.dumps(open_answers(response, new_key))
    with pytest.raises(DecryptionFailed):
        open_answers(response, old_key)
    assert json.loads(rotated.detail)["exit_responses"] == 1 and result.to_version == 2
