"""The durable recording pipeline (docs/design.md#phone), as jobs in the database-backed queue (intake.operations.jobs).

1. The recording-status callback enqueues ``voice.store_recording`` (deduplicated by a keyed hash of the
   recording SID, so a replayed callback is a no-op).
2. That job fetches the audio, has it disguised, sealed and stored (intake.phone.recordings), and in the SAME
   transaction enqueues ``voice.delete_recording`` and finishes itself: the deletion job cannot exist, so cannot
   run, before the encrypted copy is committed, and a worker that loses its lease commits neither.
3. ``voice.delete_recording`` deletes the recording at Twilio.
4. The call-status callback (call ended) enqueues ``voice.forget_call``, which waits until no recording job of
   that call is left, then deletes the call record at Twilio: that removes the caller's number from its logs.
5. Opening a phone case enqueues ``voice.route_case`` for an hour later: a case is routed when its transcript is
   stored (so the reviewers it names never see it), and this job routes it anyway if its recording has not been
   stored by then, so that no report waits unseen (docs/design.md#transcripts).

The store job transcribes the audio in memory before anything commits (intake.phone.recordings), and keeps its
lease while it works (intake.operations.jobs.kept_alive): a long recording takes minutes.

Any failure (5xx, timeout, refused connection, short download) raises, and the queue retries with backoff;
nothing is deleted at Twilio on a failure path. Job payloads carry the SIDs only while the job is open: the
queue empties a payload when its job finishes (intake.models.job). Dedupe keys hold HMACs, never SIDs.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from datetime import datetime, timedelta
from typing import Any

from hotline.settings import Settings
from hotline.voice.call_state import open_call_state
from hotline.voice.exit_calls import fields_of
from hotline.voice.twilio_rest import CALL_SID, RECORDING_SID, TwilioRest
from intake.categories import CATEGORY_SLUGS
from intake.clock import Clock, utc_now
from intake.config import IntakeConfig
from intake.db import Database
from intake.errors import InvalidInput, NotFound
from intake.exit.questionnaire import MAX_TEXT_CHARS
from intake.exit.survey import UNAVAILABLE, Credential, submit_survey
from intake.operations import jobs
from intake.operations.jobs import Handler, JobRun
from intake.phone import recordings
from intake.phone import reports as phone_reports
from intake.phone.recordings import Transcription
from intake.phone.transcription import Engine, EngineUnavailable, Transcript, WhisperEngine, make_engine

logger = logging.getLogger("hotline.voice")

STORE_RECORDING = "voice.store_recording"
DELETE_RECORDING = "voice.delete_recording"
FORGET_CALL = "voice.forget_call"
ROUTE_CASE = "voice.route_case"
# A phone case whose recording has not been stored after this long is routed without its transcript.
ROUTE_DEADLINE = timedelta(hours=1)
# An unreadable download is fetched again this many times (it may have been mangled on the way) before the
# case is told the recording could not be read.
UNREADABLE_ATTEMPTS = 3
# About a day and a half of retries (backoff grows to an hour, jobs.backoff): a recording is not given up lightly.
MAX_ATTEMPTS = 60
# A recording's callback can beat the webhook that opens its case; after this long, the caller has hung up
# without hearing a key, and the worker opens the case itself so the report is not lost.
CASE_OPEN_GRACE = timedelta(minutes=2)
# Recording callbacks usually come a few seconds after the call ends: the call record waits this long, or less
# when the deletion of the call's last recording wakes it (intake.operations.jobs.run_sooner).
CALL_FORGET_DELAY = timedelta(minutes=10)

KIND_REPORT = "report"
KIND_MESSAGE = "message"
# An exit interview's closing comment: the payload carries the call's sealed state (hotline.voice.exit_calls).
KIND_EXIT = "exit"


class CaseNotOpenYet(Exception):
    """The webhook that opens the case has not arrived yet; retried."""


class RecordingsPending(Exception):
    """A recording of this call is not yet stored and deleted; the call record waits."""


def _keyed(pepper: bytes, purpose: str, sid: str) -> str:
    return purpose + ":" + hmac.new(pepper, f"hotline/v1/{purpose}|{sid}".encode(), hashlib.sha256).hexdigest()


def enqueue_store(
    database: Database, pepper: bytes, *, recording_sid: str, call_sid: str, destination: dict[str, Any],
    clock: Clock = utc_now,
) -> bool:
    """Queue the fetch of a completed recording; False when it was queued before (a replayed callback)."""
    payload = {"recording": recording_sid, "call": call_sid, "received": clock().isoformat(), **destination}
    with database.write() as session:
        job = jobs.enqueue(session, STORE_RECORDING, payload, dedupe_key=_keyed(pepper, "voice-store", recording_sid),
                           max_attempts=MAX_ATTEMPTS, clock=clock)
    return job is not None


def enqueue_delete(database: Database, pepper: bytes, *, recording_sid: str, call_sid: str,
                   clock: Clock = utc_now) -> bool:
    """Queue deleting a recording there is nothing to keep of (Twilio reported it absent or failed)."""
    with database.write() as session:
        job = _enqueue_delete(session, pepper, recording_sid, call_sid, clock)
    return job is not None


def _enqueue_delete(session: Any, pepper: bytes, recording_sid: str, call_sid: str, clock: Clock) -> Any:
    return jobs.enqueue(session, DELETE_RECORDING, {"recording": recording_sid, "call": call_sid},
                        dedupe_key=_keyed(pepper, "voice-delete", recording_sid), max_attempts=MAX_ATTEMPTS,
                        clock=clock)


def enqueue_forget_call(database: Database, pepper: bytes, *, call_sid: str, clock: Clock = utc_now) -> bool:
    with database.write() as session:
        job = jobs.enqueue(session, FORGET_CALL, {"call": call_sid}, dedupe_key=_keyed(pepper, "voice-call", call_sid),
                           run_after=clock() + CALL_FORGET_DELAY, max_attempts=MAX_ATTEMPTS, clock=clock)
    return job is not None


def enqueue_route(session: Any, pepper: bytes, case_id: str, clock: Clock = utc_now) -> None:
    """In the transaction that opens a phone case: route it after ROUTE_DEADLINE if nothing has by then."""
    jobs.enqueue(session, ROUTE_CASE, {"case": case_id}, dedupe_key=_keyed(pepper, "voice-route", case_id),
                 run_after=clock() + ROUTE_DEADLINE, max_attempts=MAX_ATTEMPTS, clock=clock)


def open_report(database: Database, config: IntakeConfig, pepper: bytes, *, case_id: str, city_slug: str,
                category: str, clock: Clock = utc_now) -> phone_reports.PhoneReport | None:
    """Open a phone case (intake.phone.reports) with its routing deadline queued in the same transaction."""
    return phone_reports.open_phone_report(
        database, config, case_id=case_id, city_slug=city_slug, category=category, clock=clock,
        in_transaction=lambda session: enqueue_route(session, pepper, case_id, clock))


def _valid_store_payload(payload: dict[str, Any]) -> bool:
    if payload.get("kind") == KIND_EXIT:
        return (RECORDING_SID.match(str(payload.get("recording", ""))) is not None
                and CALL_SID.match(str(payload.get("call", ""))) is not None and bool(payload.get("exit")))
    return (RECORDING_SID.match(str(payload.get("recording", ""))) is not None
            and CALL_SID.match(str(payload.get("call", ""))) is not None
            and payload.get("kind") in (KIND_REPORT, KIND_MESSAGE)
            and phone_reports.CASE_ID.match(str(payload.get("case", ""))) is not None
            and (payload.get("kind") == KIND_MESSAGE or payload.get("category") in CATEGORY_SLUGS))


def job_handlers(settings: Settings, database: Database) -> dict[str, Handler]:
    """The pipeline's handlers, or none when phone intake is not configured."""
    if not settings.phone_enabled:
        return {}
    rest = TwilioRest(settings)
    config = settings.intake_config()
    engine = transcription_engine(settings)
    return {
        STORE_RECORDING: lambda run: (
            store_exit_comment(run, database, config, rest, settings, engine)
            if run.payload.get("kind") == KIND_EXIT else
            store_recording(run, database, config, rest, settings.pepper, engine, settings.transcribe_max_seconds)),
        DELETE_RECORDING: lambda run: delete_recording(run, database, rest, settings.pepper),
        FORGET_CALL: lambda run: forget_call(run, database, rest),
        ROUTE_CASE: lambda run: route_case(run, database, config),
    }


def transcription_engine(settings: Settings) -> Engine:
    """The deployment's engine, its model checked now so a missing or broken directory is in the worker's log at
    start-up; recordings are still stored (and say "transcript unavailable") until it is fixed."""
    engine = make_engine(settings.transcription_engine, settings.transcribe_model_dir)
    if isinstance(engine, WhisperEngine):
        try:
            engine.check()
        except EngineUnavailable as error:
            logger.error("transcription model unavailable", extra={"fields": {"detail": error.detail}})
    return engine


def store_recording(run: JobRun, database: Database, config: IntakeConfig, rest: TwilioRest, pepper: bytes,
                    engine: Engine | None = None, max_seconds: float = 1800) -> None:
    payload = run.payload
    if not _valid_store_payload(payload):  # cannot come from our callback; nothing to do but close it
        with database.write() as session:
            run.finish(session, month_only=True)
        return
    recording_sid, call_sid, case_id = payload["recording"], payload["call"], payload["case"]
    if not phone_reports.case_is_open(database, case_id) and payload["kind"] == KIND_REPORT:
        received = datetime.fromisoformat(payload["received"])
        if run.clock() - received < CASE_OPEN_GRACE:
            raise CaseNotOpenYet()
        # The caller hung up before the key was read: keep the report; its key is never known.
        open_report(database, config, pepper, case_id=case_id, city_slug=payload.get("city", ""),
                    category=payload["category"], clock=run.clock)

    def then(session: Any) -> None:
        _enqueue_delete(session, pepper, recording_sid, call_sid, run.clock)
        run.finish(session, month_only=True)

    try:
        with jobs.kept_alive(run):
            wav = rest.fetch_wav(recording_sid)
            transcription = Transcription(engine, max_seconds) if engine is not None else None
            recordings.store_recording(
                database, case_id=case_id, original_wav=wav, clock=run.clock, in_transaction=then,
                language=str(payload.get("lang", "en")), transcription=transcription,
                give_up=run.attempt >= UNREADABLE_ATTEMPTS, route=payload["kind"] == KIND_REPORT, config=config)
            del wav
    except NotFound:
        # The follow-up's case was deleted meanwhile (retention): nothing to add it to, and the caller's voice
        # must not stay at Twilio either.
        with database.write() as session:
            then(session)


def store_exit_comment(run: JobRun, database: Database, config: IntakeConfig, rest: TwilioRest,
                       settings: Settings, engine: Engine) -> None:
    """An exit interview's closing comment: transcribed in memory, its audio never kept, then the whole survey
    sent with the transcript as the ``comments`` answer, in the transaction that queues the recording's deletion
    at Twilio and finishes this job (dated to the month only, as the response is)."""
    payload = run.payload
    recording_sid, call_sid = payload.get("recording", ""), payload.get("call", "")

    def then(session: Any) -> None:
        _enqueue_delete(session, settings.pepper, recording_sid, call_sid, run.clock)
        run.finish(session, month_only=True)

    received = datetime.fromisoformat(str(payload.get("received")))
    state = open_call_state(settings.session_key, call_sid, str(payload.get("exit", "")), received.timestamp())
    credential = Credential.decode(str((state or {}).get("cred", "")))
    if state is None or credential is None or not _valid_store_payload(payload):
        with database.write() as session:
            then(session)
        return
    with jobs.kept_alive(run):
        wav = rest.fetch_wav(recording_sid)
        transcript = recordings.transcribe_only(
            wav, str(state.get("lang", "en")), Transcription(engine, settings.transcribe_max_seconds),
            give_up=run.attempt >= UNREADABLE_ATTEMPTS)
        del wav
    comment = transcript.text[:MAX_TEXT_CHARS].strip() if isinstance(transcript, Transcript) else ""
    try:
        submit_survey(database, config, credential, str(state.get("q", "")),
                      fields_of(dict(state.get("a", {})), comment), clock=run.clock, in_transaction=then)
    except (*UNAVAILABLE, InvalidInput):
        # Used or expired meanwhile, or the questionnaire changed: nothing is stored, the recording goes.
        logger.warning("exit interview by phone not stored", extra={"fields": {}})
        with database.write() as session:
            then(session)


def route_case(run: JobRun, database: Database, config: IntakeConfig) -> None:
    """The routing deadline of a phone case: route it if its recording has not done so (a no-op otherwise)."""
    case_id = str(run.payload.get("case", ""))
    if phone_reports.route_unrouted(database, config, case_id, clock=run.clock):
        logger.warning("phone case routed before its recording was stored", extra={"fields": {}})
    with database.write() as session:
        run.finish(session, month_only=True)


def delete_recording(run: JobRun, database: Database, rest: TwilioRest, pepper: bytes) -> None:
    recording_sid, call_sid = str(run.payload.get("recording", "")), str(run.payload.get("call", ""))
    if RECORDING_SID.match(recording_sid):
        rest.delete_recording(recording_sid)
    with database.write() as session:
        run.finish(session, month_only=True)
        if CALL_SID.match(call_sid):  # the call's record may be waiting for this recording: wake it
            jobs.run_sooner(session, _keyed(pepper, "voice-call", call_sid), run.clock())


def forget_call(run: JobRun, database: Database, rest: TwilioRest) -> None:
    call_sid = str(run.payload.get("call", ""))
    if CALL_SID.match(call_sid):
        waiting = recordings.pending_job_payloads(database, (STORE_RECORDING, DELETE_RECORDING))
        if any(payload.get("call") == call_sid for payload in waiting):
            raise RecordingsPending()
        rest.delete_call(call_sid)
    with database.write() as session:
        run.finish(session, month_only=True)
    # The call's last job is done: let no old copy of its payloads outlive it in SQLite's log.
    recordings.scrub_write_ahead_log(database)
