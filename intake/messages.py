"""Sentences the domain says to people, kept translatable without the domain knowing any language but English.

The domain may not import the delivery layer (docs/design.md#architecture), so it cannot translate; it marks each
sentence instead. ``N_`` marks a fixed sentence, and :class:`Message` one with values in it: it reads as the
finished English sentence everywhere (logs, the command line, tests), and also keeps its template and values
so the delivery layer can look the template up in a gettext catalog (hotline.i18n) and fill it in. Babel's
extractor finds both markers (babel.cfg), so every sentence here is in the catalog.
"""

from __future__ import annotations

from typing import Any


def N_(sentence: str) -> str:
    """Mark a fixed sentence for the catalog; returns it unchanged."""
    return sentence


class Message(str):
    """An English sentence made from ``template % values``, which remembers both for translation."""

    template: str
    values: dict[str, Any]

    def __new__(cls, template: str, **values: Any) -> Message:
        # Whole numbers read with English digit grouping here; the delivery layer groups them for its language.
        english = {name: f"{value:,}" if isinstance(value, int) else value for name, value in values.items()}
        made = super().__new__(cls, template % english if values else template)
        made.template = template
        made.values = values
        return made
