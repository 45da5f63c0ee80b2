"""Retention: each city's rules for how long records are kept, and purging them for good
(docs/design.md#operations-and-scale-out).

A *purger* is a named kind of record with a starting date (a concluded case counts from the day it was
concluded). A city's ``RetentionRule`` says how many days after that date the record goes. Purgers are
pluggable: a feature with records of its own (exit responses, unused invitations: intake.exit.retention) adds a
:class:`Purger` to :data:`PURGERS`.

Purging deletes rows outright: content, sealed keys, chunks, exclusions. SQLite runs with
``secure_delete`` (intake.db) and is vacuumed afterwards, PostgreSQL is vacuumed, so the bytes leave the
database file and any later dump or backup. Each purge appends one audit entry in the same transaction saying
what was purged (the case number, category and how many items), never what it said; the chain stays whole.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Protocol

from sqlalchemy import delete, text
from sqlmodel import Session, col, func, select

from crypto.audit_chain import AuditValue
from intake import audit
from intake.accounts.invitations import purge_expired_invitations
from intake.audit.actions import AuditAction
from intake.case_status import CONCLUDED
from intake.cities import city_by_slug
from intake.clock import Clock, utc_now
from intake.db import Database
from intake.errors import InvalidInput
from intake.exit.retention import ExitInvitations, ExitResponses
from intake.limits.counters import purge_expired
from intake.models import (
    Case,
    CaseExclusion,
    CaseItem,
    CaseReading,
    City,
    ItemChunk,
    ResealedCityKey,
    RetentionRule,
)
from intake.operations.jobs import JobRun, enqueue
from intake.routing import forget_routing

logger = logging.getLogger("hotline.retention")

RETENTION_JOB = "retention.run"
# The daily run starts at this hour (UTC), when nobody is likely to be reading cases.
DAILY_RUN_HOUR = 3


class Purger(Protocol):
    """One kind of record that retention can purge."""

    name: str
    description: str
    # Tables whose rows it deletes, vacuumed after a run on PostgreSQL.
    tables: tuple[str, ...]

    def due(self, session: Session, city_id: int, cutoff: date) -> list[str]:
        """Identifiers of the city's records whose starting date is on or before ``cutoff``."""

    def purge(self, session: Session, city_id: int, record_id: str) -> dict[str, AuditValue] | None:
        """Delete one record and everything sealed with it; what to say about it in the audit log (never
        content), or None when it is already gone."""


class ConcludedCases:
    name = "concluded-cases"
    description = "cases, with everything in them, a set time after they were concluded"
    tables: tuple[str, ...] = ("item_chunk", "resealed_city_key", "case_item", "case_exclusion", "cases")

    def due(self, session: Session, city_id: int, cutoff: date) -> list[str]:
        return list(session.exec(
            select(Case.id).where(Case.city_id == city_id, Case.status == CONCLUDED,
                                  col(Case.concluded_on).is_not(None), col(Case.concluded_on) <= cutoff)
            .order_by(col(Case.concluded_on), col(Case.number))).all())

    def purge(self, session: Session, city_id: int, record_id: str) -> dict[str, AuditValue] | None:
        case = session.get(Case, record_id)
        if case is None or case.city_id != city_id:
            return None
        item_ids = select(CaseItem.id).where(CaseItem.case_id == case.id)
        items = session.exec(select(func.count()).select_from(CaseItem).where(CaseItem.case_id == case.id)).one()
        # Explicit deletes rather than ON DELETE CASCADE, which SQLite applies only with foreign_keys on.
        session.exec(delete(ItemChunk).where(col(ItemChunk.item_id).in_(item_ids)))
        session.exec(delete(ResealedCityKey).where(col(ResealedCityKey.item_id).in_(item_ids)))
        session.exec(delete(CaseItem).where(col(CaseItem.case_id) == case.id))
        session.exec(delete(CaseExclusion).where(col(CaseExclusion.case_id) == case.id))
        session.exec(delete(CaseReading).where(col(CaseReading.case_id) == case.id))
        summary: dict[str, AuditValue] = {"kind": "case", "number": case.number, "category": case.category,
                                          "items": items, "concluded_on": str(case.concluded_on)}
        session.delete(case)
        return summary


PURGERS: dict[str, Purger] = {
    purger.name: purger for purger in (ConcludedCases(), ExitResponses(), ExitInvitations())
}


@dataclass(frozen=True)
class Rule:
    city_slug: str
    purger: str
    keep_days: int


def set_rule(db: Database, city_slug: str, purger: str, keep_days: int | None, *, actor: str = audit.SYSTEM,
             clock: Clock = utc_now) -> None:
    """Keep ``purger``'s records ``keep_days`` days in the city; ``None`` keeps them for good. Audited."""
    if purger not in PURGERS:
        raise InvalidInput({"purger": "Choose one of: " + ", ".join(sorted(PURGERS)) + "."})
    if keep_days is not None and not 0 <= keep_days <= 100 * 366:
        raise InvalidInput({"keep": "Give a number of days between 0 and 100 years."})
    with db.write() as session:
        city = city_by_slug(session, city_slug)
        assert city.id is not None
        city = audit.lock_city(session, city.id)
        assert city.id is not None
        rule = session.get(RetentionRule, (city.id, purger))
        if keep_days is None:
            if rule is not None:
                session.delete(rule)
        else:
            rule = rule or RetentionRule(city_id=city.id, purger=purger, keep_days=keep_days)
            rule.keep_days = keep_days
            session.add(rule)
        audit.append(session, city, actor=actor, action=AuditAction.RETENTION_RULE_SET, when=clock(), subject=purger,
                     detail={"keep_days": keep_days})


def rules(db: Database) -> list[Rule]:
    with db.read() as session:
        rows = session.exec(select(City.slug, RetentionRule.purger, RetentionRule.keep_days)
                            .join(RetentionRule, col(RetentionRule.city_id) == col(City.id))
                            .order_by(col(City.slug), col(RetentionRule.purger))).all()
    return [Rule(slug, purger, keep_days) for slug, purger, keep_days in rows]


@dataclass
class RetentionReport:
    # (city slug, purger) -> records purged
    purged: dict[tuple[str, str], int] = field(default_factory=dict)
    vacuumed: bool = False

    @property
    def total(self) -> int:
        return sum(self.purged.values())


def run_retention(db: Database, *, routing_key: bytes | None = None, clock: Clock = utc_now,
                  purgers: dict[str, Purger] | None = None, vacuum: bool = True) -> RetentionReport:
    """Apply every city's rules: purge what is due, one audited transaction per record, then vacuum.

    With ``routing_key`` (``IntakeConfig.routing_key``; the service always gives it), a purged case also leaves
    its city's sealed routing set in the purge's transaction (intake.routing): a report's intake does not look
    for purged cases in it."""
    purgers = PURGERS if purgers is None else purgers
    today = clock().date()
    report = RetentionReport()
    with db.read() as session:
        plan = session.exec(select(RetentionRule, City).join(City, col(City.id) == col(RetentionRule.city_id))
                            .order_by(col(City.slug), col(RetentionRule.purger))).all()
    touched: set[str] = set()
    for rule, city in plan:
        purger = purgers.get(rule.purger)
        if purger is None:
            continue  # a rule for a feature this version does not have: leave its records alone
        assert city.id is not None
        cutoff = today - timedelta(days=rule.keep_days)
        with db.read() as session:
            due = purger.due(session, city.id, cutoff)
        count = 0
        for record_id in due:
            with db.write() as session:
                locked = audit.lock_city(session, city.id)
                summary = purger.purge(session, city.id, record_id)
                if summary is None:
                    continue
                if routing_key is not None and isinstance(purger, ConcludedCases):
                    forget_routing(session, routing_key, city.id, [record_id])
                audit.append(session, locked, actor=audit.SYSTEM, action=AuditAction.RETENTION_PURGED, when=clock(),
                             subject=record_id, detail={**summary, "rule": purger.name, "keep_days": rule.keep_days})
            count += 1
        if count:
            report.purged[(city.slug, purger.name)] = count
            touched.update(purger.tables)
            logger.info("retention purged", extra={"fields": {"city": city.slug, "purger": purger.name,
                                                               "records": count}})
    if vacuum and touched:
        vacuum_database(db, sorted(touched))
        report.vacuumed = True
    return report


def vacuum_database(db: Database, tables: Sequence[str]) -> None:
    """Return deleted rows' pages so their bytes leave the files: SQLite rewrites the file (and empties the
    write-ahead log); PostgreSQL's VACUUM clears dead rows from the named tables."""
    if db.is_sqlite:
        # On the driver's connection, which runs in autocommit (intake.db): VACUUM refuses to run in a transaction.
        raw = db.engine.raw_connection()
        try:
            cursor = raw.cursor()
            for statement in ("PRAGMA wal_checkpoint(TRUNCATE)", "VACUUM", "PRAGMA wal_checkpoint(TRUNCATE)"):
                cursor.execute(statement)
            cursor.close()
        finally:
            raw.close()
        return
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        for table in tables:
            connection.execute(text(f'VACUUM "{table}"'))


def next_daily_run(now: datetime) -> datetime:
    run_at = datetime.combine(now.date(), time(DAILY_RUN_HOUR), tzinfo=now.tzinfo)
    return run_at if run_at > now else run_at + timedelta(days=1)


def schedule_daily(session: Session, *, clock: Clock = utc_now) -> None:
    """Enqueue the next daily retention run; a dedupe key per day means any number of workers agree on one."""
    run_at = next_daily_run(clock())
    enqueue(session, RETENTION_JOB, {}, dedupe_key=f"{RETENTION_JOB}:{run_at.date().isoformat()}",
            run_after=run_at, clock=clock)


def run_retention_job(db: Database, run: JobRun, *, routing_key: bytes | None = None) -> None:
    """The daily job: purge (idempotent: a retried run finds nothing left to purge), delete expired attempt
    counters and invitations, then schedule tomorrow's run in the same transaction that finishes this one."""
    run_retention(db, routing_key=routing_key, clock=run.clock)
    # Counters and invitations that ran out (docs/design.md#limits-an-attacker-cannot-turn-against-users).
    purge_expired(db, now=run.clock())
    purge_expired_invitations(db, clock=run.clock)
    with db.write() as session:
        schedule_daily(session, clock=lambda: run.clock() + timedelta(minutes=1))
        run.finish(session)
