"""The OpenID Connect client (Authorization Code flow with PKCE, authlib; OpenID Connect Core 1.0 section 3.1),
per provider configured in HOTLINE_OIDC_PROVIDERS_FILE (docs/sso.md, docs/design.md#single-sign-on).

The provider's metadata and keys are fetched from its issuer (OpenID Connect Discovery 1.0) and kept in memory.
The state, nonce and PKCE verifier of a login in progress ride in a cookie sealed with AES-256-GCM under a key
derived from the session key, valid ten minutes. The ID token's signature, issuer, audience, expiry and nonce
are checked with joserfc before anything is believed. The client secret is read from its own file and is never
logged or stored.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import threading
import time
from dataclasses import dataclass
from typing import Any

import requests
from authlib.integrations.requests_client import OAuth2Session
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from hotline.settings import OidcProvider
from intake.accounts.sso import Claims, Provider

HTTP_TIMEOUT_SECONDS = 10
METADATA_SECONDS = 3600
LOGIN_SECONDS = 600
COOKIE = "hotline-sso"


class SsoError(Exception):
    """The provider could not be reached, or what it sent does not check out (the message is for logs: no
    token, code or secret is ever in it)."""


@dataclass(frozen=True)
class LoginInProgress:
    provider: str
    state: str
    nonce: str
    verifier: str
    started: float


def _cookie_key(session_key: bytes) -> bytes:
    return hmac.new(session_key, b"hotline/v1/sso-login", hashlib.sha256).digest()


def seal_login(session_key: bytes, login: LoginInProgress) -> str:
    nonce = os.urandom(12)
    plain = json.dumps(login.__dict__, separators=(",", ":")).encode()
    sealed = nonce + AESGCM(_cookie_key(session_key)).encrypt(nonce, plain, b"hotline/v1/sso-login")
    return base64.urlsafe_b64encode(sealed).decode().rstrip("=")


def open_login(session_key: bytes, text: str, now: float) -> LoginInProgress | None:
    try:
        sealed = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        plain = AESGCM(_cookie_key(session_key)).decrypt(sealed[:12], sealed[12:], b"hotline/v1/sso-login")
        login = LoginInProgress(**json.loads(plain))
    except (ValueError, TypeError, InvalidTag):
        return None
    return login if 0 <= now - login.started <= LOGIN_SECONDS else None


class OidcClient:
    """One provider: discovery, the authorization URL, and the code's exchange for verified claims."""

    def __init__(self, provider: OidcProvider, redirect_uri: str) -> None:
        self.provider = provider
        self.redirect_uri = redirect_uri
        self._lock = threading.Lock()
        self._metadata: dict[str, Any] | None = None
        self._keys: KeySet | None = None
        self._fetched = 0.0

    @property
    def domain_provider(self) -> Provider:
        return Provider(self.provider.name, self.provider.issuer, self.provider.cities)

    def _session(self) -> OAuth2Session:
        return OAuth2Session(self.provider.client_id, self.provider.client_secret.decode("utf-8"),
                             scope=self.provider.scopes, redirect_uri=self.redirect_uri,
                             code_challenge_method="S256",
                             token_endpoint_auth_method="client_secret_basic")  # noqa: S106 (a method name)

    def metadata(self, *, refresh: bool = False) -> tuple[dict[str, Any], KeySet]:
        with self._lock:
            if refresh or self._metadata is None or self._keys is None or \
                    time.monotonic() - self._fetched > METADATA_SECONDS:
                url = self.provider.issuer.rstrip("/") + "/.well-known/openid-configuration"
                try:
                    metadata = requests.get(url, timeout=HTTP_TIMEOUT_SECONDS).json()
                    if metadata.get("issuer") != self.provider.issuer:
                        raise SsoError("the provider's metadata names another issuer")
                    keys = KeySet.import_key_set(requests.get(metadata["jwks_uri"],
                                                              timeout=HTTP_TIMEOUT_SECONDS).json())
                except (requests.RequestException, ValueError, KeyError, TypeError) as error:
                    raise SsoError(f"the provider's metadata could not be read ({type(error).__name__})") from None
                self._metadata, self._keys, self._fetched = metadata, keys, time.monotonic()
            return self._metadata, self._keys

    def _userinfo(self, endpoint: str, token: dict[str, Any], subject: str) -> dict[str, Any]:
        """The email claims from the UserInfo endpoint, when the ID token does not carry them."""
        session = self._session()
        session.token = token
        try:
            return _userinfo_claims(session.get(endpoint, timeout=HTTP_TIMEOUT_SECONDS), subject)
        except (requests.RequestException, ValueError) as error:
            raise SsoError(f"the UserInfo endpoint could not be read ({type(error).__name__})") from None

    def start(self) -> tuple[str, LoginInProgress]:
        """The URL to send the browser to, and what to keep until it comes back."""
        metadata, _keys = self.metadata()
        login = LoginInProgress(self.provider.name, secrets.token_urlsafe(24), secrets.token_urlsafe(24),
                                secrets.token_urlsafe(48), time.time())
        url, _state = self._session().create_authorization_url(
            metadata["authorization_endpoint"], state=login.state, nonce=login.nonce, code_verifier=login.verifier)
        return url, login

    def finish(self, login: LoginInProgress, code: str) -> Claims:
        """Exchange the code (with the PKCE verifier and the client secret) and verify the ID token."""
        metadata, keys = self.metadata()
        try:
            token = self._session().fetch_token(metadata["token_endpoint"], code=code,
                                                code_verifier=login.verifier, timeout=HTTP_TIMEOUT_SECONDS)
        except Exception as error:  # authlib raises its own errors and requests' ones
            raise SsoError(f"the code could not be exchanged ({type(error).__name__})") from None
        id_token = token.get("id_token")
        if not isinstance(id_token, str):
            raise SsoError("the provider sent no ID token")
        try:
            try:
                decoded = jwt.decode(id_token, keys)
            except JoseError:
                _metadata, keys = self.metadata(refresh=True)  # the provider may have rotated its keys
                decoded = jwt.decode(id_token, keys)
            jwt.JWTClaimsRegistry(
                iss={"essential": True, "value": self.provider.issuer},
                aud={"essential": True, "value": self.provider.client_id},
                sub={"essential": True}, exp={"essential": True},
                nonce={"essential": True, "value": login.nonce}).validate(decoded.claims)
        except (JoseError, ValueError) as error:
            raise SsoError(f"the ID token does not check out ({type(error).__name__})") from None
        claims = dict(decoded.claims)
        if "email" not in claims and metadata.get("userinfo_endpoint"):
            claims.update(self._userinfo(metadata["userinfo_endpoint"], token, str(claims["sub"])))
        amr = claims.get("amr") or []
        return Claims(issuer=str(claims["iss"]), subject=str(claims["sub"])[:255],
                      email=str(claims.get("email") or "")[:320],
                      email_verified=claims.get("email_verified") is True or self.provider.emails_verified,
                      amr=tuple(str(value) for value in amr) if isinstance(amr, list) else (),
                      acr=str(claims.get("acr") or ""))


def _userinfo_claims(response: requests.Response, subject: str) -> dict[str, Any]:
    data = response.json()
    # OpenID Connect Core 1.0 section 5.3.2: the UserInfo sub must be the ID token's, or nothing of it is used.
    if not isinstance(data, dict) or data.get("sub") != subject:
        raise SsoError("the UserInfo answer is about someone else")
    return {key: data[key] for key in ("email", "email_verified") if key in data}


def clients_for(providers: list[OidcProvider], public_url: str) -> dict[str, OidcClient]:
    base = public_url.rstrip("/")
    return {provider.name: OidcClient(provider, f"{base}/review/sso/{provider.name}/callback")
            for provider in providers}
