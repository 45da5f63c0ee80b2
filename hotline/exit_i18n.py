"""English and Spanish for the exit-interview pages, chosen by ``?lang=es`` in the URL (never a cookie).

The Spanish strings live in their own gettext domain, hotline/translations/es/LC_MESSAGES/exit.po, compiled with
Babel when the app first needs them (no compiled file is kept in the repository). One Jinja2 environment per
language, made once per app. Issue 3's hotline/i18n.py can take this domain in as it stands.
"""

from __future__ import annotations

import gettext
import io
from pathlib import Path
from typing import Any

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from jinja2 import Environment
from starlette.requests import Request
from starlette.responses import HTMLResponse

from hotline.rendering import make_environment

LANGUAGES = ("en", "es")
DOMAIN = "exit"
TRANSLATIONS = Path(__file__).parent / "translations"


def catalog_path(language: str) -> Path:
    return TRANSLATIONS / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def load_translations(language: str) -> gettext.NullTranslations:
    """The compiled catalog for ``language``; English is the source language and needs none."""
    if language == "en":
        return gettext.NullTranslations()
    with open(catalog_path(language), "rb") as handle:
        catalog = read_po(handle, locale=language, domain=DOMAIN)
    compiled = io.BytesIO()
    write_mo(compiled, catalog, use_fuzzy=False)
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)


def make_exit_environments() -> dict[str, Environment]:
    environments = {}
    for language in LANGUAGES:
        environment = make_environment()
        environment.install_gettext_translations(load_translations(language), newstyle=True)  # type: ignore[attr-defined]
        environments[language] = environment
    return environments


def language_of(request: Request, form_value: str | None = None) -> str:
    chosen = form_value if form_value is not None else request.query_params.get("lang", "en")
    return chosen if chosen in LANGUAGES else "en"


def _environments(request: Request) -> dict[str, Environment]:
    # Made on first use and kept with the app: each app built by create_app has its own (no module state).
    state = request.app.state
    environments: dict[str, Environment] | None = getattr(state, "exit_environments", None)
    if environments is None:
        environments = make_exit_environments()
        state.exit_environments = environments
    return environments


def render_exit(request: Request, template: str, language: str, context: dict[str, Any] | None = None, *,
                status_code: int = 200, headers: dict[str, str] | None = None) -> HTMLResponse:
    environment = _environments(request)[language]
    page = environment.get_template(template).render(request=request, lang=language, **(context or {}))
    return HTMLResponse(page, status_code=status_code, headers=headers)
