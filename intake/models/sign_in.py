"""Ways to sign in beyond the password: passkeys, single sign-on links, and each city's sign-in rules
(docs/design.md#account-keys-and-passkeys, docs/design.md#single-sign-on)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel


class Passkey(SQLModel, table=True):
    """A WebAuthn credential of a reviewer (intake.accounts.passkeys)."""

    __tablename__ = "passkey"

    # The credential id, base64url without padding.
    id: str = Field(primary_key=True, max_length=1400)
    reviewer_id: int = Field(foreign_key="reviewer.id", index=True)
    name: str = Field(max_length=100)
    # The COSE public key the authenticator gave at registration.
    public_key: bytes
    sign_count: int = Field(default=0)
    # The salt the browser evaluates the PRF extension with for this credential (32 random bytes).
    prf_salt: bytes
    # The account key wrapped under HKDF of the PRF output (crypto.account_keys); None: a second factor only.
    wrapped_account_key: bytes | None = None
    created_at: datetime
    last_used_at: datetime | None = None


class WebAuthnChallenge(SQLModel, table=True):
    """A challenge given to a browser for one ceremony, used once and within minutes."""

    __tablename__ = "webauthn_challenge"

    # SHA-256 (hex) of the challenge: the challenge itself is only in the browser's hands.
    id: str = Field(primary_key=True, max_length=64)
    purpose: str = Field(max_length=16)
    # Who it was given to, when known (registration, unlocking); None for a sign-in.
    reviewer_id: int | None = Field(default=None, foreign_key="reviewer.id")
    expires_at: datetime = Field(index=True)


class SsoLink(SQLModel, table=True):
    """A reviewer's identity at an OpenID Connect provider: matched by issuer and subject, never by email."""

    __tablename__ = "sso_link"
    __table_args__ = (UniqueConstraint("reviewer_id", "issuer", name="uq_sso_link_reviewer_issuer"),)

    issuer: str = Field(primary_key=True, max_length=400)
    subject: str = Field(primary_key=True, max_length=255)
    reviewer_id: int = Field(foreign_key="reviewer.id", index=True)
    provider: str = Field(max_length=64)
    created_at: datetime


class SsoLinkOffer(SQLModel, table=True):
    """An admin's one-time permission: the reviewer's next sign-in at ``provider`` whose verified email is theirs
    becomes their link."""

    __tablename__ = "sso_link_offer"

    reviewer_id: int = Field(foreign_key="reviewer.id", primary_key=True)
    provider: str = Field(primary_key=True, max_length=64)
    city_id: int = Field(foreign_key="city.id")
    offered_by: int | None = Field(default=None, foreign_key="reviewer.id")
    expires_at: datetime


class CitySignInPolicy(SQLModel, table=True):
    """A city admin's choice of how the city's reviewers may sign in. No row: the defaults."""

    __tablename__ = "city_sign_in_policy"

    city_id: int = Field(foreign_key="city.id", primary_key=True)
    password_allowed: bool = Field(default=True)
    require_mfa: bool = Field(default=False)
