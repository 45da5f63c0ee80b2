"""Templates: one Jinja2 environment per language per app, autoescaped, with gettext for every string shown to
people (hotline.i18n). The page's language comes from its URL (``?lang=es``), never from a cookie."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse

from crypto.report_keys import format_report_key
from hotline.i18n import DEFAULT_LANGUAGE, LANGUAGES, install, language_of, needs_explicit_language, with_language
from hotline.middleware.security_headers import via_onion
from hotline.public_facts import PublicFacts
from hotline.template_gettext import CompileTimeGettext
from intake.categories import category_label
from intake.messages import N_
from intake.phone.transcription import reason_sentence

# How each reviewer role reads on the report form's list of reviewers a reporter may leave out.
ROLE_LABELS = {"reviewer": N_("Reviewer"), "admin": N_("Administrator"), "auditor": N_("Auditor")}

TEMPLATES = Path(__file__).parent / "templates"


def make_environment(language: str = DEFAULT_LANGUAGE) -> Environment:
    environment = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(default=True, default_for_string=True),
        extensions=[CompileTimeGettext],
        trim_blocks=True,
        lstrip_blocks=True,
        # Templates ship with the code and change only with a new release (a restart): checking each file's
        # modification time on every render was a system call per template per page (`hotline bench intake`).
        auto_reload=False,
    )
    install(environment, language)
    environment.filters["report_key_groups"] = format_report_key
    environment.filters["category_label"] = category_label
    environment.filters["role_label"] = lambda role: ROLE_LABELS.get(role, role)
    environment.filters["transcript_reason"] = reason_sentence
    return environment


def make_environments() -> dict[str, Environment]:
    return {language: make_environment(language) for language in LANGUAGES}


def switch_links(request: Request, language: str, *, to_start: bool = False) -> dict[str, str]:
    """For each other language, this page's address in it: the same path and query with ``lang`` changed.

    ``to_start`` (error pages) links to the start page instead, so a not-found page never repeats the address
    that was asked for: it may name another city's case (tests/hotline/test_access_matrix.py).
    """
    query = [(name, value) for name, value in request.query_params.multi_items() if name != "lang"]
    links = {}
    for other in LANGUAGES:
        if other != language:
            path = "/" if to_start else request.url.path + ("?" + urlencode(query) if query else "")
            links[other] = with_language(path, other, explicit=True)
    return links


def facts_for(request: Request, language: str) -> Callable[[str | None], PublicFacts]:
    """base.html's ``service_facts(city_slug)``, made once per page for the pages that show it; the database is
    read at most every few seconds (hotline.public_facts.ServiceFacts)."""
    state = request.app.state.hotline
    cache: dict[str | None, PublicFacts] = {}

    def facts(city_slug: str | None = None) -> PublicFacts:
        if city_slug not in cache:
            found = state.service_facts.facts(city_slug, language)
            if via_onion(request.scope, state.settings.onion_address):
                # A page reached through the onion names no ordinary host (docs/design.md#an-onion-service).
                found = dataclasses.replace(found, domain=state.settings.onion_address)
            cache[city_slug] = found
        return cache[city_slug]

    return facts


def translation(request: Request) -> Callable[[str], str]:
    """The page's language's translation of a sentence (for PDFs and charts made outside a template)."""
    state = request.app.state.hotline
    environment: Environment = state.environments.get(language_of(request), state.templates)
    translate: Callable[[str], str] = environment.filters["problem_text"]
    return translate


def render(request: Request, template: str, context: dict[str, Any] | None = None, *, status_code: int = 200,
           headers: dict[str, str] | None = None, links_to_start: bool = False) -> HTMLResponse:
    language = language_of(request)
    state = request.app.state.hotline
    environment: Environment = state.environments.get(language, state.templates)
    page = environment.get_template(template).render(
        request=request, switch_links=switch_links(request, language, to_start=links_to_start),
        explicit_language=needs_explicit_language(request), service_facts=facts_for(request, language),
        routing_gaps=getattr(request.state, "routing_gaps", ()),
        hr_member=getattr(request.state, "hr_member", False), **(context or {}))
    return HTMLResponse(page, status_code=status_code, headers=headers)
