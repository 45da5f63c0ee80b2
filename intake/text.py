"""Checks on free text a person typed, shared by every service that takes some."""

from __future__ import annotations

import unicodedata

from intake.messages import N_, Message

_ALLOWED_CONTROLS = {"\n", "\r", "\t"}


def clean_text(value: str) -> str:
    """Normalise line endings and Unicode composition (NFC) and trim the ends."""
    return unicodedata.normalize("NFC", value.replace("\r\n", "\n").replace("\r", "\n")).strip()


def text_problem(value: str, *, max_chars: int, required: bool = True) -> str | None:
    """A plain sentence saying what is wrong with ``value``, or ``None`` when it is acceptable."""
    if required and not value.strip():
        return N_("This cannot be empty.")
    if len(value) > max_chars:
        return Message("This is too long: at most %(max)s characters.", max=f"{max_chars:,}")
    if any(unicodedata.category(ch) == "Cc" and ch not in _ALLOWED_CONTROLS for ch in value):
        return N_("This contains control characters (such as NUL) that cannot be stored.")
    if any(unicodedata.category(ch) == "Cs" for ch in value):
        return N_("This contains characters that are not valid text.")
    return None
