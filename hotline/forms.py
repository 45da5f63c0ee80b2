"""Reading form fields safely: one place that turns a posted form into plain strings."""

from __future__ import annotations

import base64
import binascii

from starlette.datastructures import FormData
from starlette.exceptions import HTTPException


def text_field(form: FormData, name: str, default: str = "") -> str:
    """A text field's value; a missing field or an unexpected file upload reads as ``default``.

    A value with a NUL character is refused with a 400 (the "could not be read" page), before anything uses
    it: no form of ours sends one, and PostgreSQL can neither store nor compare it, so a lookup would fail where
    SQLite finds nothing (tests/hotline/fuzz_support.py sends one in every field). Reading it as missing instead
    could turn a request into another one (an empty assignee unassigns a case)."""
    value = form.get(name, default)
    if not isinstance(value, str):
        return default
    if "\x00" in value:
        raise HTTPException(status_code=400)
    return value


def passkey_fields(form: FormData) -> tuple[str, bytes | None]:
    """The WebAuthn response the console's script (hotline/static/passkeys.js) put in a form, and the PRF output
    it carried: None when there is none, or it is not 32 bytes of base64url."""
    prf_text = text_field(form, "passkey_prf")
    try:
        prf = base64.urlsafe_b64decode(prf_text + "=" * (-len(prf_text) % 4)) if prf_text else None
    except (binascii.Error, ValueError):
        prf = None
    return text_field(form, "passkey_response"), prf if prf is not None and len(prf) == 32 else None
