"""Passkeys (WebAuthn Level 3; the ``webauthn`` package verifies every ceremony) as a second factor in place of
TOTP, and, with the PRF extension, as the key that unlocks the account key (docs/design.md#account-keys-and-passkeys).

- Registration, from a signed-in session (which holds the account key): the browser creates a resident
  credential with user verification and evaluates PRF with the credential's salt (SHA-256 of the registration
  challenge, kept with the credential); the server wraps the account key under HKDF of the PRF output
  (crypto.account_keys). A passkey whose authenticator gives no PRF output is a second factor only.
- Each ceremony's challenge is random, stored only as its SHA-256, used once, within five minutes, and for the
  purpose (and reviewer) it was given for.
- Options for an email list that email's passkeys with their PRF salts; an email without passkeys, or without an
  account, gets a decoy credential made from it under the pepper, so the options do not tell which emails exist.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session, col, delete, select
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers.exceptions import InvalidAuthenticationResponse, InvalidRegistrationResponse
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from crypto import account_keys
from crypto.errors import CryptoError
from intake import audit
from intake.accounts.reviewers import normalize_email
from intake.accounts.sessions import ReviewerContext
from intake.audit.actions import AuditAction
from intake.clock import Clock, utc_now
from intake.config import IntakeConfig
from intake.db import Database
from intake.errors import InvalidInput, WrongCredentials
from intake.messages import N_
from intake.models import Membership, Passkey, Reviewer, WebAuthnChallenge

REGISTER, SIGN_IN, UNLOCK = "register", "sign-in", "unlock"
CHALLENGE_LIFETIME = timedelta(minutes=5)
RP_NAME = "City Employee Hotline"
MAX_RESPONSE_CHARS = 20_000


@dataclass(frozen=True)
class PasskeyInfo:
    passkey_id: str
    name: str
    unlocks: bool
    created_at: datetime
    last_used_at: datetime | None


@dataclass(frozen=True)
class VerifiedPasskey:
    """A passkey whose assertion checked out: whose it is, and the account key its PRF output opened, if any."""

    reviewer: Reviewer
    passkey_id: str
    account_key: bytes | None


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def from_b64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _hash(challenge: bytes) -> str:
    return hashlib.sha256(challenge).hexdigest()


def prf_salt_for(challenge: bytes) -> bytes:
    return hashlib.sha256(b"hotline/v1/prf-salt|" + challenge).digest()


def _new_challenge(session: Session, purpose: str, reviewer_id: int | None, now: datetime) -> bytes:
    session.exec(delete(WebAuthnChallenge).where(col(WebAuthnChallenge.expires_at) < now))
    challenge = os.urandom(32)
    session.add(WebAuthnChallenge(id=_hash(challenge), purpose=purpose, reviewer_id=reviewer_id,
                                  expires_at=now + CHALLENGE_LIFETIME))
    return challenge


def _parsed(response: str) -> dict[str, Any]:
    if len(response) > MAX_RESPONSE_CHARS:
        raise WrongCredentials("not a passkey response")
    try:
        parsed = json.loads(response)
        client_data = json.loads(from_b64url(parsed["response"]["clientDataJSON"]))
        parsed["_challenge"] = from_b64url(client_data["challenge"])
        parsed["_raw_id"] = from_b64url(parsed["rawId"])
    except (ValueError, KeyError, TypeError, binascii.Error):
        raise WrongCredentials("not a passkey response") from None
    if not isinstance(parsed, dict):
        raise WrongCredentials("not a passkey response")
    return parsed


def _take_challenge(session: Session, challenge: bytes, purpose: str, reviewer_id: int | None,
                    now: datetime) -> None:
    """Use the challenge up; :class:`WrongCredentials` if it was not given for this, is used or has expired."""
    row = session.exec(select(WebAuthnChallenge).where(col(WebAuthnChallenge.id) == _hash(challenge))
                       .with_for_update()).first()
    if row is None:
        raise WrongCredentials("unknown challenge")
    session.delete(row)
    expires = row.expires_at if row.expires_at.tzinfo else row.expires_at.replace(tzinfo=now.tzinfo)
    if row.purpose != purpose or row.reviewer_id != reviewer_id or expires < now:
        raise WrongCredentials("unknown challenge")


def _options_json(options: Any, extensions: dict[str, Any]) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(options_to_json(options))
    data["extensions"] = extensions
    return data


def _user_handle(config: IntakeConfig, reviewer_id: int) -> bytes:
    """The WebAuthn user handle: no email or name, and nothing another deployment could link (keyed)."""
    return hmac.new(config.pepper, b"hotline/v1/webauthn-user|%d" % reviewer_id, hashlib.sha256).digest()[:32]


def _cities_of(session: Session, reviewer_id: int) -> list[int]:
    return list(session.exec(select(Membership.city_id).where(Membership.reviewer_id == reviewer_id)).all())


def registration_options(db: Database, config: IntakeConfig, context: ReviewerContext, *,
                         clock: Clock = utc_now) -> dict[str, Any]:
    """What the browser passes to ``navigator.credentials.create``, with the PRF salt to evaluate."""
    with db.write() as session:
        existing = session.exec(select(Passkey.id).where(Passkey.reviewer_id == context.reviewer_id)).all()
        challenge = _new_challenge(session, REGISTER, context.reviewer_id, clock())
    options = generate_registration_options(
        rp_id=config.webauthn_rp_id, rp_name=RP_NAME, user_name=context.email,
        user_id=_user_handle(config, context.reviewer_id), user_display_name=context.display_name,
        challenge=challenge,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.REQUIRED, user_verification=UserVerificationRequirement.REQUIRED),
        exclude_credentials=[PublicKeyCredentialDescriptor(id=from_b64url(passkey)) for passkey in existing])
    return _options_json(options, {"prf": {"eval": {"first": b64url(prf_salt_for(challenge))}}})


def register(db: Database, config: IntakeConfig, context: ReviewerContext, response: str, prf_output: bytes | None,
             name: str, *, clock: Clock = utc_now) -> bool:
    """Keep the passkey the browser created; True when its PRF output now unlocks the account key."""
    name = " ".join(name.split())[:100] or "Passkey"
    parsed = _parsed(response)
    now = clock()
    with db.write() as session:
        _take_challenge(session, parsed["_challenge"], REGISTER, context.reviewer_id, now)
    try:
        verified = verify_registration_response(
            credential={key: value for key, value in parsed.items() if not key.startswith("_")},
            expected_challenge=parsed["_challenge"], expected_rp_id=config.webauthn_rp_id,
            expected_origin=config.webauthn_origin, require_user_verification=True)
    except (InvalidRegistrationResponse, ValueError, KeyError, TypeError):
        raise InvalidInput({"passkey": N_("The passkey could not be checked. Try again.")}) from None
    credential_id = b64url(verified.credential_id)
    wrapped = None
    if prf_output is not None and context.account_key is not None and len(prf_output) == 32:
        wrapped = account_keys.wrap_under_passkey(context.account_key, prf_output, context.reviewer_id,
                                                  verified.credential_id)
    with db.write() as session:
        if session.get(Passkey, credential_id) is not None:
            raise InvalidInput({"passkey": N_("That passkey is already registered.")})
        session.add(Passkey(id=credential_id, reviewer_id=context.reviewer_id, name=name,
                            public_key=verified.credential_public_key, sign_count=verified.sign_count,
                            prf_salt=prf_salt_for(parsed["_challenge"]), wrapped_account_key=wrapped, created_at=now))
        for city_id in _cities_of(session, context.reviewer_id):
            city = audit.lock_city(session, city_id)
            audit.append(session, city, actor=context.actor, action=AuditAction.PASSKEY_REGISTERED, when=now,
                         detail={"unlocks": int(wrapped is not None)})
    return wrapped is not None


def passkeys_of(db: Database, reviewer_id: int) -> list[PasskeyInfo]:
    with db.read() as session:
        rows = session.exec(select(Passkey).where(Passkey.reviewer_id == reviewer_id)
                            .order_by(col(Passkey.created_at))).all()
    return [PasskeyInfo(row.id, row.name, row.wrapped_account_key is not None, row.created_at, row.last_used_at)
            for row in rows]


def remove(db: Database, context: ReviewerContext, passkey_id: str, *, clock: Clock = utc_now) -> None:
    """Delete one of the reviewer's passkeys, and with it its wrapping of the account key."""
    with db.write() as session:
        row = session.get(Passkey, passkey_id[:1400])
        if row is None or row.reviewer_id != context.reviewer_id:
            raise InvalidInput({"passkey": N_("That passkey is not one of yours.")})
        session.delete(row)
        for city_id in _cities_of(session, context.reviewer_id):
            city = audit.lock_city(session, city_id)
            audit.append(session, city, actor=context.actor, action=AuditAction.PASSKEY_REMOVED, when=clock())


def _decoy(config: IntakeConfig, email: str) -> tuple[str, bytes]:
    digest = hmac.new(config.pepper, b"hotline/v1/passkey-decoy|" + email.encode(), hashlib.sha256).digest()
    return b64url(digest[:16] + digest[:16]), hashlib.sha256(digest).digest()


def _request_options(challenge: bytes, config: IntakeConfig, credentials: list[tuple[str, bytes]]) -> dict[str, Any]:
    options = generate_authentication_options(
        rp_id=config.webauthn_rp_id, challenge=challenge,
        allow_credentials=[PublicKeyCredentialDescriptor(id=from_b64url(passkey)) for passkey, _salt in credentials],
        user_verification=UserVerificationRequirement.REQUIRED)
    return _options_json(options, {"prf": {"evalByCredential": {passkey: {"first": b64url(salt)}
                                                                 for passkey, salt in credentials}}})


def sign_in_options(db: Database, config: IntakeConfig, email: str, *, clock: Clock = utc_now) -> dict[str, Any]:
    """What the browser passes to ``navigator.credentials.get`` to sign in as ``email``."""
    email = normalize_email(email)[:320]
    with db.write() as session:
        reviewer = session.exec(select(Reviewer).where(Reviewer.email == email)).first()
        rows = [] if reviewer is None or not reviewer.active else session.exec(
            select(Passkey).where(Passkey.reviewer_id == reviewer.id)).all()
        challenge = _new_challenge(session, SIGN_IN, None, clock())
    credentials = [(row.id, row.prf_salt) for row in rows] or [_decoy(config, email)]
    return _request_options(challenge, config, credentials)


def unlock_options(db: Database, config: IntakeConfig, context: ReviewerContext, *,
                   clock: Clock = utc_now) -> dict[str, Any]:
    """Options to unlock the account key of a signed-in (single sign-on) reviewer with one of their passkeys."""
    with db.write() as session:
        rows = session.exec(select(Passkey).where(Passkey.reviewer_id == context.reviewer_id,
                                                  col(Passkey.wrapped_account_key).is_not(None))).all()
        challenge = _new_challenge(session, UNLOCK, context.reviewer_id, clock())
    return _request_options(challenge, config, [(row.id, row.prf_salt) for row in rows])


def verify_assertion(db: Database, config: IntakeConfig, response: str, prf_output: bytes | None, *, purpose: str,
                     reviewer_id: int | None, clock: Clock = utc_now) -> VerifiedPasskey:
    """Check an assertion made for a challenge of ``purpose`` (and ``reviewer_id``); open the account key with
    its PRF output when the passkey wraps it. :class:`WrongCredentials` for anything wrong, saying nothing more."""
    parsed = _parsed(response)
    now = clock()
    with db.write() as session:
        _take_challenge(session, parsed["_challenge"], purpose, reviewer_id, now)
        passkey = session.get(Passkey, b64url(parsed["_raw_id"]))
        reviewer = None if passkey is None else session.get(Reviewer, passkey.reviewer_id)
    if passkey is None or reviewer is None or not reviewer.active or (reviewer_id is not None
                                                                     and reviewer.id != reviewer_id):
        raise WrongCredentials("no such passkey")
    try:
        verified = verify_authentication_response(
            credential={key: value for key, value in parsed.items() if not key.startswith("_")},
            expected_challenge=parsed["_challenge"], expected_rp_id=config.webauthn_rp_id,
            expected_origin=config.webauthn_origin, credential_public_key=passkey.public_key,
            credential_current_sign_count=passkey.sign_count, require_user_verification=True)
    except (InvalidAuthenticationResponse, ValueError, KeyError, TypeError):
        raise WrongCredentials("the passkey's signature does not check") from None
    account_key = None
    if passkey.wrapped_account_key is not None and prf_output is not None:
        assert reviewer.id is not None
        try:
            account_key = account_keys.open_with_passkey(passkey.wrapped_account_key, prf_output, reviewer.id,
                                                         parsed["_raw_id"])
        except CryptoError:
            raise WrongCredentials("the passkey's PRF output does not open the account key") from None
    with db.write() as session:
        row = session.get(Passkey, passkey.id)
        if row is not None:
            row.sign_count, row.last_used_at = verified.new_sign_count, now
            session.add(row)
    return VerifiedPasskey(reviewer, passkey.id, account_key)
