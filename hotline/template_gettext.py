"""Jinja2's gettext, with every constant sentence translated once, when a template is compiled.

Each app has one Jinja2 environment per language (hotline.rendering), so a ``{{ _("Make a report") }}`` always
gives the same text in a given environment. Jinja2 still looks it up on every page: the call goes through
``Context.call``, the newstyle wrapper, the catalogue, a ``Markup`` and a ``%`` with escaping, about forty times
a page, and with the rest of the frame that was about a third of the CPU a report cost outside its key derivation
(`hotline bench intake`).

:class:`CompileTimeGettext` is jinja2.ext.i18n with one more step. When a template is compiled, a call
``_("...")`` whose only argument is a string literal is replaced by its translation marked safe, computed exactly
as the newstyle gettext computes it at run time: ``Markup(gettext(sentence)) % {}`` (``%%`` becomes ``%``; the
catalogue is committed with the code, and nothing typed by anyone is in it). A call with values
(``_("... %(city)s", city=name)``), ``ngettext`` and every other expression are left to run as before. Babel
extracts the sentences from the template source, so the catalogue and its completeness test
(tests/hotline/test_i18n.py) see every call as written.
"""

from __future__ import annotations

import gettext
from collections.abc import Iterator

from jinja2 import Environment
from jinja2.ext import InternationalizationExtension
from jinja2.lexer import Token, TokenStream

GETTEXT_NAMES = ("_", "gettext")


class CompileTimeGettext(InternationalizationExtension):
    """``jinja2.ext.i18n`` whose ``install_gettext_translations`` also keeps the catalogue for compiling."""

    def __init__(self, environment: Environment) -> None:
        super().__init__(environment)
        self._catalogue: gettext.NullTranslations | None = None
        # Replaces the method jinja2.ext.i18n just installed (extend() would keep the first one).
        setattr(environment, "install_gettext_translations", self.install_translations)  # noqa: B010

    def install_translations(self, translations: gettext.NullTranslations, newstyle: bool | None = None) -> None:
        # Only the newstyle gettext formats every sentence with ``%``, which the constant below reproduces.
        self._catalogue = translations if newstyle else None
        self.environment.install_gettext_callables(  # type: ignore[attr-defined]
            translations.gettext, translations.ngettext, newstyle=newstyle, pgettext=translations.pgettext,
            npgettext=translations.npgettext)

    def filter_stream(self, stream: TokenStream) -> Iterator[Token]:
        tokens = list(stream)
        if self._catalogue is None:
            yield from tokens
            return
        index = 0
        while index < len(tokens):
            replaced = self._constant_call(tokens, index)
            if replaced is None:
                yield tokens[index]
                index += 1
            else:
                translated, after = replaced
                line = tokens[index].lineno
                # ( "translated" | safe ): a literal Jinja2 folds into the compiled template.
                yield from (Token(line, "lparen", "("), Token(line, "string", translated), Token(line, "pipe", "|"),
                            Token(line, "name", "safe"), Token(line, "rparen", ")"))
                index = after

    def _constant_call(self, tokens: list[Token], index: int) -> tuple[str, int] | None:
        """(translation, index after the call) when ``tokens[index]`` starts ``_("literal" ...)``, else None."""
        token = tokens[index]
        if token.type != "name" or token.value not in GETTEXT_NAMES:
            return None
        if index > 0 and tokens[index - 1].type == "dot":  # an attribute called _ (x._("...")), not gettext
            return None
        end = index + 2
        while end < len(tokens) and tokens[end].type == "string":
            end += 1  # adjacent literals are one string, as Jinja2 parses them
        if end == index + 2 or end >= len(tokens) or tokens[index + 1].type != "lparen" or tokens[end].type != "rparen":
            return None
        sentence = "".join(str(part.value) for part in tokens[index + 2:end])
        assert self._catalogue is not None
        try:
            translated = self._catalogue.gettext(sentence) % {}  # no values: as Markup(...) % {} would give
        except (KeyError, TypeError, ValueError):
            return None  # not a constant after all (it names a value): left to fail or work at run time as before
        return translated, end + 1
