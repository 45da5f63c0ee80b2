"""Phone recordings as sealed case items (docs/design.md#phone, docs/design.md#streaming, docs/design.md#transcripts).

A recording is transcribed in memory (intake.phone.transcription), voice-disguised (intake.phone.voice_disguise)
unless its city turned that off, then encrypted in chunks (crypto.streaming) under a fresh data key sealed to the
city; a city in transcript-only mode keeps no audio at all. The original audio is never stored. The transcript is
a sealed text item beside it, and the reviewers it names are kept out of the case before it reaches an inbox.

It is sealed to the city only, not to the reporter (``key_for_reporter`` is empty): a report key is a bearer
secret that a caller may write on paper, and whoever finds it should not be able to hear the caller, even
disguised. The caller knows what they said; by phone or web they see that their recording arrived.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, select

from crypto.sealing import ItemContext, Recipient, new_data_key, seal_data_key
from crypto.streaming import seal_chunks
from intake import audit
from intake.audit.actions import AuditAction
from intake.clock import Clock, utc_now
from intake.config import IntakeConfig
from intake.db import Database
from intake.errors import NotFound
from intake.items import AUTHOR_PHONE_CALLER, new_id, sealed_text_item
from intake.models import Case, CaseItem, ItemChunk, Job
from intake.models.job import QUEUED, RUNNING
from intake.phone import voice_disguise
from intake.phone.audio import Audio, AudioError, decode_wav, encode_wav
from intake.phone.lines import audio_choice
from intake.phone.reports import route_phone_case
from intake.phone.transcription import (
    OPERATOR_REASONS,
    UNREADABLE,
    Engine,
    EngineUnavailable,
    KeepAlive,
    Transcript,
    TranscriptUnavailable,
    transcribe,
)
from intake.reports import release

logger = logging.getLogger("hotline.voice")

KIND_RECORDING = "recording"
KIND_TRANSCRIPT = "transcript"
KIND_TRANSCRIPT_UNAVAILABLE = "transcript_unavailable"
AUTHOR_SYSTEM = "system"


@dataclass(frozen=True)
class StoredRecording:
    case_id: str
    # The audio item, or None when nothing of the audio was kept (transcript-only, or unreadable).
    item_id: str | None
    disguised: bool
    seconds: float
    # The transcript's engine, or None; then ``unavailable`` says why (intake.phone.transcription.REASONS).
    engine: str | None = None
    unavailable: str | None = None
    routed: bool = False


@dataclass(frozen=True)
class Transcription:
    """How the recording job transcribes: the engine, the length cap and what keeps the job's lease."""

    engine: Engine
    max_seconds: float
    keep_alive: KeepAlive = lambda: None


def prepare_audio(original_wav: bytes, disguise: bool) -> tuple[bytes, float]:
    """The WAV to store and its length in seconds. Raises intake.phone.audio.AudioError for anything not audio, so a
    truncated download is retried instead of stored."""
    audio = decode_wav(original_wav)
    if not disguise:
        return original_wav, audio.seconds
    return encode_wav(voice_disguise.disguise(audio)), audio.seconds


def transcript_of(audio: Audio | None, language: str, transcription: Transcription | None,
                  ) -> Transcript | TranscriptUnavailable | None:
    """The transcript, or why there is none; None when the deployment transcribes nothing. EngineUnavailable
    (the model cannot be loaded) is returned like any other reason; the caller decides whether to retry."""
    if transcription is None:
        return None
    if audio is None:
        return TranscriptUnavailable(UNREADABLE, "the recording is not audio this service can read")
    try:
        return transcribe(transcription.engine, audio, language, max_seconds=transcription.max_seconds,
                          keep_alive=transcription.keep_alive)
    except TranscriptUnavailable as unavailable:
        return unavailable


def transcribe_only(original_wav: bytes, language: str, transcription: Transcription, *,
                    give_up: bool = False) -> Transcript | TranscriptUnavailable:
    """A recording's transcript, or why there is none, keeping nothing of the audio (an exit interview's closing
    comment, docs/design.md#exit-interviews-by-phone). Unreadable audio raises AudioError unless ``give_up``; an
    engine that cannot run raises EngineUnavailable, so the recording waits for it."""
    try:
        audio: Audio | None = decode_wav(original_wav)
    except AudioError:
        if not give_up:
            raise
        audio = None
    transcript = transcript_of(audio, language, transcription)
    assert transcript is not None
    if isinstance(transcript, EngineUnavailable):
        raise transcript
    if isinstance(transcript, TranscriptUnavailable):
        log_unavailable(transcript)
    return transcript


def log_unavailable(transcript: TranscriptUnavailable) -> None:
    """Log a missing transcript only when the operator has something to fix. A log line is timed to the second and
    a recording is stored right after its call, so a line for what is only a fact of the call (no words heard, too
    long) would date the caller's report (docs/design.md#known-gaps); the case says why in any case."""
    if transcript.reason in OPERATOR_REASONS:
        logger.error("transcript unavailable", extra={"fields": {"reason": transcript.reason,
                                                                 "detail": transcript.detail}})


def store_recording(
    db: Database,
    *,
    case_id: str,
    original_wav: bytes,
    clock: Clock = utc_now,
    in_transaction: Callable[[Session], None] | None = None,
    language: str = "en",
    transcription: Transcription | None = None,
    give_up: bool = False,
    route: bool = True,
    config: IntakeConfig,
) -> StoredRecording:
    """Transcribe, disguise (unless the city turned it off), seal and store a recording as items of ``case_id``,
    then route the case if it is not yet, excluding the reviewers its transcript names.

    Everything happens in memory: the original audio is never written anywhere. A city in transcript-only mode
    keeps no audio at all. Audio that cannot be read raises AudioError (the download is retried) unless
    ``give_up``: then the case says so and keeps what the city's mode allows. A transcription engine that cannot
    run raises EngineUnavailable in a transcript-only city (the recording waits at the phone company until it
    is fixed); elsewhere the audio is kept and the case says the transcript is unavailable.

    ``in_transaction`` runs inside the transaction that stores the items, so whatever must follow the stored
    copy (the job that deletes the recording at the phone company, JobRun.finish) commits with it or not at all.
    """
    with db.read() as session:
        case = session.get(Case, case_id)
        if case is None:
            raise NotFound("the case no longer exists")
        choice = audio_choice(session, case.city_id)
    audio: Audio | None
    try:
        audio = decode_wav(original_wav)
    except AudioError:
        if not give_up:
            raise
        logger.error("recording unreadable", extra={"fields": {"bytes": len(original_wav)}})
        audio = None
    transcript = transcript_of(audio, language, transcription)
    if isinstance(transcript, TranscriptUnavailable):
        log_unavailable(transcript)
        if isinstance(transcript, EngineUnavailable) and not choice.keep_audio:
            raise transcript
    wav: bytes | None = None
    if choice.keep_audio and audio is not None:
        wav = encode_wav(voice_disguise.disguise(audio)) if choice.disguise_voice else original_wav
    elif choice.keep_audio and not choice.disguise_voice:
        wav = original_wav  # unreadable, but the city keeps voices as they come: kept as received
    seconds = audio.seconds if audio is not None else 0.0
    item_id = new_id() if wav is not None else None
    data_key = new_data_key()
    header: bytes | None = None
    chunks: list[bytes] = []
    if wav is not None and item_id is not None:
        context = ItemContext(city_id=case.city_id, case_id=case.id, item_id=item_id, kind=KIND_RECORDING)
        header, sealed = seal_chunks(data_key, context, [wav], len(wav))
        chunks = list(sealed)
    del original_wav, wav, audio
    routed = False
    with db.write() as session:
        city = audit.lock_city(session, case.city_id)
        current = session.get(Case, case_id)
        if current is None:
            raise NotFound("the case no longer exists")
        assert city.id is not None
        # Reviewers get what the call left at the next release slot, like a message (intake.reports.release): a
        # recording that appears a few minutes after a call would date the call.
        if item_id is not None:
            context = ItemContext(city_id=case.city_id, case_id=case.id, item_id=item_id, kind=KIND_RECORDING)
            session.add(CaseItem(
                id=item_id, case_id=case.id, city_id=case.city_id,
                position=release.placeholder_position(session, case.id), kind=KIND_RECORDING,
                author=AUTHOR_PHONE_CALLER, created_on=clock().date(),
                # Visible: the reporter knows they made it. Readable by the city only (see the module docstring).
                visible_to_reporter=True, ciphertext=None, stream_header=header,
                key_for_city=seal_data_key(data_key, city.public_key, context, Recipient.CITY), key_for_reporter=None,
                released=False,
            ))
            session.flush()
            release.hold_item(session, city.id, case.id, item_id)
            for index, chunk in enumerate(chunks):
                session.add(ItemChunk(item_id=item_id, index=index, ciphertext=chunk))
        if transcript is not None:
            made = transcript_item(session, current, city.public_key, transcript, clock)
            made.released = False  # with the recording, at the next release slot
            session.add(made)
            session.flush()
            release.hold_item(session, city.id, case.id, made.id)
        detail: dict[str, str | int | None] = {"disguised": int(choice.disguise_voice and item_id is not None),
                                                "audio_kept": int(item_id is not None)}
        if isinstance(transcript, Transcript):
            detail["transcript"] = transcript.engine
        elif transcript is not None:
            detail["transcript"] = "unavailable: " + transcript.reason
        release.hold_entry(session, city.id, actor=audit.PHONE_CALLER, action=AuditAction.CASE_RECORDING_ADDED,
                           day=clock().date(), subject=case.id, detail=detail)
        session.flush()
        if route:
            texts = [transcript.text] if isinstance(transcript, Transcript) else []
            routed = route_phone_case(session, city, config, case.id, texts, clock=clock)
        release.now_if_urgent(session, city, current, at_once=config.release_at_once)
        if in_transaction is not None:
            in_transaction(session)
    return StoredRecording(
        case_id=case.id, item_id=item_id, disguised=choice.disguise_voice and item_id is not None, seconds=seconds,
        engine=transcript.engine if isinstance(transcript, Transcript) else None,
        unavailable=transcript.reason if isinstance(transcript, TranscriptUnavailable) else None, routed=routed)


def transcript_item(session: Session, case: Case, city_public_key: bytes,
                    transcript: Transcript | TranscriptUnavailable, clock: Clock) -> CaseItem:
    """The transcript as a sealed text item, to the city only like the recording: the words, with the engine in
    ``author``; or, kind ``transcript_unavailable``, the reason code. Sealed through the one path of every text
    item (intake.items.sealed_text_item), so it is padded and redacted like any text."""
    if isinstance(transcript, Transcript):
        kind, author, text = KIND_TRANSCRIPT, transcript.engine, transcript.text
    else:
        kind, author, text = KIND_TRANSCRIPT_UNAVAILABLE, AUTHOR_SYSTEM, transcript.reason
    return sealed_text_item(case, item_id=new_id(), kind=kind, author=author, text=text,
                            city_public_key=city_public_key, position=release.placeholder_position(session, case.id),
                            created_on=clock().date(), for_reporter=False)


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
