"""Reviewers, their per-city memberships (a role and a wrapped city key each) and their sessions."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel


class Reviewer(SQLModel, table=True):
    __tablename__ = "reviewer"

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=320, unique=True, index=True)
    display_name: str = Field(max_length=200)
    # crypto.passwords.PasswordRecord: salt, Argon2id cost and verifier. Never the password.
    password_record: bytes
    # The account key (crypto.account_keys) wrapped under the password's master key. None for an account made
    # before account keys, until its next sign-in with the password (intake.accounts.keyring).
    password_wrapped_account_key: bytes | None = None
    active: bool = Field(default=True)
    # MARC's regional coordinator: aggregate statistics across cities, never case content.
    regional_coordinator: bool = Field(default=False)
    created_at: datetime
    # TOTP (RFC 6238) secret wrapped under a key derived from the account key (intake.accounts.totp), so
    # neither a database dump nor the server's secrets reveal it. Confirmed once a first code was accepted.
    totp_wrapped_secret: bytes | None = None
    totp_confirmed: bool = Field(default=False)
    # The last accepted TOTP time step: a code of this step or an earlier one is refused (no replay).
    totp_last_step: int = Field(default=0)
    # The day the last deadline reminder was sent (intake.casework.deadlines), so a reviewer gets at most one a day.
    last_reminded_on: date | None = None


class Membership(SQLModel, table=True):
    """A reviewer's role in one city, with that city's private key wrapped for this reviewer."""

    __tablename__ = "membership"
    __table_args__ = (UniqueConstraint("reviewer_id", "city_id", name="uq_membership_reviewer_city"),)

    id: int | None = Field(default=None, primary_key=True)
    reviewer_id: int = Field(foreign_key="reviewer.id", index=True)
    city_id: int = Field(foreign_key="city.id", index=True)
    role: str = Field(max_length=32)
    # The city private key under crypto.passwords.city_key_wrapping_key; None for roles that read no content.
    wrapped_city_key: bytes | None = None
    created_at: datetime


class ReviewerSession(SQLModel, table=True):
    """A signed-in reviewer. The row alone opens nothing: the keys below need the secret in the cookie."""

    __tablename__ = "reviewer_session"

    # SHA-256 of the session identifier in the cookie, so a database dump cannot replay a session.
    id: str = Field(primary_key=True, max_length=64)
    reviewer_id: int = Field(foreign_key="reviewer.id", index=True)
    # None for a regional coordinator's session, which works across cities and opens no case.
    city_id: int | None = Field(default=None, foreign_key="city.id")
    created_at: datetime
    last_seen_at: datetime
    # "full", "totp-enrolment" for a reviewer who still has to set up TOTP (it reaches only the enrolment page and
    # its city keys stay closed until a first code is accepted), or "unlock" after single sign-on, until the
    # reviewer unlocks their keys with a passkey or the password (hotline.access).
    stage: str = Field(default="full", max_length=16)
    # The TOTP secret being enrolled, wrapped under a key only the session cookie carries.
    pending_totp_secret: bytes | None = None
    # The account key, wrapped under a key only the session cookie carries: lets a signed-in reviewer register a
    # passkey that unlocks it (docs/design.md#account-keys-and-passkeys).
    wrapped_account_key: bytes | None = None
    # How the session was signed in (password+totp, passkey, sso, ...), for the audit log.
    method: str = Field(default="password+totp", max_length=32)
    # After single sign-on: the cities (ids, comma-separated) whose rules accepted it; None: every city held.
    allowed_cities: str | None = Field(default=None, max_length=2000)


class SessionCityKey(SQLModel, table=True):
    """One unlocked city key of a session, wrapped under a key only the session cookie carries
    (docs/design.md#sessions)."""

    __tablename__ = "session_city_key"

    session_id: str = Field(foreign_key="reviewer_session.id", primary_key=True, max_length=64, ondelete="CASCADE")
    city_id: int = Field(foreign_key="city.id", primary_key=True)
    wrapped_city_key: bytes


class ReviewerInvitation(SQLModel, table=True):
    """A city admin's invitation for someone to join the city with a role (intake.accounts.invitations).

    Made the same way whether the email has an account or not, so the admin learns nothing of other cities'
    accounts. The city key travels with it twice at most: wrapped under the invitation code (for a person
    without an account, who joins with the code), and sealed to the existing account's personal key (for an owner
    who accepts while signed in). Deleted once accepted, declined or withdrawn; the audit log keeps the story.
    """

    __tablename__ = "reviewer_invitation"

    id: str = Field(primary_key=True, max_length=32)
    city_id: int = Field(foreign_key="city.id", index=True)
    email: str = Field(max_length=320, index=True)
    display_name: str = Field(max_length=200)
    role: str = Field(max_length=32)
    # HMAC-SHA256 of the code under the pepper (crypto.invitations.code_lookup).
    code_lookup: bytes = Field(unique=True)
    # The city private key of key_version, under the code (crypto.invitations); None for roles without one.
    wrapped_city_key: bytes | None = None
    # The same key sealed to the existing account's personal key (crypto.personal_keys), or None.
    sealed_city_key: bytes | None = None
    key_version: int
    invited_by: int | None = Field(default=None, foreign_key="reviewer.id")
    created_at: datetime
    expires_at: datetime
