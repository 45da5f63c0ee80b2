"""Routing and conflict of interest (docs/design.md#routing-and-conflict-of-interest): excluded reviewers never see
the case, anywhere."""

import pytest
from sqlmodel import select

from intake import routing
from intake.accounts.reviewers import add_reviewer, sign_in
from intake.accounts.sessions import resume_session, start_session
from intake.casework import cases as casework
from intake.cities import create_city, find_city, open_city_key_with_recovery_key
from intake.errors import NotFound
from intake.models import AuditEntry, Case, CaseExclusion, ReviewerGroup
from intake.reports import submission as reports
from intake.routing import fold_all_legacy_exclusions, load_routing, reviewers_named_in

PASSWORD = "a long enough password"


@pytest.fixture
def city(database, config):
    created = create_city(database, "raytown", "Raytown")
    key = open_city_key_with_recovery_key(find_city(database, "raytown"), created.recovery_key)
    contexts = {}
    for email, name, groups in (("ana@r.example", "Ana Pérez", ["ethics"]), ("bo@r.example", "Bo Smith", ["ethics"]),
                                ("cy@r.example", "Cy Attorney", ["alternate"])):
        added = add_reviewer(database, config, city_slug="raytown", email=email, display_name=name,
                             password=PASSWORD, role="reviewer", city_private_key=key, groups=groups)
        signed_in = sign_in(database, config, email, PASSWORD)
        contexts[name.split()[0].lower()] = (added.reviewer_id, resume_session(
            database, config, start_session(database, signed_in, signed_in.memberships[0].city_id)))
    return contexts


def visible(database, context) -> set[str]:
    return {case.case_id for case in casework.list_cases(database, context).cases}


def test_names_match_whole_words_ignoring_case_and_accents():
    reviewers = [(1, "Ana Pérez"), (2, "Bo Smith"), (3, "Al")]
    assert reviewers_named_in("I saw ana  PEREZ take cash", reviewers) == {1}
    assert reviewers_named_in("Bo Smithson did it", reviewers) == set()
    assert reviewers_named_in("Alice and Albert", reviewers) == set()
    assert reviewers_named_in("Bo Smith, and al.", reviewers) == {2, 3}


def test_a_reviewer_named_in_the_report_never_sees_it(database, config, city):
    submitted = reports.submit_report(database, config, city_slug="raytown", category="fraud-waste-abuse",
                                      narrative="Ana Perez approved her cousin's invoices.")
    _, ana = city["ana"]
    _, bo = city["bo"]
    assert submitted.case_id not in visible(database, ana)
    assert casework.list_cases(database, ana).total == 0
    with pytest.raises(NotFound):
        casework.read_case(database, ana, submitted.case_id)
    with pytest.raises(NotFound):
        casework.reply_to_reporter(database, config, ana, submitted.case_id, "hi")
    assert submitted.case_id in visible(database, bo)
    with database.read() as session:
        routing = load_routing(session, config.routing_key, 1)
        assert session.exec(select(CaseExclusion)).all() == []  # nothing in clear
    assert routing.excluded == {submitted.case_id: {city["ana"][0]: "named in report"}}


def test_a_report_is_folded_once_for_both_of_its_routings(database, config, city, monkeypatch):
    # Routed before its key derivation and again under the city lock; folding is linear in the text, so it is done
    # once, before either (intake.routing.ReportWords), and the second routing still finds the names.
    folded_texts = []
    fold = routing._folded
    monkeypatch.setattr(routing, "_folded", lambda text: folded_texts.append(text) or fold(text))
    narrative = "Señor Bo Smith firmó las facturas. " * 200
    submitted = reports.submit_report(database, config, city_slug="raytown", category="fraud-waste-abuse",
                                      narrative=narrative)
    assert [text for text in folded_texts if "facturas" in text] == [narrative.strip()]
    with database.read() as session:
        excluded = load_routing(session, config.routing_key, 1).excluded
    assert excluded == {submitted.case_id: {city["bo"][0]: "named in report"}}


def test_exclusions_left_in_clear_hold_until_folded_into_the_seal(database, config, city):
    # An older version kept exclusions in clear. A report's intake re-seals the city's set without reading them:
    # they must hold all the same, for every reader, until the start-up fold seals and deletes them.
    ana_id, ana = city["ana"]
    old = reports.submit_report(database, config, city_slug="raytown", category="safety", narrative="Older report.")
    with database.write() as session:
        session.add(CaseExclusion(case_id=old.case_id, reviewer_id=ana_id, reason="named in report"))
    new = reports.submit_report(database, config, city_slug="raytown", category="safety", narrative="Newer report.")
    assert visible(database, ana) == {new.case_id}
    with database.read() as session:
        assert load_routing(session, config.routing_key, 1).excluded == {old.case_id: {ana_id: "named in report"}}
    assert fold_all_legacy_exclusions(database, config.routing_key) == 1
    with database.read() as session:
        assert session.exec(select(CaseExclusion)).all() == []
        assert load_routing(session, config.routing_key, 1).excluded == {old.case_id: {ana_id: "named in report"}}
    assert visible(database, ana) == {new.case_id}
    assert fold_all_legacy_exclusions(database, config.routing_key) == 0


def test_reporter_exclusions_and_fallback_to_the_alternate_group(database, config, city):
    ana_id, ana = city["ana"]
    bo_id, bo = city["bo"]
    _, cy = city["cy"]
    submitted = reports.submit_report(database, config, city_slug="raytown", category="safety",
                                      narrative="Bo Smith ignores the crane inspections.",
                                      excluded_reviewer_ids=[ana_id, 999_999])
    for context in (ana, bo):
        assert submitted.case_id not in visible(database, context)
    assert submitted.case_id in visible(database, cy)
    assert casework.read_case(database, cy, submitted.case_id).items[0].text.startswith("Bo Smith")
    with database.read() as session:
        routed = session.exec(select(AuditEntry).where(AuditEntry.action == "case.routed")).one()
        routing = load_routing(session, config.routing_key, 1)
        case = session.get(Case, submitted.case_id)
        ethics = session.exec(select(ReviewerGroup.id).where(ReviewerGroup.slug == "ethics")).one()
    # The row and the log say the category's group; the exclusions and the fallback are sealed.
    assert routed.detail == '{"group":"ethics"}' and case.group_id == ethics
    assert routing.excluded == {submitted.case_id: {ana_id: "excluded by reporter", bo_id: "named in report"}}
    assert routing.alternate == {submitted.case_id}


def test_cases_stay_in_their_group(database, config, city):
    submitted = reports.submit_report(database, config, city_slug="raytown", category="safety", narrative="x")
    _, cy = city["cy"]
    assert submitted.case_id not in visible(database, cy)  # the alternate group only gets what falls through


def test_a_route_read_by_the_city_slug_reads_what_the_read_by_its_id_does(database, config, city):
    from intake.db import run_on_driver
    from intake.reports.questionnaires import questionnaire_read

    create_city(database, "grandview", "Grandview")  # another city's rows must not come into it
    raytown = find_city(database, "raytown")
    assert raytown.id is not None
    with database.read_each_statement() as connection:
        for read in (routing.route_read, questionnaire_read):
            by_id = run_on_driver(connection, *read(raytown.id, "safety")).rows
            assert run_on_driver(connection, *read("raytown", "safety")).rows == by_id
            assert run_on_driver(connection, *read("atlantis", "safety")).rows == []  # no such city: nothing
        assert len(run_on_driver(connection, *routing.route_read("raytown", "safety")).rows) > 3
