"""Key rotation: every data key re-sealed to a new city key, resumable, and reviewers keep access
through their personal keys; the old key opens nothing afterwards, and neither does the old recovery key unless
the rotation was told to keep it."""

import pytest
from sqlmodel import select

from crypto.errors import DecryptionFailed, WrongSecret
from crypto.recovery import recovery_wrapping_key
from crypto.wrapping import unwrap_with_key
from intake.accounts.restore import recover_city_admin
from intake.accounts.reviewers import add_reviewer, sign_in
from intake.accounts.sessions import resume_session, start_session
from intake.casework import cases as casework
from intake.cities import create_city, find_city, open_city_key_with_recovery_key, recovery_binding
from intake.errors import InvalidInput, NotFound
from intake.items import text_for_city
from intake.keys.rotation import rotate_city_key, rotation_status
from intake.models import AuditEntry, CaseItem, CityKeyGrant, CityKeyRotation, Membership, ReviewerKey
from intake.reports.submission import submit_report

PASSWORD = "a long enough password"


class Interrupted(Exception):
    pass


@pytest.fixture
def city(database, config):
    created = create_city(database, "raytown", "Raytown")
    key = open_city_key_with_recovery_key(find_city(database, "raytown"), created.recovery_key)
    for email in ("one@raytown.example", "two@raytown.example"):
        add_reviewer(database, config, city_slug="raytown", email=email, display_name=email.split("@")[0].title(),
                     password=PASSWORD, role="reviewer", city_private_key=key)
    for n in range(5):
        submit_report(database, config, city_slug="raytown", category="safety", narrative=f"narrative {n}")
    return created


def session_for(database, config, email):
    signed_in = sign_in(database, config, email, PASSWORD)
    cookie = start_session(database, signed_in, signed_in.memberships[0].city_id)
    return cookie, resume_session(database, config, cookie)


def read_all(database, context):
    listing = casework.list_cases(database, context)
    return sorted(casework.read_case(database, context, case.case_id).items[0].text for case in listing.cases)


def test_rotation_reseals_every_item_and_reviewers_keep_access(database, config, city):
    cookie, before = session_for(database, config, "one@raytown.example")
    expected = [f"narrative {n}" for n in range(5)]
    assert read_all(database, before) == expected
    old_key = open_city_key_with_recovery_key(find_city(database, "raytown"), city.recovery_key)

    result = rotate_city_key(database, "raytown", city.recovery_key, batch_size=2)

    assert (result.from_version, result.to_version, result.items, result.reviewers_granted) == (1, 2, 5, 2)
    assert not result.resumed and result.reviewers_unreachable == ()
    with pytest.raises(NotFound):  # sessions holding the old key ended
        resume_session(database, config, cookie)
    assert result.recovery_key is not None and result.recovery_key != city.recovery_key
    new_key = open_city_key_with_recovery_key(find_city(database, "raytown"), result.recovery_key)
    assert new_key != old_key
    with pytest.raises(WrongSecret):  # the old recovery key opens nothing any more
        open_city_key_with_recovery_key(find_city(database, "raytown"), city.recovery_key)
    with database.read() as session:
        items = session.exec(select(CaseItem)).all()
        assert all(m.wrapped_city_key is None for m in session.exec(select(Membership)).all())  # old key retired
    for item in items:
        assert text_for_city(item, new_key).startswith("narrative")
        with pytest.raises(DecryptionFailed):
            text_for_city(item, old_key)
    # Each reviewer takes the new key at the next sign-in and reads every case again.
    for email in ("one@raytown.example", "two@raytown.example"):
        _cookie, context = session_for(database, config, email)
        assert context.city_private_key == new_key
        assert read_all(database, context) == expected
    with database.read() as session:
        assert session.exec(select(CityKeyGrant)).all() == []


def test_an_interrupted_rotation_resumes_and_nobody_loses_access_meanwhile(database, config, city):
    _cookie, context = session_for(database, config, "one@raytown.example")
    seen = []

    def stop_after_first_batch(done, total):
        seen.append(done)
        if len(seen) == 2:
            raise Interrupted()

    with pytest.raises(Interrupted):
        rotate_city_key(database, "raytown", city.recovery_key, batch_size=2, progress=stop_after_first_batch)
    status = rotation_status(database, "raytown")
    assert status.running and status.items_resealed == 2 and status.items_total == 5
    # Mid-rotation the old key still reads everything, and a new report is sealed and later moved too.
    submit_report(database, config, city_slug="raytown", category="safety", narrative="narrative 5")
    assert read_all(database, context) == [f"narrative {n}" for n in range(6)]
    with pytest.raises(WrongSecret):
        rotate_city_key(database, "raytown", "AAAA-" * 13, batch_size=2)

    result = rotate_city_key(database, "raytown", city.recovery_key, batch_size=2)

    assert result.resumed and result.to_version == 2 and result.items == 6
    # Only the run that finished hands out a recovery key, and it is the one that opens the new key.
    assert open_city_key_with_recovery_key(find_city(database, "raytown"), result.recovery_key)
    assert not rotation_status(database, "raytown").running
    _cookie, context = session_for(database, config, "two@raytown.example")
    assert read_all(database, context) == [f"narrative {n}" for n in range(6)]


def test_a_reviewer_without_a_personal_key_is_named_and_recovery_restores_an_admin(database, config, city):
    with database.write() as session:
        session.delete(session.get(ReviewerKey, 2))  # as if added before personal keys existed
    result = rotate_city_key(database, "raytown", city.recovery_key)
    assert result.reviewers_unreachable == (2,) and result.reviewers_granted == 1
    signed_in = sign_in(database, config, "two@raytown.example", PASSWORD)
    assert signed_in.memberships[0].city_private_key is None  # can sign in, cannot read

    with pytest.raises(InvalidInput) as refused:  # the replaced recovery key is named as such
        recover_city_admin(database, config, city_slug="raytown", recovery_key=city.recovery_key,
                           email="two@raytown.example", display_name="", new_password="a brand new password")
    assert refused.value.problems["recovery_key"].startswith(
        "That recovery key of Raytown was replaced when the city key was rotated on ")
    assert "(key version 2)" in refused.value.problems["recovery_key"]
    recovered = recover_city_admin(database, config, city_slug="raytown", recovery_key=result.recovery_key,
                                   email="two@raytown.example", display_name="", new_password="a brand new password")
    assert not recovered.new_account
    signed_in = sign_in(database, config, "two@raytown.example", "a brand new password")
    assert signed_in.memberships[0].role == "admin"
    assert signed_in.memberships[0].city_private_key == open_city_key_with_recovery_key(
        find_city(database, "raytown"), result.recovery_key)


def test_a_password_change_keeps_the_personal_key_so_grants_still_open(database, config, city):
    from intake.accounts.account import change_password

    change_password(database, config, session_for(database, config, "one@raytown.example")[1], PASSWORD,
                    "a changed password!")
    result = rotate_city_key(database, "raytown", city.recovery_key)
    signed_in = sign_in(database, config, "one@raytown.example", "a changed password!")
    assert signed_in.memberships[0].city_private_key == open_city_key_with_recovery_key(
        find_city(database, "raytown"), result.recovery_key)


def test_keep_recovery_key_keeps_the_old_one_working_and_says_so_in_the_audit_log(database, config, city):
    result = rotate_city_key(database, "raytown", city.recovery_key, keep_recovery_key=True)

    assert result.recovery_key is None
    new_key = open_city_key_with_recovery_key(find_city(database, "raytown"), city.recovery_key)
    with database.read() as session:
        items = session.exec(select(CaseItem)).all()
        actions = [entry.action for entry in session.exec(select(AuditEntry).order_by(AuditEntry.sequence)).all()]
    assert all(text_for_city(item, new_key).startswith("narrative") for item in items)
    assert "key.recovery_key_replaced" not in actions
    # A second rotation, with a new recovery key this time, is audited as replacing it.
    second = rotate_city_key(database, "raytown", city.recovery_key)
    with database.read() as session:
        last = session.exec(select(AuditEntry).order_by(AuditEntry.sequence.desc())).first()
    assert last.action == "key.recovery_key_replaced" and second.recovery_key not in (last.detail or "")
    assert last.detail == '{"key_version":3}'


def test_a_replaced_recovery_key_opens_nothing_anywhere_it_is_stored(database, config, city):
    """Neither the city row nor the finished rotation's row keeps anything the old recovery key opens."""
    result = rotate_city_key(database, "raytown", city.recovery_key)
    with database.read() as session:
        rotation = session.exec(select(CityKeyRotation)).one()
        wrapped = [find_city(database, "raytown").recovery_wrapped_private_key,
                   rotation.new_recovery_wrapped_private_key]
    assert rotation.next_recovery_wrapped_private_key is None
    for blob in wrapped:
        with pytest.raises(WrongSecret):
            unwrap_with_key(blob, recovery_wrapping_key(city.recovery_key), recovery_binding("raytown"))
        assert unwrap_with_key(blob, recovery_wrapping_key(result.recovery_key), recovery_binding("raytown"))
