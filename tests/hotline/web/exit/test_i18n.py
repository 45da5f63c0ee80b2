"""Every string of the exit survey has its Spanish, in the exit catalog that hotline.web.exit.i18n compiles or,
for the page frame it shares with the reporter pages (base.html), in the main catalog it falls back to."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from jinja2.ext import babel_extract

from hotline import i18n
from hotline.web.exit.i18n import catalog_path, language_of, load_translations

TEMPLATES = Path(__file__).resolve().parents[4] / "hotline" / "templates"
SURVEY_TEMPLATES = ["base.html", "exit/_base.html", "exit/_problems.html", "exit/notice.html",
                    "exit/code.html", "exit/done.html", "exit/survey.html"]
# Sentences the intake layer can put on the survey form (intake.exit.questionnaire, intake.text, the survey).
PROBLEMS = [
    "Choose a number from 1 to 5, or leave it out.", "Choose a number from 0 to 10, or leave it out.",
    "Choose one of the answers listed, or leave it out.", "Choose among the answers listed.",
    "Give one answer to this question.", "This is too long: at most 5,000 characters.",
    "This contains control characters (such as NUL) that cannot be stored.",
    "This contains characters that are not valid text.",
    "The form held answers to questions this questionnaire does not ask.",
    "This questionnaire was changed while the form was open. Nothing was sent: please check the answers below and "
    "send them again.",
    "This form was open a long time. Nothing was sent yet: check your answers and send them again.",
]


def template_messages() -> list[str]:
    found = []
    for name in SURVEY_TEMPLATES:
        with open(TEMPLATES / name, "rb") as handle:
            for _line, _function, message, _comments in babel_extract(
                    handle, ["_", "gettext", "ngettext"], [], {"extensions": "jinja2.ext.i18n"}):
                text = message[0] if isinstance(message, tuple) else message
                if text:
                    found.append(text)
    return found


@pytest.mark.parametrize("message", sorted(set(template_messages() + PROBLEMS)))
def test_every_survey_string_has_spanish(message):
    with open(catalog_path("es"), "rb") as handle:
        catalog = read_po(handle, locale="es")
    entry = catalog.get(message)
    if entry is None:  # the shared frame: from the main catalog
        with open(i18n.catalog_path("es"), "rb") as handle:
            entry = read_po(handle, locale="es").get(message)
    assert entry is not None and entry.string and not entry.fuzzy, message
    expected = entry.string if isinstance(entry.string, str) else entry.string[0]
    singular = message if isinstance(entry.id, str) else entry.id[0]
    translations = load_translations("es")
    assert (translations.gettext(singular) if isinstance(entry.id, str)
            else translations.ngettext(singular, entry.id[1], 1)) == expected


def test_the_problem_sentences_are_the_ones_intake_writes():
    from intake.errors import InvalidInput
    from intake.exit.questionnaire import DEFAULT_DEFINITION, check_answers, parse_definition

    questionnaire = parse_definition(DEFAULT_DEFINITION)
    written = set()
    for fields in ({"q_rating_pay": ["9"]}, {"q_recommend": ["11"]}, {"q_main_reason": ["x"]},
                   {"q_other_reasons": ["x"]}, {"q_come_back": ["yes", "no"]}, {"q_comments": ["x" * 5001]},
                   {"q_comments": ["\x00"]}, {"q_comments": ["\ud800"]}, {"q_unknown": ["1"]}):
        with pytest.raises(InvalidInput) as invalid:
            check_answers(questionnaire, fields)
        written |= set(invalid.value.problems.values())
    assert written <= set(PROBLEMS)
    assert len(written) == 9


def test_language_comes_from_the_url_then_from_the_browser():
    class Request:
        def __init__(self, query, accept=""):
            self.query_params = query
            self.headers = {"accept-language": accept} if accept else {}

    assert language_of(Request({"lang": "es"})) == "es"
    assert language_of(Request({"lang": "es"}, "en-US")) == "es"
    assert language_of(Request({"lang": "en"}, "es-MX")) == "en"
    assert language_of(Request({"lang": "fr"})) == "en"
    assert language_of(Request({})) == "en"
    assert language_of(Request({}, "es-US,es;q=0.9")) == "es"
    assert language_of(Request({}, "fr-CA, en;q=0.5")) == "en"
