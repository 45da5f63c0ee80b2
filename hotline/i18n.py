"""English and Spanish: gettext catalogs through Babel, one Jinja2 environment per language.

The Spanish catalog is hotline/locale/es/LC_MESSAGES/messages.po, committed as text; it is compiled in memory
with Babel when the app starts, so no binary .mo file is ever committed or goes stale. The language is chosen
by a link on every page and kept in the URL (``?lang=es`` on every link and form action), never in a cookie
(docs/design.md#threat-model-and-anonymity-rules, rule 1): a shared or seized computer's cookies then say nothing
about a visit.

``python -m hotline.i18n`` re-extracts every message (templates, ``_``/``N_``/``Message`` in the code) and
merges it into the catalog, keeping existing translations; tests/hotline/test_i18n.py fails when any message
has no Spanish translation.
"""

from __future__ import annotations

import gettext
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from babel.lists import format_list
from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po
from babel.numbers import format_decimal
from jinja2 import Environment, pass_context
from jinja2.runtime import Context
from starlette.requests import Request

from hotline.local_time import day_text
from hotline.statistics_text import CHANNEL_LABELS
from intake.categories import category_label
from intake.messages import Message
from intake.reports.questionnaires import in_language

DEFAULT_LANGUAGE = "en"
# Each language's name written in that language, as the switch link shows it.
LANGUAGES = {"en": "English", "es": "Español"}
ROOT = Path(__file__).resolve().parent.parent
LOCALE_DIR = Path(__file__).parent / "locale"
KEYWORDS = {**DEFAULT_KEYWORDS, "Message": None}
# The exit-interview survey keeps its own catalog, exit.po (hotline.web.exit.i18n, with its own
# completeness test): its templates and modules are left out of this one. HR's and the coordinator's exit pages
# are console pages, rendered with this catalog: their templates are in it.
SURVEY_TEMPLATES = ("_base", "_problems", "notice", "code", "done", "survey")
EXIT_DOMAIN_PATHS = [*(f"hotline/templates/exit/{name}.html" for name in SURVEY_TEMPLATES),
                     "hotline/web/exit_*.py", "intake/exit/**.py"]
METHOD_MAP = [
    # HR's side of the exit interviews speaks in the console, so its words are the console's (the first pattern
    # that matches a file wins).
    ("intake/exit/hr.py", "python"),
    *((pattern, "ignore") for pattern in EXIT_DOMAIN_PATHS),
    ("hotline/templates/**.html", "jinja2"),
    ("hotline/templates/**.txt", "jinja2"),
    ("hotline/**.py", "python"),
    ("intake/**.py", "python"),
]
JINJA_OPTIONS = {"extensions": "jinja2.ext.i18n", "trim_blocks": "True", "lstrip_blocks": "True",
                 "newstyle_gettext": "True"}


def catalog_path(language: str, domain: str = "messages") -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{domain}.po"


def read_catalog(language: str, domain: str = "messages") -> Catalog:
    with open(catalog_path(language, domain), "rb") as handle:
        return read_po(handle, locale=language, domain=domain)


def load_translations(language: str, domain: str = "messages") -> gettext.NullTranslations:
    """The language's translations, compiled from its .po file in memory (English is the source language)."""
    if language == DEFAULT_LANGUAGE:
        return gettext.NullTranslations()
    buffer = io.BytesIO()
    write_mo(buffer, read_catalog(language, domain), use_fuzzy=False)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


def browser_language(header: str) -> str:
    """The first language of an ``Accept-Language`` header (RFC 9110 section 12.5.4) that the site speaks, by
    weight: "es-MX,es;q=0.9,en;q=0.8" gives "es"; nothing usable gives the default language."""
    weighted = []
    for order, part in enumerate(header[:512].split(",")):
        tag, _, parameters = part.strip().partition(";")
        weight = 1.0
        name, _, value = parameters.strip().partition("=")
        if name.strip() == "q":
            try:
                weight = float(value)
            except ValueError:
                weight = 0.0
        primary = tag.strip().split("-")[0].lower()
        if weight > 0 and primary in LANGUAGES:
            weighted.append((-weight, order, primary))
    return min(weighted)[2] if weighted else DEFAULT_LANGUAGE


def language_of(request: Request) -> str:
    """``?lang=`` when the address carries it (the reporter's choice, kept in every link); otherwise what the
    browser asks for, so a first visit from a Spanish browser is in Spanish. Never a cookie."""
    requested = request.query_params.get("lang")
    if requested in LANGUAGES:
        return str(requested)
    return browser_language(request.headers.get("accept-language", ""))


def needs_explicit_language(request: Request) -> bool:
    """Whether links must name the language even for English: when the browser would otherwise choose another
    one, so that a reporter who switched to English stays in English."""
    return browser_language(request.headers.get("accept-language", "")) != DEFAULT_LANGUAGE


def with_language(path: str, language: str, *, explicit: bool = False) -> str:
    """``path`` with the language carried in its query (nothing added for the default language, unless
    ``explicit``)."""
    if language == DEFAULT_LANGUAGE and not explicit:
        return path
    separator = "&" if "?" in path else "?"
    return f"{path}{separator}{urlencode({'lang': language})}"


def translator(translations: gettext.NullTranslations, language: str = DEFAULT_LANGUAGE) -> Callable[[str], str]:
    """Translate a sentence from the domain: a :class:`intake.messages.Message` is looked up by its template and
    filled in with its values (whole numbers grouped the language's way: 50,000 or 50.000); a plain sentence is
    looked up as it is."""

    def translate(sentence: str) -> str:
        if isinstance(sentence, Message):
            values = {name: format_decimal(value, locale=language) if isinstance(value, int) else value
                      for name, value in sentence.values.items()}
            return translations.gettext(sentence.template) % values
        return translations.gettext(sentence)

    return translate


def install(environment: Environment, language: str) -> None:
    """Give ``environment`` the language's gettext (newstyle: ``_("... %(name)s", name=x)`` escapes x) and the
    helpers every page uses to keep the language in its links."""
    translations = load_translations(language)
    environment.install_gettext_translations(translations, newstyle=True)  # type: ignore[attr-defined]
    translate = translator(translations, language)
    environment.filters["problem_text"] = translate
    environment.filters["localized"] = lambda text: in_language(text, language)
    environment.filters["number"] = lambda number: format_decimal(number, locale=language)
    environment.filters["category_labels"] = lambda slugs: format_list(
        [translations.gettext(category_label(slug)) for slug in slugs], locale=language) if slugs else ""
    environment.filters["day"] = lambda day: day_text(day, language) if day is not None else ""
    # A case's channel as stored ("walk-in", "hr-call") in words ("In person", "Call to HR"), in either language.
    environment.filters["channel_label"] = lambda channel: translations.gettext(CHANNEL_LABELS.get(channel) or channel)
    # A stored English name that may be in the catalogue (a built-in group's), shown translated; "" stays "" (the
    # empty msgid is the catalogue's header).
    environment.filters["words"] = lambda text: translations.gettext(text) if text else ""
    environment.globals["lang"] = language
    environment.globals["languages"] = LANGUAGES

    @pass_context
    def link(context: Context, path: str) -> str:
        return with_language(path, context.get("lang", language), explicit=bool(context.get("explicit_language")))

    environment.globals["link"] = link


def extract_messages() -> Catalog:
    """Every message of the project, as Babel extracts it from the source."""
    catalog = Catalog(project="hotline", charset="utf-8")
    options: dict[str, Any] = {"hotline/templates/**.html": JINJA_OPTIONS, "hotline/templates/**.txt": JINJA_OPTIONS}
    for filename, lineno, message, comments, context in extract_from_dir(
        str(ROOT), METHOD_MAP, options, keywords=KEYWORDS, comment_tags=("Translators:",), strip_comment_tags=True
    ):
        catalog.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return catalog


def update_catalog(language: str) -> list[str]:
    """Merge newly extracted messages into the language's .po; return the ids still without a translation."""
    template = extract_messages()
    path = catalog_path(language)
    if path.exists():
        catalog = read_catalog(language)
        catalog.update(template, no_fuzzy_matching=True)
    else:
        catalog = Catalog(locale=language, project="hotline", charset="utf-8")
        catalog.update(template)
    catalog.obsolete.clear()
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as handle:
        write_po(handle, catalog, width=120, omit_header=False, sort_output=False, include_lineno=False)
    return [str(message.id) for message in catalog if message.id and not message.string]


if __name__ == "__main__":
    missing = update_catalog("es")
    print(f"{len(missing)} messages without a Spanish translation")
    for message_id in missing:
        print(" -", message_id)
