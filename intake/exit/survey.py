"""The departing employee's side: opening an invitation (link or code), or the city's uninvited link, and
sending the answers, sealed to the city key.

Anonymous mode (docs/design.md#exit-interviews): the response row holds no invitation, and its time is the month
only. The invitation keeps no date of use. No audit entry names either. And in the same statement that marks the
invitation completed, every invitation of the city is rewritten, so on PostgreSQL all of them carry the transaction
id that wrote the response (``xmin``): the row versions do not single out the one that was used.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import case, update
from sqlmodel import Session, col, select

from crypto import hpke_keys
from crypto.sealing import open_for_city, seal_to_city
from intake import audit
from intake.audit.actions import AuditAction
from intake.clock import Clock, utc_now
from intake.config import IntakeConfig
from intake.db import Database
from intake.errors import IntakeError, InvalidInput, NotFound
from intake.exit.hr import code_lookup, normalize_code, settings_of, token_lookup
from intake.exit.questionnaire import (
    Questionnaire,
    answers_json,
    check_answers,
    current_row,
    from_row,
    version_row,
    widest_answers_length,
)
from intake.items import exit_answers_context, new_id
from intake.models import City, ExitInvitation, ExitQuestionnaire, ExitResponse, ExitSettings
from intake.models.exit import COMPLETED, INVITED, MODE_ANONYMOUS, MODE_CONFIDENTIAL, STARTED

RESPONDENT = "exit respondent"  # the audit actor in confidential mode; never anything about the person


class InvitationUnknown(NotFound):
    """No invitation has that link or code (or the city's uninvited link is not open)."""

    notice = "unknown"


class InvitationExpired(IntakeError):
    """The invitation's last day plus the city's allowance has passed."""

    notice = "expired"


class InvitationUsed(IntakeError):
    """The invitation was already used to answer. Says nothing about who used it."""

    notice = "used"


# Every way an invitation cannot be answered; each names the notice the employee is shown.
UNAVAILABLE = (InvitationUnknown, InvitationExpired, InvitationUsed)


@dataclass(frozen=True)
class Credential:
    """How the employee came: the link's token, the short code, or the city's uninvited link."""

    kind: str  # "token", "code" or "open"
    value: str

    def encode(self) -> str:
        return f"{self.kind}:{self.value}"

    @classmethod
    def decode(cls, text: str) -> Credential | None:
        kind, _, value = text.partition(":")
        if kind not in ("token", "code", "open") or not value or len(value) > 200:
            return None
        return cls(kind, value)


@dataclass(frozen=True)
class Survey:
    """What the survey page needs: the city, the questionnaire, the mode it will be stored in, prefilled answers."""

    credential: Credential
    city_slug: str
    city_name: str
    mode: str
    questionnaire: Questionnaire
    prefill: dict[str, str]


def code_credential(text: str) -> Credential:
    code = normalize_code(text)
    if code is None:
        raise InvitationUnknown("no invitation has that code")
    return Credential("code", code)


def _invitation(session: Session, config: IntakeConfig, credential: Credential) -> ExitInvitation | None:
    if credential.kind == "token":
        lookup = col(ExitInvitation.token_lookup) == token_lookup(config, credential.value)
    elif credential.kind == "code":
        lookup = col(ExitInvitation.code_lookup) == code_lookup(config, credential.value)
    else:
        return None
    return session.exec(select(ExitInvitation).where(lookup)).first()


def _usable(invitation: ExitInvitation | None, now: datetime) -> ExitInvitation:
    if invitation is None:
        raise InvitationUnknown("no invitation has that link or code")
    if invitation.status == COMPLETED:
        raise InvitationUsed("this invitation was already used")
    if now.date() > invitation.expires_on:
        raise InvitationExpired("this invitation has expired")
    return invitation


def _open_city(session: Session, credential: Credential) -> tuple[City, ExitSettings]:
    slug, _, link = credential.value.partition("/")
    city = session.exec(select(City).where(City.slug == slug[:64])).first()
    row = session.get(ExitSettings, city.id) if city is not None else None
    if city is None or row is None or row.open_link is None or row.open_link != link:
        raise InvitationUnknown("this link is not open")
    return city, row


def open_survey(db: Database, config: IntakeConfig, credential: Credential, *, clock: Clock = utc_now) -> Survey:
    """The survey for a credential. An unknown, expired or used invitation raises, and nothing is stored; a
    first visit marks the invitation started (HR sees invited, started or completed, nothing more)."""
    now = clock()
    with db.read() as session:
        if credential.kind == "open":
            city, _settings = _open_city(session, credential)
            invitation = None
        else:
            invitation = _usable(_invitation(session, config, credential), now)
            found = session.get(City, invitation.city_id)
            assert found is not None
            city = found
    assert city.id is not None
    with db.write() as session:
        questionnaire = from_row(current_row(session, city.id, now.date()))
        mode = MODE_ANONYMOUS if invitation is None else settings_of(session, city.id).mode
        if invitation is not None and invitation.status == INVITED:
            session.exec(update(ExitInvitation).where(col(ExitInvitation.id) == invitation.id,
                                                      col(ExitInvitation.status) == INVITED)
                         .values(status=STARTED))
    prefill = {} if invitation is None else {"department": invitation.department,
                                             "separation_type": invitation.separation_type}
    return Survey(credential, city.slug, city.name, mode, questionnaire, prefill)


def month_of(now: datetime) -> str:
    return now.strftime("%Y-%m")


@dataclass(frozen=True)
class SubmittedSurvey:
    city_name: str
    mode: str


def submit_survey(
    db: Database, config: IntakeConfig, credential: Credential, questionnaire_id: str,
    fields: Mapping[str, Sequence[str]], *, clock: Clock = utc_now,
    in_transaction: Callable[[Session], None] | None = None,
) -> SubmittedSurvey:
    """Check and seal the answers, store them, and use up the invitation, all or nothing.

    :class:`InvalidInput` (the form again) for answers out of range, unknown questions or a questionnaire version
    that no longer exists; the invitation errors as in :func:`open_survey`. Nothing is stored on any of them.
    ``in_transaction`` runs in the transaction that stores the response (the phone's recording job finishes
    itself there).
    """
    now = clock()
    city_id, invitation_id = usable_credential(db, config, credential, now)
    try:
        version_id = int(questionnaire_id) if questionnaire_id.isascii() and questionnaire_id.isdigit() else -1
        with db.read() as session:
            questionnaire = from_row(version_row(session, city_id, version_id))
            city = session.get(City, city_id)
    except NotFound:
        raise InvalidInput({"form": "This questionnaire was changed while the form was open. Nothing was sent: "
                                    "please check the answers below and send them again."}) from None
    assert city is not None and questionnaire.id is not None
    answers = check_answers(questionnaire, fields)
    response_id = new_id()
    plaintext = answers_json(answers)
    context = exit_answers_context(city_id, response_id, questionnaire.id)
    # One sealed size whatever was chosen or skipped (only free text can change it, by Padmé steps).
    widest = widest_answers_length(questionnaire, answers)
    sealed = seal_to_city(plaintext, context, city.public_key, at_least=widest)
    with db.write() as session:
        locked = audit.lock_city(session, city_id)
        if locked.public_key != city.public_key:  # rotated meanwhile: seal to the new key
            sealed = seal_to_city(plaintext, context, locked.public_key, at_least=widest)
        if session.get(ExitQuestionnaire, questionnaire.id) is None:  # removed by a load meanwhile
            raise InvalidInput({"form": "This questionnaire was changed while the form was open. Nothing was "
                                        "sent: please check the answers below and send them again."})
        mode = MODE_ANONYMOUS
        invitation = None
        if invitation_id is not None:
            invitation = _usable(session.get(ExitInvitation, invitation_id), now)  # checked again under the lock
            mode = settings_of(session, city_id).mode
        session.add(ExitResponse(
            id=response_id, city_id=city_id, questionnaire_id=questionnaire.id, mode=mode, period=month_of(now),
            invitation_id=invitation.id if invitation is not None and mode == MODE_CONFIDENTIAL else None,
            ciphertext=sealed.ciphertext, key_for_city=sealed.key_for_city))
        if invitation is not None and mode == MODE_CONFIDENTIAL:
            invitation.status = COMPLETED
            session.add(invitation)
            # Confidential: the link is the point. The day only, like every employee action
            # (docs/design.md#threat-model-and-anonymity-rules, rule 6).
            audit.append(session, locked, actor=RESPONDENT,
                         action=AuditAction.EXIT_SURVEY_COMPLETED, subject=invitation.id,
                         when=now.replace(hour=0, minute=0, second=0, microsecond=0))
        elif invitation is not None:
            session.exec(update(ExitInvitation).where(col(ExitInvitation.city_id) == city_id).values(
                status=case((col(ExitInvitation.id) == invitation.id, COMPLETED), else_=col(ExitInvitation.status))))
        if in_transaction is not None:
            in_transaction(session)
    return SubmittedSurvey(city.name, mode)


def usable_credential(db: Database, config: IntakeConfig, credential: Credential,
                      now: datetime) -> tuple[int, str | None]:
    """(city id, invitation id or None) for a credential that may still answer; raises like :func:`open_survey`."""
    with db.read() as session:
        if credential.kind == "open":
            city, _settings = _open_city(session, credential)
            assert city.id is not None
            return city.id, None
        invitation = _usable(_invitation(session, config, credential), now)
        return invitation.city_id, invitation.id


def open_answers(response: ExitResponse, city_private_key: bytes | hpke_keys.PrivateKey) -> dict[str, Any]:
    """The answers of one response, for a signed-in HR session only. Give a loaded key
    (crypto.hpke_keys.load_private_key) when opening many: loading it is most of the cost of one."""
    return open_sealed_answers(response.city_id, response.id, response.questionnaire_id, response.ciphertext,
                               response.key_for_city, city_private_key)


def open_sealed_answers(city_id: int, response_id: str, questionnaire_id: int, ciphertext: bytes,
                        key_for_city: bytes, city_private_key: bytes | hpke_keys.PrivateKey) -> dict[str, Any]:
    plaintext = open_for_city(ciphertext, key_for_city, exit_answers_context(city_id, response_id, questionnaire_id),
                              city_private_key)
    answers: dict[str, Any] = json.loads(plaintext)["answers"]
    return answers
