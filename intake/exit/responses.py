"""Reading single responses: only confidential ones, only by the city's HR.

An anonymous response is never shown on its own, to anyone: one response beside its department and tenure is
often one person. Anonymous answers reach HR only through the suppressed statistics (intake.exit.analytics).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlmodel import col, select

from intake import audit
from intake.audit.actions import AuditAction
from intake.clock import Clock, utc_now
from intake.db import Database
from intake.errors import NotFound
from intake.exit.hr import HrAccess
from intake.exit.questionnaire import Questionnaire, from_row
from intake.exit.survey import open_answers
from intake.models import ExitInvitation, ExitQuestionnaire, ExitResponse
from intake.models.exit import MODE_CONFIDENTIAL


@dataclass(frozen=True)
class ConfidentialSummary:
    response_id: str
    period: str
    department: str | None
    separation_type: str | None
    last_day: date | None


@dataclass(frozen=True)
class ConfidentialResponse:
    summary: ConfidentialSummary
    questionnaire: Questionnaire
    answers: dict[str, Any]


def list_confidential(db: Database, hr: HrAccess) -> list[ConfidentialSummary]:
    """The city's confidential responses with the invitation each answered; content-free, nothing opened."""
    with db.read() as session:
        rows = session.exec(
            select(ExitResponse, ExitInvitation)
            .join(ExitInvitation, col(ExitInvitation.id) == col(ExitResponse.invitation_id), isouter=True)
            .where(ExitResponse.city_id == hr.city_id, ExitResponse.mode == MODE_CONFIDENTIAL)
            .order_by(col(ExitResponse.period).desc(), col(ExitResponse.id))
        ).all()
    return [_summary(response, invitation) for response, invitation in rows]


def _summary(response: ExitResponse, invitation: ExitInvitation | None) -> ConfidentialSummary:
    return ConfidentialSummary(response.id, response.period, invitation.department if invitation else None,
                               invitation.separation_type if invitation else None,
                               invitation.last_day if invitation else None)


def read_confidential(db: Database, hr: HrAccess, response_id: str, *, clock: Clock = utc_now
                      ) -> ConfidentialResponse:
    """One confidential response of the city, opened with the session's key; the read is audited."""
    with db.read() as session:
        response = session.get(ExitResponse, response_id[:32])
        invitation = (session.get(ExitInvitation, response.invitation_id)
                      if response is not None and response.invitation_id else None)
        version = session.get(ExitQuestionnaire, response.questionnaire_id) if response is not None else None
    with db.write() as session:
        # A probe is recorded in the chain of the city that owns the response, as for cases (intake.casework.cases).
        city = audit.lock_city(session, response.city_id if response is not None else hr.city_id)
        if response is None or response.city_id != hr.city_id or response.mode != MODE_CONFIDENTIAL or version is None:
            audit.append(session, city, actor=hr.context.actor, action=AuditAction.EXIT_ACCESS_DENIED, when=clock(),
                         subject=response_id[:64])
            raise NotFound("no such response")
        audit.append(session, city, actor=hr.context.actor, action=AuditAction.EXIT_RESPONSE_READ, when=clock(),
                     subject=response.id)
    return ConfidentialResponse(_summary(response, invitation), from_row(version),
                                open_answers(response, hr.private_key))
