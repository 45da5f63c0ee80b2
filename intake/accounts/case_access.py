"""The one check before a reviewer touches a case's files, answers, identity or questions.

The same rule as the console's case page (intake.routing.can_read): a reviewer who may not read the case, because
it is another city's, routed to another group, or because they are excluded from it, gets NotFound, exactly as
for a case that does not exist, and the attempt is audited in the chain of the city that owns the case.
"""

from __future__ import annotations

from intake import audit
from intake.accounts.reviewers import CONTENT_ROLES
from intake.accounts.sessions import ReviewerContext
from intake.audit.actions import AuditAction
from intake.clock import Clock, utc_now
from intake.db import Database
from intake.errors import NotFound
from intake.models import Case
from intake.routing import can_read


def readable_case(db: Database, context: ReviewerContext, case_id: str, *, clock: Clock = utc_now) -> Case:
    with db.read() as session:
        case = session.get(Case, case_id) if len(case_id) <= 64 else None
        allowed = (case is not None and context.role in CONTENT_ROLES and context.city_private_key is not None
                   and can_read(session, context.routing_key, context.reviewer_id, context.city_id, case_id))
    if allowed:
        assert case is not None
        return case
    with db.write() as session:
        city = audit.lock_city(session, case.city_id if case is not None else context.city_id)
        audit.append(session, city, actor=context.actor, action=AuditAction.CASE_ACCESS_DENIED, when=clock(),
                     subject=case_id[:64], detail={"from_city": context.city_slug})
    raise NotFound("no such case")
