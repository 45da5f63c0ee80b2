"""Checks on free text a person typed, shared by every service that takes some."""

from __future__ import annotations

import re
import unicodedata

from intake.messages import N_, Message

# Unicode category Cc (C0 and C1 controls, DEL) except newline, carriage return and tab; and lone surrogates
# (category Cs). One compiled pattern instead of a Python loop per character (`hotline bench intake`).
_CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_SURROGATES = re.compile("[\ud800-\udfff]")


def clean_text(value: str) -> str:
    """Normalise line endings and Unicode composition (NFC) and trim the ends."""
    return unicodedata.normalize("NFC", value.replace("\r\n", "\n").replace("\r", "\n")).strip()


def text_problem(value: str, *, max_chars: int, required: bool = True) -> str | None:
    """A plain sentence saying what is wrong with ``value``, or ``None`` when it is acceptable."""
    if required and not value.strip():
        return N_("This cannot be empty.")
    if len(value) > max_chars:
        return Message("This is too long: at most %(max)s characters.", max=max_chars)
    if _CONTROLS.search(value):
        return N_("This contains control characters (such as NUL) that cannot be stored.")
    if _SURROGATES.search(value):
        return N_("This contains characters that are not valid text.")
    return None
