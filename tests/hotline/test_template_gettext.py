"""Constant sentences are translated once, when a template is compiled (hotline.template_gettext), and give
exactly what Jinja2's newstyle gettext gives at run time; everything else still runs at run time."""

import pytest
from jinja2 import Environment

from hotline.i18n import install
from hotline.rendering import make_environment
from hotline.web.exit.i18n import make_exit_environments


def _runtime_environment(language: str) -> Environment:
    """The same environment with plain jinja2.ext.i18n: every sentence looked up as the page renders."""
    compiled = make_environment(language)
    plain = Environment(loader=compiled.loader, autoescape=compiled.autoescape, extensions=["jinja2.ext.i18n"],
                        trim_blocks=True, lstrip_blocks=True)
    install(plain, language)
    return plain


SOURCES = [
    '<p>{{ _("Make a report") }}</p>',
    '<a title="{{ _(\'Language\') }}">{{ _("Skip to main" " content") }}</a>',  # adjacent literals are one string
    '{% set title = _("Follow up on a report") %}<h1>{{ title }}</h1>{{ title|upper }}',
    '{{ _("Run by the Mid-America Regional Council (MARC) with %(cities)s, for their employees.", cities=names) }}',
    '{{ _("Make a report") ~ names }}',
    '{{ _("100%% of it") }}',
]


@pytest.mark.parametrize("language", ["en", "es"])
@pytest.mark.parametrize("source", SOURCES)
def test_compiled_sentences_render_exactly_as_the_runtime_gettext(language: str, source: str) -> None:
    names = "<b>Grandview</b> & Raytown"  # a value is escaped either way; a translation is not
    compiled = make_environment(language).from_string(source).render(names=names)
    assert compiled == _runtime_environment(language).from_string(source).render(names=names)
    assert "<b>" not in compiled


def test_a_constant_sentence_is_a_literal_of_the_compiled_template_in_its_language() -> None:
    code = make_environment("es").compile('<p>{{ _("Make a report") }}</p>', raw=True)
    assert "Hacer un reporte" in code and "context.call" not in code
    with_value = make_environment("es").compile('{{ _("Hi %(name)s", name=x) }}', raw=True)
    assert "context.call" in with_value  # a sentence with values is still looked up and filled in as the page renders


def test_an_attribute_called_underscore_is_not_gettext() -> None:
    template = make_environment("es").from_string('{{ thing._("Make a report") }}')
    assert template.render(thing={"_": lambda sentence: f"[{sentence}]"}) == "[Make a report]"


def test_the_exit_pages_use_the_catalogue_installed_last() -> None:
    # make_environment installs the main catalogue, the exit pages then their own (hotline.web.exit.i18n).
    spanish = make_exit_environments()["es"]
    assert spanish.from_string('{{ _("Make a report") }}').render() == "Hacer un reporte"
    assert spanish.from_string('{{ _("Make a report") }}').render() == \
        spanish.from_string('{{ _(s) }}').render(s="Make a report")
