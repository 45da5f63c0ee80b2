"""English and Spanish for the exit-interview pages, chosen by ``?lang=es`` in the URL or, on a first visit, by the
browser's Accept-Language (never a cookie).

The Spanish strings live in their own gettext domain, hotline/locale/es/LC_MESSAGES/exit.po, compiled in memory
by hotline.i18n like the main catalog (no compiled file is kept in the repository); the page frame shared with the
reporter pages (base.html) falls back to the main catalog. One Jinja2 environment per language, made once per app.
"""

from __future__ import annotations

import gettext
from pathlib import Path
from typing import Any

from jinja2 import Environment
from starlette.requests import Request
from starlette.responses import HTMLResponse

from hotline import i18n
from hotline.rendering import facts_for, make_environment, switch_links

LANGUAGES = ("en", "es")
DOMAIN = "exit"


def catalog_path(language: str) -> Path:
    return i18n.catalog_path(language, DOMAIN)


def load_translations(language: str) -> gettext.NullTranslations:
    """The compiled exit catalog for ``language``, falling back to the main catalog for the shared page frame;
    English is the source language and needs none."""
    translations = i18n.load_translations(language, DOMAIN)
    if language != i18n.DEFAULT_LANGUAGE:
        translations.add_fallback(i18n.load_translations(language))
    return translations


def make_exit_environments() -> dict[str, Environment]:
    environments = {}
    for language in LANGUAGES:
        environment = make_environment()
        environment.install_gettext_translations(load_translations(language), newstyle=True)  # type: ignore[attr-defined]
        environments[language] = environment
    return environments


def language_of(request: Request, form_value: str | None = None) -> str:
    chosen = form_value if form_value is not None else request.query_params.get("lang")
    if chosen in LANGUAGES:
        return str(chosen)
    return i18n.language_of(request)


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
    # The header's language link (base.html): this page in the other language, for pages reached by a link; a
    # page answering a form offers none, since the form's answers would be lost by following it.
    links = switch_links(request, language) if request.method == "GET" else {}
    page = environment.get_template(template).render(
        request=request, lang=language, switch_links=links, explicit_language=i18n.needs_explicit_language(request),
        service_facts=facts_for(request, language), **(context or {}))
    return HTMLResponse(page, status_code=status_code, headers=headers)
