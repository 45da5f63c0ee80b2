"""Reading form fields safely: one place that turns a posted form into plain strings."""

from __future__ import annotations

from starlette.datastructures import FormData


def text_field(form: FormData, name: str, default: str = "") -> str:
    """A text field's value; a missing field or an unexpected file upload reads as ``default``."""
    value = form.get(name, default)
    return value if isinstance(value, str) else default
