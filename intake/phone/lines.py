"""Which city a phone number belongs to (and whether it takes reports or exit interviews), and each city's
choices about callers' audio: voice disguise, and whether the audio is kept at all or only its transcript.

A call to a city's own number goes to that city; the shared number (a setting, not a row) asks for the city.
Changes are written to the city's audit log: turning voice disguise off, or keeping audio, is a decision
someone must own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlmodel import Session, col, select

from intake import audit
from intake.audit.actions import AuditAction
from intake.cities import city_by_slug
from intake.clock import Clock, utc_now
from intake.db import Database
from intake.errors import AlreadyExists, InvalidInput, NotFound
from intake.models import Case, City, CityVoiceSettings, PhoneNumber
from intake.models.phone import PURPOSE_EXIT, PURPOSE_REPORTS, PURPOSES

# ITU-T E.164: a plus sign and at most 15 digits, the first not zero.
E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")


@dataclass(frozen=True)
class PhoneLine:
    number: str
    city_slug: str
    city_name: str
    purpose: str = PURPOSE_REPORTS


@dataclass(frozen=True)
class AudioChoice:
    """What becomes of a city's recordings: disguised or not, and kept or transcribed only."""

    disguise_voice: bool
    keep_audio: bool


def normalize_number(text: str) -> str:
    """``+1 (816) 555-0100`` -> ``+18165550100``; InvalidInput unless the result is E.164."""
    compact = "".join(ch for ch in text.strip() if ch not in " -().")
    if not E164.match(compact):
        raise InvalidInput({"number": "Give the number in international form, such as +18165550100."})
    return compact


def add_number(db: Database, city_slug: str, number: str, *, purpose: str = PURPOSE_REPORTS,
               clock: Clock = utc_now) -> PhoneLine:
    """Ring ``number`` through to the city: for reports, or (``purpose="exit"``) to its exit interview by keypad,
    whose number the city's invitations then show."""
    number = normalize_number(number)
    if purpose not in PURPOSES:
        raise InvalidInput({"purpose": "A number takes reports or exit interviews."})
    with db.write() as session:
        city = city_by_slug(session, city_slug)
        assert city.id is not None
        if session.get(PhoneNumber, number) is not None:
            raise AlreadyExists(f"the number {number} already belongs to a city")
        session.add(PhoneNumber(number=number, city_id=city.id, created_at=clock(), purpose=purpose))
        locked = audit.lock_city(session, city.id)
        audit.append(session, locked, actor=audit.SYSTEM,
                     action=AuditAction.PHONE_NUMBER_ADDED, when=clock(), subject=number,
                     detail={"purpose": purpose} if purpose != PURPOSE_REPORTS else None)
        return PhoneLine(number, city.slug, city.name, purpose)


def remove_number(db: Database, number: str, *, clock: Clock = utc_now) -> None:
    number = normalize_number(number)
    with db.write() as session:
        row = session.get(PhoneNumber, number)
        if row is None:
            raise NotFound(f"no city has the number {number}")
        session.delete(row)
        locked = audit.lock_city(session, row.city_id)
        audit.append(session, locked, actor=audit.SYSTEM, action=AuditAction.PHONE_NUMBER_REMOVED, when=clock(),
                     subject=number)


def list_numbers(db: Database) -> list[PhoneLine]:
    with db.read() as session:
        rows = session.exec(select(PhoneNumber, City).join(City, City.id == PhoneNumber.city_id)  # type: ignore[arg-type]
                            .order_by(col(City.name), col(PhoneNumber.number))).all()
    return [PhoneLine(number.number, city.slug, city.name, number.purpose) for number, city in rows]


def line_for_number(db: Database, number: str) -> PhoneLine | None:
    """The city line this number is, or None."""
    with db.read() as session:
        row = session.get(PhoneNumber, number) if E164.match(number or "") else None
        city = session.get(City, row.city_id) if row is not None else None
        return PhoneLine(row.number, city.slug, city.name, row.purpose) if row and city else None


def city_for_number(db: Database, number: str) -> City | None:
    """The city whose own number for reports this is, or None."""
    with db.read() as session:
        row = session.get(PhoneNumber, number) if E164.match(number or "") else None
        if row is None or row.purpose != PURPOSE_REPORTS:
            return None
        return session.get(City, row.city_id)


def exit_number(session: Session, city_id: int) -> str | None:
    """The number departing staff of this city call to answer by keypad, or None (web only)."""
    return session.exec(select(PhoneNumber.number).where(PhoneNumber.city_id == city_id,
                                                         PhoneNumber.purpose == PURPOSE_EXIT)
                        .order_by(col(PhoneNumber.number))).first()


def audio_choice(session: Session, city_id: int) -> AudioChoice:
    """The city's choices (a city without a row: disguised and kept, docs/design.md#transcripts)."""
    row = session.get(CityVoiceSettings, city_id)
    return AudioChoice(True, True) if row is None else AudioChoice(row.disguise_voice, row.keep_audio)


def disguise_voice(session: Session, city_id: int) -> bool:
    """Whether this city's recordings are voice-disguised before they are stored (on unless turned off)."""
    return audio_choice(session, city_id).disguise_voice


def case_or_city_audio_choice(db: Database, case_id: str, city_slug: str) -> AudioChoice:
    """What will become of a recording for this case (or, before the case exists, this city), so the caller is
    told the truth about it. NotFound when there is neither."""
    with db.read() as session:
        case = session.get(Case, case_id) if case_id else None
        city_id = case.city_id if case is not None else city_by_slug(session, city_slug).id
        assert city_id is not None
        return audio_choice(session, city_id)


def case_or_city_disguises_voice(db: Database, case_id: str, city_slug: str) -> bool:
    return case_or_city_audio_choice(db, case_id, city_slug).disguise_voice


def set_disguise_voice(db: Database, city_slug: str, enabled: bool, *, clock: Clock = utc_now) -> None:
    _change_voice_setting(db, city_slug, "disguise_voice", enabled, AuditAction.PHONE_VOICE_DISGUISE_CHANGED, clock)


def set_keep_audio(db: Database, city_slug: str, keep: bool, *, clock: Clock = utc_now) -> None:
    """Keep callers' audio (disguised as the city chose) beside its transcript, or keep the transcript only."""
    _change_voice_setting(db, city_slug, "keep_audio", keep, AuditAction.PHONE_AUDIO_MODE_CHANGED, clock)


def _change_voice_setting(db: Database, city_slug: str, field: str, value: bool, action: AuditAction,
                          clock: Clock) -> None:
    """Set one of the city's voice settings and audit it, its new value in the detail under the same name."""
    with db.write() as session:
        city = city_by_slug(session, city_slug)
        assert city.id is not None
        row = session.get(CityVoiceSettings, city.id) or CityVoiceSettings(city_id=city.id)
        setattr(row, field, value)
        session.add(row)
        locked = audit.lock_city(session, city.id)
        audit.append(session, locked, actor=audit.SYSTEM, action=action, when=clock(), detail={field: int(value)})
