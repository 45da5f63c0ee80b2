"""Closing a case as a closed record under Missouri's Sunshine Law, RSMo 610.021, with the subsection relied on.

The list is the subsections a hotline case can plausibly fall under; the city's attorney chooses. Marking and
clearing are audited; the basis is a fact about the case, shown in clear like its status.
"""

from __future__ import annotations

from sqlmodel import select

from intake import audit
from intake.accounts.sessions import ReviewerContext
from intake.audit.actions import AuditAction
from intake.casework.cases import case_for_reviewer
from intake.clock import Clock, utc_now
from intake.db import Database
from intake.errors import InvalidInput
from intake.messages import N_
from intake.models import Case

# RSMo 610.021: "a public governmental body is authorized to close meetings, records and votes, to the extent
# they relate to the following: ..."
SUBSECTIONS = {
    "610.021(1)": N_("Legal actions, causes of action or litigation, and confidential communications with attorneys"),
    "610.021(3)": N_("Hiring, firing, disciplining or promoting of particular employees"),
    "610.021(13)": N_("Individually identifiable personnel records, performance ratings or records of employees"),
    "610.021(14)": N_("Records which are protected from disclosure by law"),
    "610.021(16)": N_("Records relating to municipal hotlines established for the reporting of abuse and wrongdoing"),
    "610.021(17)": N_("Confidential or privileged communications between a public governmental body and its auditor"),
}


def close_as_record(db: Database, context: ReviewerContext, case_id: str, subsection: str, *,
                    clock: Clock = utc_now) -> None:
    """Mark the case a closed record under ``subsection``; an empty ``subsection`` opens the record again."""
    case = case_for_reviewer(db, context, case_id, clock=clock)
    if subsection and subsection not in SUBSECTIONS:
        raise InvalidInput({"subsection": N_("Choose the subsection of RSMo 610.021 the record is closed under.")})
    with db.write() as session:
        city = audit.lock_city(session, case.city_id)
        row = session.exec(select(Case).where(Case.id == case.id).with_for_update()).one()
        row.closed_record_basis = subsection or None
        row.closed_record_on = clock().date() if subsection else None
        session.add(row)
        audit.append(session, city, actor=context.actor,
                     action=AuditAction.CASE_CLOSED_RECORD
                            if subsection else AuditAction.CASE_RECORD_OPENED, when=clock(),
                     subject=row.id, detail={"basis": subsection or None})
