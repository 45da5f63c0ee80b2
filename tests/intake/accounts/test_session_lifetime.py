"""A reviewer session ends when idle, and also at its maximum lifetime however busy it is
(docs/design.md#sessions)."""

from datetime import timedelta

import pytest
from sqlmodel import select

from intake.accounts.reviewers import sign_in
from intake.accounts.sessions import resume_session, start_session
from intake.clock import utc_now
from intake.errors import NotFound
from intake.models import ReviewerSession
from tests.intake.casework.console_helpers import PASSWORD, make_city


def test_a_busy_session_still_ends_at_its_maximum_lifetime(database, config):
    make_city(database, config, "raytown", {"ana": ("reviewer", None)})
    signed_in = sign_in(database, config, "ana@raytown.example", PASSWORD)
    start = utc_now()
    cookie = start_session(database, signed_in, signed_in.memberships[0].city_id, clock=lambda: start)
    step = timedelta(seconds=config.session_idle_seconds - 60)  # never idle long enough to end that way
    moment = start
    while moment + step < start + timedelta(seconds=config.session_max_seconds):
        moment += step
        assert resume_session(database, config, cookie, clock=lambda at=moment: at).city_private_key is not None
    last = start + timedelta(seconds=config.session_max_seconds + 1)
    assert last - moment < timedelta(seconds=config.session_idle_seconds)
    with pytest.raises(NotFound, match="maximum lifetime"):
        resume_session(database, config, cookie, clock=lambda: last)
    with database.read() as session:  # ended, not only refused: the row and its wrapped city keys are gone
        assert session.exec(select(ReviewerSession)).all() == []


def test_the_lifetime_is_twelve_hours_unless_configured(config):
    assert config.session_max_seconds == 12 * 3600
