"""Phone recordings as sealed case items (docs/design.md#phone, docs/design.md#streaming).

A recording is voice-disguised (intake.phone.voice_disguise) unless its city turned that off, then encrypted in
chunks (crypto.streaming) under a fresh data key sealed to the city. The original audio is never stored.

It is sealed to the city only, not to the reporter (``key_for_reporter`` is empty): a report key is a bearer
secret that a caller may write on paper, and whoever finds it should not be able to hear the caller, even
disguised. The caller knows what they said; by phone or web they see that their recording arrived.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, select

from crypto.sealing import ItemContext, Recipient, new_data_key, seal_data_key
from crypto.streaming import seal_chunks
from intake import audit
from intake.audit.actions import AuditAction
from intake.clock import Clock, utc_now
from intake.db import Database
from intake.errors import NotFound
from intake.items import AUTHOR_PHONE_CALLER, new_id, next_position
from intake.models import Case, CaseItem, ItemChunk, Job
from intake.models.job import QUEUED, RUNNING
from intake.phone import voice_disguise
from intake.phone.audio import decode_wav, encode_wav
from intake.phone.lines import disguise_voice

KIND_RECORDING = "recording"


@dataclass(frozen=True)
class StoredRecording:
    case_id: str
    item_id: str
    disguised: bool
    seconds: float


def prepare_audio(original_wav: bytes, disguise: bool) -> tuple[bytes, float]:
    """The WAV to store and its length in seconds. Raises intake.phone.audio.AudioError for anything not audio, so a
    truncated download is retried instead of stored."""
    audio = decode_wav(original_wav)
    if not disguise:
        return original_wav, audio.seconds
    return encode_wav(voice_disguise.disguise(audio)), audio.seconds


def store_recording(
    db: Database,
    *,
    case_id: str,
    original_wav: bytes,
    clock: Clock = utc_now,
    in_transaction: Callable[[Session], None] | None = None,
) -> StoredRecording:
    """Disguise (unless the city turned it off), seal and store a recording as a new item of ``case_id``.

    ``in_transaction`` runs inside the transaction that stores the item, so whatever must follow the stored
    copy (the job that deletes the recording at the phone company, JobRun.finish) commits with it or not at all.
    """
    with db.read() as session:
        case = session.get(Case, case_id)
        if case is None:
            raise NotFound("the case no longer exists")
        disguise = disguise_voice(session, case.city_id)
    wav, seconds = prepare_audio(original_wav, disguise)
    item_id = new_id()
    context = ItemContext(city_id=case.city_id, case_id=case.id, item_id=item_id, kind=KIND_RECORDING)
    data_key = new_data_key()
    header, sealed = seal_chunks(data_key, context, [wav])
    chunks = list(sealed)
    with db.write() as session:
        city = audit.lock_city(session, case.city_id)
        if session.get(Case, case_id) is None:
            raise NotFound("the case no longer exists")
        session.add(CaseItem(
            id=item_id, case_id=case.id, city_id=case.city_id, position=next_position(session, case.id),
            kind=KIND_RECORDING, author=AUTHOR_PHONE_CALLER, created_on=clock().date(),
            # Visible: the reporter knows they made it. Readable by the city only (see the module docstring).
            visible_to_reporter=True, ciphertext=None, stream_header=header,
            key_for_city=seal_data_key(data_key, city.public_key, context, Recipient.CITY), key_for_reporter=None,
        ))
        session.flush()
        for index, chunk in enumerate(chunks):
            session.add(ItemChunk(item_id=item_id, index=index, ciphertext=chunk))
        audit.append(session, city, actor=audit.PHONE_CALLER, action=AuditAction.CASE_RECORDING_ADDED, when=clock(),
                     subject=case.id, detail={"disguised": int(disguise)})
        if in_transaction is not None:
            in_transaction(session)
    return StoredRecording(case_id=case.id, item_id=item_id, disguised=disguise, seconds=seconds)


def recordings_of(db: Database, case_id: str) -> list[str]:
    """Item ids of the case's recordings, oldest first."""
    with db.read() as session:
        return list(session.exec(select(CaseItem.id).where(CaseItem.case_id == case_id,
                                                           CaseItem.kind == KIND_RECORDING)
                                 .order_by(col(CaseItem.position))).all())


def pending_job_payloads(db: Database, kinds: Collection[str]) -> list[dict[str, Any]]:
    """Payloads of the jobs of these kinds not yet done (queued or running). The recording pipeline uses it to
    delete a call's record at the phone company only after every recording of the call is dealt with."""
    with db.read() as session:
        rows = session.exec(select(Job.payload).where(col(Job.kind).in_(list(kinds)),
                                                      col(Job.state).in_([QUEUED, RUNNING]))).all()
    return [json.loads(row) for row in rows]


def scrub_write_ahead_log(db: Database) -> None:
    """On SQLite, copy the write-ahead log into the database and empty it. Old versions of rows (a job payload
    with a call SID, say) otherwise linger in the -wal file after the rows changed; the database file itself
    zeroes what is deleted (PRAGMA secure_delete, intake.db). Best effort: with a reader active it does part."""
    if db.is_sqlite:
        with db.engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
