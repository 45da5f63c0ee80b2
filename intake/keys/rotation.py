"""Rotating a city's key pair (docs/design.md#key-rotation).

A new key pair is made; every item's data key is opened with the old city key and sealed to the new one
(crypto.sealing.reseal_for_new_city_key); the content itself is not re-encrypted. The rotation is durable and
resumable:

1. ``start``: a ``CityKeyRotation`` row holds the new public key and the new private key wrapped under the
   city's recovery key (never under the old city key: rotation must help when the old key has leaked). Each run
   (the first and any resumed one) also makes a new recovery key, unless told to keep the old one, and keeps the
   new private key wrapped under it; the run that finishes returns it, to be printed once.
2. ``reseal``: in batches, each item's data key sealed to the new key is stored aside in ``resealed_city_key``
   with a digest of the sealed key it came from, one transaction per batch, under the city lock. Killed at any
   point, the next run carries on from the items that have no resealed key yet. Until the switch every reader
   keeps using the old key and old sealed keys, so nobody loses access while a rotation runs.
3. ``switch``: in one transaction under the city lock, every item whose sealed key no longer matches the digest
   it was re-sealed from (a redaction landed meanwhile) and every item added meanwhile is re-sealed from what it
   holds now, every item takes its new sealed key, the city takes the new key pair (and the new recovery key),
   the old key is retired from every reviewer (their password copies and open sessions) and the new key is
   sealed to each reviewer's personal key (intake.keys.grants), to be taken at their next sign-in.

Every other change to an item's sealed key or content (a redaction, a new message or recording, a retention
purge) also takes the city lock, so it lands wholly before the switch, and is caught by the digest, or wholly
after it, sealed to the new key (docs/design.md#key-rotation; tests/intake/keys/test_rotation_interleaving.py).
"""

from __future__ import annotations

import functools
import hashlib
import os
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, delete, exists, func, insert, or_, update
from sqlalchemy import select as sa_select
from sqlalchemy.engine import Connection
from sqlmodel import Session, col, select

from crypto import hpke_keys
from crypto.personal_keys import seal_city_key_to_reviewer
from crypto.recovery import generate_recovery_key, recovery_key_check, recovery_wrapping_key
from crypto.sealing import ItemContext, reseal_for_new_city_key
from crypto.wrapping import unwrap_with_key, wrap_under_key
from intake import audit
from intake.audit.actions import AuditAction
from intake.cities import city_by_slug, open_city_key_with_recovery_key, recovery_binding
from intake.clock import Clock, utc_now
from intake.db import Database
from intake.items import exit_answers_context
from intake.keys.grants import city_members_without_personal_key
from intake.keys.resealing import reseal_batch, resealers
from intake.models import (
    CaseItem,
    City,
    CityKeyGrant,
    CityKeyRotation,
    ExitResponse,
    Membership,
    ResealedCityKey,
    ReviewerKey,
    ReviewerSession,
    SessionCityKey,
)
from intake.models.keys import ROTATION_DONE, ROTATION_RUNNING

DEFAULT_BATCH = 200

# The tables themselves, for the statements run over every item (Core: none of the ORM's per-row work).
_ITEMS = CaseItem.__table__  # type: ignore[attr-defined]
_STAGED = ResealedCityKey.__table__  # type: ignore[attr-defined]

# Called after each batch with (items resealed so far, items to reseal in all).
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class RotationResult:
    city_slug: str
    from_version: int
    to_version: int
    items: int
    resumed: bool
    reviewers_granted: int
    # Reviewers who held the old key but have no personal key pair (not signed in since the upgrade): they need
    # an admin to give them the key again (`hotline reviewer add`, or `hotline key recover` for an admin).
    reviewers_unreachable: tuple[int, ...]
    # The city's new recovery key, to be shown once (None: the old one was kept). The old one opens nothing now.
    recovery_key: str | None = None
    # Items that changed while the rotation ran (a redaction) and were re-sealed again at the switch.
    changed_meanwhile: int = 0


def sealed_key_digest(key_for_city: bytes) -> bytes:
    return hashlib.sha256(key_for_city).digest()


def _kept_aside(rotation_id: Any) -> Any:
    """Whether the item of the enclosing query already has its key resealed and kept aside in this rotation."""
    return exists().where(_STAGED.c.item_id == _ITEMS.c.id, _STAGED.c.rotation_id == rotation_id)


def _items_left(session: Session, city_id: int, rotation_id: int) -> int:
    return session.exec(select(func.count()).select_from(_ITEMS)
                        .where(_ITEMS.c.city_id == city_id, ~_kept_aside(rotation_id))).one()


@dataclass(frozen=True)
class _Sealed:
    item_id: str
    context: ItemContext
    key_for_city: bytes

    @classmethod
    def of_row(cls, item_id: str, city_id: int, case_id: str, kind: str, key_for_city: bytes) -> _Sealed:
        return cls(item_id, ItemContext(city_id=city_id, case_id=case_id, item_id=item_id, kind=kind), key_for_city)


# The columns _Sealed.of_row takes, in its order.
_SEALED_COLUMNS = (_ITEMS.c.id, _ITEMS.c.city_id, _ITEMS.c.case_id, _ITEMS.c.kind, _ITEMS.c.key_for_city)


def _next_batch(session: Session, city_id: int, rotation_id: int, limit: int,
                after: str) -> tuple[list[_Sealed], str | None]:
    """The next ``limit`` items in id order after ``after`` (a key-set cursor, so a long rotation does not rescan
    what it has done), less those whose key is already resealed (by an earlier run of a resumed rotation), with the
    cursor to go on from (None: no items are left)."""
    rows = session.connection().execute(_next_batch_query(), {"city_id": city_id, "rotation_id": rotation_id,
                                                              "after": after, "limit": limit}).all()
    if not rows:
        return [], None
    return [_Sealed.of_row(*row[:-1]) for row in rows if not row.staged], rows[-1][0]


@functools.cache
def _next_batch_query() -> Any:
    """Whether an item is resealed is asked per row read (an index probe of each), not as an anti-join: planned
    from statistics taken before the rotation, when nothing was resealed yet, PostgreSQL's anti-join scanned every
    key resealed so far once per batch (`hotline bench rotation`). Built once, like intake.routing's statements."""
    return (sa_select(*_SEALED_COLUMNS, _kept_aside(bindparam("rotation_id")).label("staged"))
            .where(_ITEMS.c.city_id == bindparam("city_id"), _ITEMS.c.id > bindparam("after"))
            .order_by(_ITEMS.c.id).limit(bindparam("limit")))


def _items_not_staged(session: Session, city_id: int, rotation_id: int, limit: int) -> list[_Sealed]:
    """Items whose key is not resealed yet, wherever they are (the switch: items added or changed meanwhile)."""
    rows = session.connection().execute(
        sa_select(*_SEALED_COLUMNS).where(_ITEMS.c.city_id == city_id, ~_kept_aside(rotation_id))
        .order_by(_ITEMS.c.id).limit(limit)).all()
    return [_Sealed.of_row(*row) for row in rows]


def running_rotation(session: Session, city_id: int) -> CityKeyRotation | None:
    return session.exec(select(CityKeyRotation).where(CityKeyRotation.city_id == city_id,
                                                      CityKeyRotation.state == ROTATION_RUNNING)).first()


def _start(db: Database, city: City, recovery_key: str, new_recovery_key: str | None,
           clock: Clock) -> tuple[CityKeyRotation, bytes, bool]:
    """The running rotation of the city (resumed) or a new one, and its new private key. With
    ``new_recovery_key``, the new private key is also wrapped under it, replacing what an earlier run made."""
    wrapping_key = recovery_wrapping_key(recovery_key)
    with db.write() as session:
        assert city.id is not None
        locked = audit.lock_city(session, city.id)
        rotation = running_rotation(session, city.id)
        resumed = rotation is not None
        if rotation is not None:
            # The recovery key opens the new private key too; WrongSecret here means another recovery key.
            private = unwrap_with_key(rotation.new_recovery_wrapped_private_key, wrapping_key,
                                      recovery_binding(locked.slug))
        else:
            pair = hpke_keys.generate_key_pair()
            private = pair.private_bytes
            total = session.exec(select(func.count()).select_from(CaseItem).where(CaseItem.city_id == city.id)).one()
            rotation = CityKeyRotation(
                city_id=city.id, from_version=locked.key_version, to_version=locked.key_version + 1,
                new_public_key=pair.public_bytes,
                new_recovery_wrapped_private_key=wrap_under_key(private, wrapping_key, recovery_binding(locked.slug)),
                items_total=total, started_at=clock(),
            )
            audit.append(session, locked, actor=audit.SYSTEM, action=AuditAction.KEY_ROTATION_STARTED, when=clock(),
                         detail={"from_version": rotation.from_version, "to_version": rotation.to_version,
                                 "new_recovery_key": int(new_recovery_key is not None)})
        rotation.next_recovery_wrapped_private_key = (
            None if new_recovery_key is None else
            wrap_under_key(private, recovery_wrapping_key(new_recovery_key), recovery_binding(locked.slug)))
        session.add(rotation)
        session.flush()
        return rotation, private, resumed


def rotate_city_key(
    db: Database,
    city_slug: str,
    recovery_key: str,
    *,
    keep_recovery_key: bool = False,
    batch_size: int = DEFAULT_BATCH,
    progress: Progress | None = None,
    clock: Clock = utc_now,
    resealing_workers: int | None = None,
) -> RotationResult:
    """Rotate (or finish rotating) the city's key. The recovery key opens the old key. Unless
    ``keep_recovery_key``, a new recovery key guards the new key from the switch on, and is returned (once) in the
    result; the old recovery key then opens nothing. Kept, the old one guards the new key.

    ``resealing_workers`` processes do the HPKE work (default: one per core; one means a thread of this process).

    Raises :class:`crypto.errors.WrongSecret` when ``recovery_key`` is not the city's.
    """
    with db.read() as session:
        city = city_by_slug(session, city_slug)
    assert city.id is not None
    old_private_key_bytes = open_city_key_with_recovery_key(city, recovery_key)
    old_private = hpke_keys.load_private_key(old_private_key_bytes)
    new_recovery_key = None if keep_recovery_key else generate_recovery_key()
    rotation, new_private, resumed = _start(db, city, recovery_key, new_recovery_key, clock)
    assert rotation.id is not None
    new_public = hpke_keys.load_public_key(rotation.new_public_key)
    with db.read() as session:
        done = rotation.items_total - min(rotation.items_total, _items_left(session, city.id, rotation.id))
    total = max(rotation.items_total, done)
    if progress:
        progress(done, total)
    cursor: str | None = ""
    # The HPKE work runs in worker processes, one per core (intake.keys.resealing), several batches ahead, while
    # this process reads the next batches and stores finished ones. Writes stay one at a time and in order, each
    # committing its own progress, and the next is handed to the writer only after the one before was reported.
    left = max(0, total - done)
    workers = max(1, min(resealing_workers if resealing_workers is not None else (os.cpu_count() or 1),
                         -(-left // batch_size)))
    in_flight: deque[tuple[list[_Sealed], Future[list[bytes]]]] = deque()
    with resealers(workers) as sealers, ThreadPoolExecutor(max_workers=1, thread_name_prefix="reseal-writer") as writer:
        pending: Future[int] | None = None
        while True:
            while cursor is not None and len(in_flight) < 2 * workers:
                with db.read() as session:
                    batch, cursor = _next_batch(session, city.id, rotation.id, batch_size, cursor)
                if not batch:
                    continue
                # The HPKE work happens outside any transaction; the write only stores the results.
                in_flight.append((batch, sealers.submit(
                    reseal_batch, old_private_key_bytes, rotation.new_public_key,
                    [(item.key_for_city, item.context) for item in batch])))
            if not in_flight:
                break
            batch, sealing = in_flight.popleft()
            resealed = {item.item_id: (key, sealed_key_digest(item.key_for_city))
                        for item, key in zip(batch, sealing.result(), strict=True)}
            if pending is not None:
                done += pending.result()
                total = max(total, done)
                if progress:
                    progress(done, total)
            pending = writer.submit(_store_batch, db, city.id, rotation.id, resealed)
        if pending is not None:
            done += pending.result()
            if progress:
                progress(done, max(total, done))
    switched = _switch(db, city.id, rotation.id, old_private, new_private, new_public, recovery_key, clock)
    if progress:
        progress(total, total)
    return RotationResult(city_slug=city.slug, from_version=rotation.from_version, to_version=rotation.to_version,
                          items=switched.items, resumed=resumed, reviewers_granted=switched.granted,
                          reviewers_unreachable=switched.unreachable,
                          recovery_key=new_recovery_key if switched.recovery_key_replaced else None,
                          changed_meanwhile=switched.changed_meanwhile)


def _store_batch(db: Database, city_id: int, rotation_id: int, resealed: dict[str, tuple[bytes, bytes]]) -> int:
    """Keep a batch of re-sealed keys aside. Under the city lock, which every change to an item takes, so an item
    deleted meanwhile (retention) is seen gone and skipped: its resealed key would point nowhere."""
    with db.write() as session:
        audit.lock_city_key(session, city_id)
        connection = session.connection()
        # A batch is a run of the city's items in the database's id order (_next_batch), kept in that order: those
        # still there are read as the range from its first id to its last, one statement built once, rather than
        # as a list of two hundred ids to render and send.
        ids = list(resealed)
        in_range = connection.execute(_items_in_range_query(), {"city_id": city_id, "first": ids[0],
                                                                 "last": ids[-1]}).scalars()
        rows = [(item_id, rotation_id, *resealed[item_id]) for item_id in in_range if item_id in resealed]
        _insert_staged(connection, rows)
        connection.execute(update(CityKeyRotation).where(col(CityKeyRotation.id) == rotation_id)
                           .values(items_resealed=CityKeyRotation.items_resealed + len(rows)))
    return len(resealed)


@functools.cache
def _items_in_range_query() -> Any:
    return sa_select(_ITEMS.c.id).where(_ITEMS.c.city_id == bindparam("city_id"),
                                        _ITEMS.c.id.between(bindparam("first"), bindparam("last")))


_STAGED_COLUMNS = ("item_id", "rotation_id", "key_for_city", "source_digest")


def _insert_staged(connection: Connection, rows: list[tuple[str, int, bytes, bytes]]) -> None:
    """Insert resealed keys. On PostgreSQL with COPY, in the transaction: an INSERT per row through the driver's
    pipeline cost about 50 us of this process's CPU per item, as much as a fifth of the HPKE work it stores
    (`hotline bench rotation`). SQLite's executemany already runs its loop in C."""
    if not rows:
        return
    if connection.dialect.name == "postgresql":
        driver = connection.connection.driver_connection
        assert driver is not None
        with driver.cursor() as cursor, cursor.copy(
                f"COPY {_STAGED.name} ({', '.join(_STAGED_COLUMNS)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    connection.execute(insert(_STAGED), [dict(zip(_STAGED_COLUMNS, row, strict=True)) for row in rows])


def _drop_changed(session: Session, rotation_id: int) -> int:
    """Forget the resealed keys of items whose sealed key changed after they were re-sealed (a redaction seals the
    remaining text under a fresh data key): theirs would open the content as it was, which is gone. They are then
    re-sealed from what they hold now, with the items added meanwhile. Returns how many.

    One statement: the digest of each item's sealed key is taken by the database (PostgreSQL's sha256, and the same
    function on SQLite, intake.db), so the switch does not read every item's key back into Python."""
    current = (sa_select(func.sha256(_ITEMS.c.key_for_city)).where(_ITEMS.c.id == _STAGED.c.item_id)
               .scalar_subquery())
    dropped = session.execute(
        delete(_STAGED).where(_STAGED.c.rotation_id == rotation_id,
                              or_(_STAGED.c.source_digest.is_(None), _STAGED.c.source_digest != current)))
    return int(dropped.rowcount)  # type: ignore[attr-defined]


@dataclass(frozen=True)
class _Switched:
    items: int
    granted: int
    unreachable: tuple[int, ...]
    recovery_key_replaced: bool
    changed_meanwhile: int


def _switch(
    db: Database, city_id: int, rotation_id: int, old_private: hpke_keys.PrivateKey, new_private: bytes,
    new_public: hpke_keys.PublicKey, old_recovery_key: str, clock: Clock,
) -> _Switched:
    with db.write() as session:
        city = audit.lock_city(session, city_id)
        rotation = session.get(CityKeyRotation, rotation_id)
        assert rotation is not None and rotation.state == ROTATION_RUNNING
        changed = _drop_changed(session, rotation_id)
        # Items added since the last batch (a report that arrived meanwhile) and items that changed: the city
        # lock keeps any further change out until this transaction commits.
        while late := _items_not_staged(session, city_id, rotation_id, DEFAULT_BATCH):
            _insert_staged(session.connection(), [
                (item.item_id, rotation_id,
                 reseal_for_new_city_key(item.key_for_city, item.context, old_private, new_public),
                 sealed_key_digest(item.key_for_city))
                for item in late])
        # Every item takes its staged key in one UPDATE ... FROM (a join, not a lookup per item).
        moved = session.execute(
            update(_ITEMS).where(_ITEMS.c.id == _STAGED.c.item_id, _ITEMS.c.city_id == city_id,
                                 _STAGED.c.rotation_id == rotation_id)
            .values(key_for_city=_STAGED.c.key_for_city)
        ).rowcount  # type: ignore[attr-defined]
        session.execute(delete(ResealedCityKey).where(col(ResealedCityKey.rotation_id) == rotation_id))
        exit_responses = _reseal_exit_responses(session, city_id, old_private, new_public)
        unreachable = tuple(city_members_without_personal_key(session, city))
        replaced = rotation.next_recovery_wrapped_private_key is not None
        if rotation.next_recovery_wrapped_private_key is not None:
            # From now on only the new recovery key opens the city key, here and in the rotation's own row.
            rotation.new_recovery_wrapped_private_key = rotation.next_recovery_wrapped_private_key
            rotation.next_recovery_wrapped_private_key = None
            rotation.retired_recovery_check = recovery_key_check(old_recovery_key)
        city.public_key = rotation.new_public_key
        city.recovery_wrapped_private_key = rotation.new_recovery_wrapped_private_key
        city.key_version = rotation.to_version
        rotation.state = ROTATION_DONE
        rotation.items_resealed = moved
        rotation.finished_at = clock()
        session.add(rotation)
        granted = _grant_to_members(session, city, new_private, clock)
        _retire_old_key(session, city_id)
        audit.append(session, city, actor=audit.SYSTEM, action=AuditAction.KEY_ROTATED, when=clock(),
                     detail={"to_version": rotation.to_version, "items": moved, "exit_responses": exit_responses,
                             "reviewers_granted": granted, "reviewers_unreachable": len(unreachable),
                             "changed_meanwhile": changed})
        if replaced:
            audit.append(session, city, actor=audit.SYSTEM, action=AuditAction.KEY_RECOVERY_KEY_REPLACED,
                         when=clock(), detail={"key_version": rotation.to_version})
    return _Switched(moved, granted, unreachable, replaced, changed)


def _reseal_exit_responses(session: Session, city_id: int, old_private: hpke_keys.PrivateKey,
                            new_public: hpke_keys.PublicKey) -> int:
    """Exit-survey answers are sealed to the city key too: their data keys move to the new key in the
    switch itself, under the city lock that a new response also takes (intake.exit.survey), so none is left
    sealed to a key that no longer exists. A city gets a few hundred a year, so this needs no staging."""
    rows = session.execute(
        sa_select(col(ExitResponse.id), col(ExitResponse.questionnaire_id), col(ExitResponse.key_for_city))
        .where(col(ExitResponse.city_id) == city_id)).all()
    for response_id, questionnaire_id, key_for_city in rows:
        context = exit_answers_context(city_id, response_id, questionnaire_id)
        session.execute(update(ExitResponse).where(col(ExitResponse.id) == response_id).values(
            key_for_city=reseal_for_new_city_key(key_for_city, context, old_private, new_public)))
    return len(rows)


def _grant_to_members(session: Session, city: City, new_private: bytes, clock: Clock) -> int:
    """Seal the new city key to every reviewer of the city who held the old one and has a personal key."""
    assert city.id is not None
    rows = session.exec(
        select(Membership.reviewer_id, ReviewerKey.public_key)
        .join(ReviewerKey, col(ReviewerKey.reviewer_id) == col(Membership.reviewer_id))
        .where(Membership.city_id == city.id, col(Membership.wrapped_city_key).is_not(None))
    ).all()
    session.execute(delete(CityKeyGrant).where(col(CityKeyGrant.city_id) == city.id))
    for reviewer_id, public_key in rows:
        session.add(CityKeyGrant(
            reviewer_id=reviewer_id, city_id=city.id, key_version=city.key_version, created_at=clock(),
            sealed_city_key=seal_city_key_to_reviewer(new_private, public_key, city_id=city.id,
                                                      reviewer_id=reviewer_id, key_version=city.key_version)))
    return len(rows)


def _retire_old_key(session: Session, city_id: int) -> None:
    """No copy of the old key stays: password-wrapped copies are cleared and sessions holding it end."""
    session.execute(update(Membership).where(col(Membership.city_id) == city_id).values(wrapped_city_key=None))
    holding = select(SessionCityKey.session_id).where(SessionCityKey.city_id == city_id)
    ended = select(ReviewerSession.id).where(col(ReviewerSession.city_id) == city_id)
    session_ids = set(session.exec(holding).all()) | set(session.exec(ended).all())
    if session_ids:
        session.execute(delete(SessionCityKey).where(col(SessionCityKey.session_id).in_(session_ids)))
        session.execute(delete(ReviewerSession).where(col(ReviewerSession.id).in_(session_ids)))


@dataclass(frozen=True)
class RotationStatus:
    city_slug: str
    key_version: int
    running: bool
    items_resealed: int
    items_total: int


def rotation_status(db: Database, city_slug: str) -> RotationStatus:
    with db.read() as session:
        city = city_by_slug(session, city_slug)
        assert city.id is not None
        rotation = running_rotation(session, city.id)
        if rotation is None:
            return RotationStatus(city.slug, city.key_version, False, 0, 0)
        assert rotation.id is not None
        left = _items_left(session, city.id, rotation.id)
        total = session.exec(select(func.count()).select_from(CaseItem).where(CaseItem.city_id == city.id)).one()
        return RotationStatus(city.slug, city.key_version, True, total - left, total)
