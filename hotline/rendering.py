"""Templates: one Jinja2 environment per app, autoescaped, with gettext for every string shown to people."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse

from crypto.report_keys import format_report_key
from intake.categories import category_label

TEMPLATES = Path(__file__).parent / "templates"


def make_environment() -> Environment:
    environment = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(default=True, default_for_string=True),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.install_null_translations(newstyle=True)  # type: ignore[attr-defined]
    environment.filters["report_key_groups"] = format_report_key
    environment.filters["category_label"] = category_label
    return environment


def render(request: Request, template: str, context: dict[str, Any] | None = None, *, status_code: int = 200,
           headers: dict[str, str] | None = None) -> HTMLResponse:
    environment: Environment = request.app.state.hotline.templates
    page = environment.get_template(template).render(request=request, **(context or {}))
    return HTMLResponse(page, status_code=status_code, headers=headers)
