"""A software WebAuthn authenticator for tests without a browser: an ES256 credential with "none" attestation, user
presence and verification, and the PRF extension (HMAC-SHA256 of the salt under a per-credential secret, as the
CTAP2 hmac-secret extension computes it). It produces exactly the JSON a browser's ``toJSON()`` gives."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import struct
from dataclasses import dataclass, field
from typing import Any

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class SoftPasskey:
    rp_id: str
    origin: str
    prf: bool = True
    credential_id: bytes = field(default_factory=lambda: os.urandom(16))
    key: ec.EllipticCurvePrivateKey = field(default_factory=lambda: ec.generate_private_key(ec.SECP256R1()))
    prf_secret: bytes = field(default_factory=lambda: os.urandom(32))
    sign_count: int = 0

    def _client_data(self, kind: str, challenge: str) -> bytes:
        return json.dumps({"type": kind, "challenge": challenge, "origin": self.origin,
                           "crossOrigin": False}).encode()

    def _flags(self, attested: bool) -> bytes:
        return bytes([0x01 | 0x04 | (0x40 if attested else 0)])

    def prf_output(self, salt: bytes) -> bytes | None:
        if not self.prf:
            return None
        return hmac.new(self.prf_secret, b"WebAuthn PRF\x00" + salt, hashlib.sha256).digest()

    def create(self, options: dict[str, Any]) -> tuple[str, bytes | None]:
        """The registration response JSON, and the PRF output for the salt the options asked for."""
        numbers = self.key.public_key().public_numbers()
        cose = cbor2.dumps({1: 2, 3: -7, -1: 1, -2: numbers.x.to_bytes(32, "big"), -3: numbers.y.to_bytes(32, "big")})
        attested = bytes(16) + struct.pack(">H", len(self.credential_id)) + self.credential_id + cose
        auth_data = (hashlib.sha256(self.rp_id.encode()).digest() + self._flags(True)
                     + struct.pack(">I", self.sign_count) + attested)
        client_data = self._client_data("webauthn.create", options["challenge"])
        response = {"id": b64url(self.credential_id), "rawId": b64url(self.credential_id), "type": "public-key",
                    "response": {"clientDataJSON": b64url(client_data), "attestationObject": b64url(cbor2.dumps(
                        {"fmt": "none", "attStmt": {}, "authData": auth_data})), "transports": ["internal"]},
                    "clientExtensionResults": {}, "authenticatorAttachment": "platform"}
        salt = options.get("extensions", {}).get("prf", {}).get("eval", {}).get("first")
        return json.dumps(response), self.prf_output(unb64url(salt)) if salt else None

    def get(self, options: dict[str, Any], *, origin: str | None = None) -> tuple[str, bytes | None]:
        """The assertion JSON for ``options`` (this credential must be allowed), and its PRF output."""
        self.sign_count += 1
        auth_data = (hashlib.sha256(self.rp_id.encode()).digest() + self._flags(False)
                     + struct.pack(">I", self.sign_count))
        client_data = json.dumps({"type": "webauthn.get", "challenge": options["challenge"],
                                  "origin": origin or self.origin, "crossOrigin": False}).encode()
        signature = self.key.sign(auth_data + hashlib.sha256(client_data).digest(), ec.ECDSA(hashes.SHA256()))
        response = {"id": b64url(self.credential_id), "rawId": b64url(self.credential_id), "type": "public-key",
                    "response": {"clientDataJSON": b64url(client_data), "authenticatorData": b64url(auth_data),
                                 "signature": b64url(signature)},
                    "clientExtensionResults": {}, "authenticatorAttachment": "platform"}
        by_credential = options.get("extensions", {}).get("prf", {}).get("evalByCredential", {})
        salt = by_credential.get(b64url(self.credential_id), {}).get("first")
        return json.dumps(response), self.prf_output(unb64url(salt)) if salt else None
