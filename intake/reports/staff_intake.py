"""Operator mode: a reviewer records a report that came in by letter, in person, or by a call to HR.

The report is made exactly as the reporter's own would be (sealed to the city and to a new report key, routed,
excluding anyone it names), with its channel noted; the reviewer hands the report key to the reporter, who can
then follow up on the web or by phone like anyone else. The audit log records which reviewer entered it.
"""

from __future__ import annotations

from intake import audit
from intake.accounts.reviewers import CONTENT_ROLES
from intake.accounts.sessions import ReviewerContext
from intake.audit.actions import AuditAction
from intake.clock import Clock, utc_now
from intake.config import IntakeConfig
from intake.db import Database
from intake.errors import InvalidInput, NotFound
from intake.messages import N_
from intake.reports import submission as reports
from intake.reports.submission import STAFF_CHANNELS, SubmittedReport


def record_staff_report(db: Database, config: IntakeConfig, context: ReviewerContext, *, category: str,
                        channel: str, narrative: str, clock: Clock = utc_now) -> SubmittedReport:
    if context.role not in CONTENT_ROLES:
        raise NotFound("this role cannot enter reports")
    if channel not in STAFF_CHANNELS:
        raise InvalidInput({"channel": N_("Say how the report reached you: letter, walk-in or a call to HR.")})
    # Released at once: when it is entered is the reviewer's time, not the reporter's (intake.reports.release).
    submitted = reports.submit_report(db, config, city_slug=context.city_slug, category=category,
                                      narrative=narrative, channel=channel, release_now=True, clock=clock)
    with db.write() as session:
        city = audit.lock_city(session, context.city_id)
        audit.append(session, city, actor=context.actor, action=AuditAction.CASE_ENTERED_BY_STAFF, when=clock(),
                     subject=submitted.case_id, detail={"channel": channel})
    return submitted
