"""The daily reminder: each reviewer is emailed, at most once a day, how many cases wait for them and how many are
overdue (intake.casework.deadlines says what is due). Counts only, never a case
(docs/design.md#threat-model-and-anonymity-rules, rule 7)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import case, func
from sqlalchemy import select as sa_select
from sqlmodel import col, select

from intake import audit
from intake.accounts.reviewers import CONTENT_ROLES
from intake.audit.actions import AuditAction
from intake.case_status import CONCLUDED
from intake.clock import Clock, utc_now
from intake.db import Database
from intake.models import Case, City, Membership, Reviewer
from intake.operations.mail import SmtpConfig, send_mail
from intake.routing import visibility_for


@dataclass(frozen=True)
class Workload:
    """What waits for one reviewer in one city: counts only, never a case number or category."""

    reviewer_id: int
    email: str
    city_name: str
    waiting: int  # open cases the reviewer can read
    overdue: int


def workloads(db: Database, routing_key: bytes, today: date) -> list[Workload]:
    """Every content reviewer's open and overdue cases, per city they read."""
    result = []
    with db.read() as session:
        rows = session.exec(
            select(Reviewer, Membership, City).join(Membership, col(Membership.reviewer_id) == col(Reviewer.id))
            .join(City, col(City.id) == col(Membership.city_id))
            .where(col(Reviewer.active), col(Membership.role).in_(CONTENT_ROLES))
            .order_by(col(Reviewer.id), col(City.name))).all()
        for reviewer, membership, city in rows:
            assert reviewer.id is not None
            visibility = visibility_for(session, routing_key, reviewer.id, membership.city_id)
            waiting, overdue = session.execute(
                sa_select(func.count(), func.sum(case((col(Case.next_due_on) < today, 1), else_=0)))
                .where(visibility.condition, col(Case.status) != CONCLUDED)).one()
            result.append(Workload(reviewer.id, reviewer.email, city.name, int(waiting), int(overdue or 0)))
    return result


REMINDER_SUBJECT = "Cases are waiting in the hotline"


def reminder_body(loads: list[Workload], console_url: str) -> str:
    lines = ["Good morning,", "", "Cases are waiting for you in the city employee hotline:", ""]
    for load in loads:
        lines.append(f"- {load.city_name}: {load.waiting} open" + (f", {load.overdue} overdue" if load.overdue
                                                                   else ""))
    lines += ["", f"Sign in to read them: {console_url}", "",
              "This message never holds anything about a case; everything is in the console."]
    return "\n".join(lines)


def send_reminders(db: Database, routing_key: bytes, smtp: SmtpConfig, console_url: str, *,
                   clock: Clock = utc_now) -> int:
    """Email every reviewer with open work, at most once a day, with counts only
    (docs/design.md#threat-model-and-anonymity-rules, rule 7). Returns how many were sent. Audited in each city the
    reviewer's counts came from."""
    today = clock().date()
    by_reviewer: dict[int, list[Workload]] = {}
    for load in workloads(db, routing_key, today):
        if load.waiting:
            by_reviewer.setdefault(load.reviewer_id, []).append(load)
    with db.read() as session:
        already = {rid for rid, day in session.execute(sa_select(col(Reviewer.id), col(Reviewer.last_reminded_on)))
                   if day == today}
    due = {rid: loads for rid, loads in by_reviewer.items() if rid not in already}
    if not due:
        return 0
    send_mail(smtp, [(loads[0].email, REMINDER_SUBJECT, reminder_body(loads, console_url))
                     for loads in due.values()])
    with db.write() as session:
        for reviewer_id, loads in due.items():
            reviewer = session.get(Reviewer, reviewer_id)
            assert reviewer is not None
            reviewer.last_reminded_on = today
            session.add(reviewer)
            for city_id in session.exec(select(Membership.city_id).where(Membership.reviewer_id == reviewer_id,
                                                                         col(Membership.role).in_(CONTENT_ROLES))):
                city = audit.lock_city(session, city_id)
                audit.append(session, city, actor=audit.SYSTEM, action=AuditAction.REMINDER_SENT, when=clock(),
                             subject=audit.reviewer_actor(reviewer_id),
                             detail={"open": sum(load.waiting for load in loads if load.city_name == city.name)})
    return len(due)
