"""Retention of exit-interview data, as purgers for intake.operations.retention.

A city sets how long to keep each with ``hotline retention set --purger exit-responses --years N`` (and
``--purger exit-invitations --days N``); the daily retention job then deletes what is due, one audited
transaction per record, and vacuums. Responses are kept by month (their only date), so a response is due once
its whole month is past the cutoff. An invitation (department, separation type, last day) is due a set time
after it expired, used or not, unless a confidential response still names it.
"""

from __future__ import annotations

from datetime import date

from sqlmodel import Session, col, select

from crypto.audit_chain import AuditValue
from intake.models import ExitInvitation, ExitResponse


def _month_before(day: date) -> str:
    """The last whole month that ends on or before ``day``, as stored in ExitResponse.period ("2026-03")."""
    year, month = (day.year, day.month - 1) if day.month > 1 else (day.year - 1, 12)
    return f"{year:04d}-{month:02d}"


class ExitResponses:
    name = "exit-responses"
    description = "exit-interview responses, a set time after the month they were given"
    tables: tuple[str, ...] = ("exit_response",)

    def due(self, session: Session, city_id: int, cutoff: date) -> list[str]:
        return list(session.exec(select(ExitResponse.id).where(ExitResponse.city_id == city_id,
                                                               col(ExitResponse.period) <= _month_before(cutoff))
                                 .order_by(col(ExitResponse.period))).all())

    def purge(self, session: Session, city_id: int, record_id: str) -> dict[str, AuditValue] | None:
        response = session.get(ExitResponse, record_id)
        if response is None or response.city_id != city_id:
            return None
        summary: dict[str, AuditValue] = {"kind": "exit response", "period": response.period}
        session.delete(response)
        return summary


class ExitInvitations:
    name = "exit-invitations"
    description = "exit-interview invitations, a set time after they expired (unless a response still names one)"
    tables: tuple[str, ...] = ("exit_invitation",)

    def due(self, session: Session, city_id: int, cutoff: date) -> list[str]:
        named = select(ExitResponse.invitation_id).where(col(ExitResponse.invitation_id).is_not(None))
        return list(session.exec(select(ExitInvitation.id).where(ExitInvitation.city_id == city_id,
                                                                 col(ExitInvitation.expires_on) < cutoff,
                                                                 col(ExitInvitation.id).not_in(named))).all())

    def purge(self, session: Session, city_id: int, record_id: str) -> dict[str, AuditValue] | None:
        invitation = session.get(ExitInvitation, record_id)
        named = session.exec(select(ExitResponse.id).where(ExitResponse.invitation_id == record_id)).first()
        if invitation is None or invitation.city_id != city_id or named is not None:
            return None
        summary: dict[str, AuditValue] = {"kind": "exit invitation", "status": invitation.status}
        session.delete(invitation)
        return summary
