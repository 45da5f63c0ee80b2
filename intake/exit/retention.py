"""Retention of exit-interview data, for the retention job (issue 7) to call.

Responses are kept by month, so "older than N years" compares months. Invitations that were never used and have
expired hold nothing anyone can still act on; completed invitations stay with their city's records until their
own expiry is N years past.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import col, delete, select

from intake.clock import Clock, utc_now
from intake.db import Database
from intake.models import ExitInvitation, ExitQuestionnaire, ExitResponse
from intake.models.exit import COMPLETED


@dataclass(frozen=True)
class Purged:
    responses: int
    invitations: int
    questionnaire_versions: int


def purge_exit_data(db: Database, *, older_than_years: int, clock: Clock = utc_now) -> Purged:
    """Delete responses from months more than ``older_than_years`` before this month, invitations that expired
    unused, and questionnaire versions left with no response that are not a city's newest."""
    if older_than_years < 1:
        raise ValueError("keep responses at least a year")
    today = clock().date()
    cutoff_month = f"{today.year - older_than_years:04d}-{today.month:02d}"
    cutoff_day = today.replace(year=today.year - older_than_years) if not (today.month == 2 and today.day == 29) \
        else today.replace(year=today.year - older_than_years, day=28)
    with db.write() as session:
        responses = session.exec(delete(ExitResponse).where(col(ExitResponse.period) < cutoff_month)).rowcount
        unused = session.exec(delete(ExitInvitation).where(col(ExitInvitation.status) != COMPLETED,
                                                           col(ExitInvitation.expires_on) < today)).rowcount
        # Confidential responses point at their invitation; only invitations no response still names go.
        named = select(ExitResponse.invitation_id).where(col(ExitResponse.invitation_id).is_not(None))
        old = session.exec(delete(ExitInvitation).where(col(ExitInvitation.status) == COMPLETED,
                                                        col(ExitInvitation.expires_on) < cutoff_day,
                                                        col(ExitInvitation.id).not_in(named))).rowcount
        versions = 0
        answered = set(session.exec(select(ExitResponse.questionnaire_id).distinct()).all())
        newest: dict[int, int] = {}
        rows = session.exec(select(ExitQuestionnaire)).all()
        for row in rows:
            newest[row.city_id] = max(newest.get(row.city_id, 0), row.version)
        for row in rows:
            if row.id not in answered and row.version != newest[row.city_id]:
                session.delete(row)
                versions += 1
    return Purged(responses or 0, (unused or 0) + (old or 0), versions)
