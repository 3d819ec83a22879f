"""Translations: the gettext domain ``orcid_pyramid`` and its catalogs in ``locale/``.

The host owns the locale negotiator (Pyramid's ``ILocaleNegotiator``); the add-on only adds its
translation directory and translates where text meets the page. Templates call the Jinja2
globals ``orcid_t(text, **mapping)`` and ``orcid_nt(singular, plural, n, **mapping)``; a plain
``_`` would be the host's own domain (pyramid_jinja2's ``jinja2.i18n.domain``). Texts made in
Python (flash messages, error titles, the scope and status words) are looked up by their
English text when they are shown, so the views and the client stay free of locale handling.

Speed: ``orcid_t("a literal", …)`` (a string first) is compiled by :class:`LiteralTexts` into
a filter that reads ``request.orcid_texts``, one dict per catalog holding the literals already
translated: a page's forty-odd texts cost a dict lookup each, not a trip through Jinja2's call
dispatch and the gettext catalog.

Python marks its texts with ``_("…", name=value)``, which returns a :class:`Message`: a
``str`` that *is* the English sentence (so code, logs and tests that treat it as text see
English) and that remembers its message id and values for ``orcid_t``. Pyramid's
``TranslationString`` would be the English template with ``${…}`` markers when used as text.

Replacement markers are ``${name}``. A value that is already safe HTML (``markupsafe.Markup``,
e.g. a link) stays HTML; the translated text and every other value are escaped.
"""

from __future__ import annotations

import re
from functools import cache, partial
from importlib import resources

from jinja2 import pass_context
from jinja2.ext import Extension
from jinja2.lexer import Token
from markupsafe import Markup, escape

DOMAIN = "orcid_pyramid"
LOCALE_DIR = "orcid_pyramid:locale/"
#: what the page is written in when no catalog fits the request's locale
SOURCE_LANGUAGE = "en"

_MARKER = re.compile(r"\$\{([_a-zA-Z][_a-zA-Z0-9]*)\}")


class Message(str):
    """An English text that can be translated later: ``str(message)`` is the English sentence
    with its values filled in; ``msgid`` and ``mapping`` are what :func:`translate` needs."""

    msgid: str
    mapping: dict

    def __new__(cls, msgid: str, **mapping):
        self = super().__new__(cls, fill(msgid, {k: str(v) for k, v in mapping.items()}))
        self.msgid = msgid
        self.mapping = mapping
        return self

    def __reduce__(self):
        return (_message, (self.msgid, self.mapping))


def _message(msgid: str, mapping: dict) -> Message:
    return Message(msgid, **mapping)


def _(msgid: str, **mapping) -> Message:
    """Mark ``msgid`` as a message of the ``orcid_pyramid`` domain (extracted by Babel)."""
    return Message(msgid, **mapping)


def includeme(config) -> None:
    """Add the catalogs and the template helpers (``config.include("orcid_pyramid")`` does
    this)."""
    config.add_translation_dirs(LOCALE_DIR)
    config.add_request_method(literal_texts, "orcid_texts", reify=True)

    def register() -> None:
        env = config.get_jinja2_environment()
        if env is not None:
            env.globals["orcid_t"] = template_translate
            env.globals["orcid_nt"] = template_pluralize
            env.globals["orcid_lang"] = partial(page_language, None)
            env.filters[LITERAL_FILTER] = template_translate_literal
            env.add_extension(LiteralTexts)

    # 999: after pyramid_jinja2 built the environment (its documented hook order)
    config.action(None, register, order=999)


@cache
def available_locales() -> frozenset[str]:
    """The locales the add-on has a compiled catalog for, plus the source language."""
    found = {SOURCE_LANGUAGE}
    base = resources.files("orcid_pyramid").joinpath("locale")
    if base.is_dir():
        for entry in base.iterdir():
            if entry.joinpath("LC_MESSAGES", f"{DOMAIN}.mo").is_file():
                found.add(entry.name)
    return frozenset(found)


def translate(request, text, **mapping):
    """``text`` (a :class:`Message` or a plain English str) in the request's language, with
    ``mapping`` filled in. Returns ``Markup`` when a value is ``Markup``; ``None`` stays
    ``None``; a text the catalog does not know stays as it is."""
    if text is None:
        return None
    if not isinstance(text, str):
        text = str(text)
    msgid = getattr(text, "msgid", text)
    values = getattr(text, "mapping", None)
    values = {**values, **mapping} if values else mapping
    translations = _translations(request)
    # the gettext catalog itself: Localizer.translate builds a TranslationString per call,
    # which costs more than the lookup (the panel shows about forty texts)
    translated = translations.dugettext(DOMAIN, msgid) if translations is not None else msgid
    if not values:
        return translated
    return fill(translated, {k: translate(request, v) if isinstance(v, Message) else v
                             for k, v in values.items()})


def pluralize(request, singular: str, plural: str, n: int, **mapping):
    """The singular or plural form for ``n`` in the request's language, with ``mapping``
    (``n`` is always available as ``${n}``)."""
    translations = _translations(request)
    if translations is not None:
        text = translations.dungettext(DOMAIN, singular, plural, n)
    else:
        text = singular if n == 1 else plural
    return fill(text, {"n": n, **mapping})


def literal_texts(request) -> dict:
    """``request.orcid_texts``: msgid -> text in the request's language, for the texts written
    in the templates. One dict per catalog, shared by every request in that language and
    filled as texts are first shown, so a literal is looked up in the catalog once per
    language, not on every page. Only literals go in (bounded); texts made at run time (error
    messages, values) go through :func:`translate`."""
    translations = _translations(request)
    if translations is None:
        return _UNTRANSLATED
    texts = getattr(translations, _TEXTS, None)
    if texts is None:
        texts = _CatalogTexts(translations)
        setattr(translations, _TEXTS, texts)
    return texts


_TEXTS = "_orcid_literal_texts"  # attribute of a Pyramid Translations: its _CatalogTexts


class _CatalogTexts(dict):
    """A dict that asks the catalog for a msgid it does not hold yet, and keeps the answer."""

    def __init__(self, translations) -> None:
        super().__init__()
        self.translations = translations

    def __missing__(self, msgid: str) -> str:
        text = self[msgid] = self.translations.dugettext(DOMAIN, msgid)
        return text


class _Untranslated(dict):
    """No catalog (outside a request): every text is its English msgid."""

    def __missing__(self, msgid: str) -> str:
        return msgid


_UNTRANSLATED = _Untranslated()


def _translations(request):
    """The request's gettext catalogs (Pyramid's ``Translations``), or None outside a
    request."""
    try:
        localizer = getattr(request, "localizer", None) if request is not None else None
    except UnicodeDecodeError:  # a negotiator read a query string that is not UTF-8
        return None
    return getattr(localizer, "translations", None)


def fill(text: str, values: dict):
    """Replace ``${name}`` markers; HTML-safe when any value is ``Markup``. An unknown marker
    is left as it is (a translator's typo must not break the page)."""
    if not values:
        return text
    if any(isinstance(v, Markup) for v in values.values()):
        return Markup(_MARKER.sub(
            lambda m: str(escape(values[m.group(1)])) if m.group(1) in values else m.group(0),
            str(escape(text))))
    return _MARKER.sub(
        lambda m: str(values[m.group(1)]) if m.group(1) in values else m.group(0), text)


def page_language(request=None) -> str:
    """The page's ``lang`` attribute (BCP 47): the request's locale when a catalog exists for
    it, else the source language (a page must not claim a language it is not written in)."""
    request = request or _current_request()
    try:
        name = getattr(request, "locale_name", None) or SOURCE_LANGUAGE
    except UnicodeDecodeError:  # a negotiator read a query string that is not UTF-8
        name = SOURCE_LANGUAGE
    for candidate in (name, name.split("_")[0]):
        if candidate in available_locales():
            return candidate.replace("_", "-")
    return SOURCE_LANGUAGE


def negotiated_locale(request) -> str | None:
    """The locale the host's negotiator chose for ``request``, or None when it chose none
    (Pyramid then falls back to ``pyramid.default_locale_name``; that is not a choice)."""
    from pyramid.i18n import default_locale_negotiator
    from pyramid.interfaces import ILocaleNegotiator

    negotiator = request.registry.queryUtility(ILocaleNegotiator,
                                               default=default_locale_negotiator)
    try:
        return negotiator(request) or None
    except UnicodeDecodeError:  # Pyramid's default reads the query string
        return None


@pass_context
def template_translate(context, text, **mapping):
    """The ``orcid_t`` template global."""
    request = context.get("request") or _current_request()
    if not mapping and type(text) is str:  # the common case, kept short: a page has dozens
        translations = _translations(request)
        return translations.dugettext(DOMAIN, text) if translations is not None else text
    return translate(request, text, **mapping)


#: the filter ``orcid_t("literal")`` is compiled into (see :class:`LiteralTexts`)
LITERAL_FILTER = "orcid_literal"


@pass_context
def template_translate_literal(context, msgid: str, **mapping):
    """``orcid_t("literal", name=value…)`` as :class:`LiteralTexts` compiles it: a direct call
    (a filter) instead of Jinja2's dispatch of a global, and one dict lookup for the text."""
    request = context.get("request") or _current_request()
    if request is None:
        return fill(msgid, mapping) if mapping else msgid
    try:
        texts = request.orcid_texts
    except AttributeError:  # a request without the add-on's request methods
        texts = literal_texts(request)
    except UnicodeDecodeError:  # a negotiator read a query string that is not UTF-8
        return fill(msgid, mapping) if mapping else msgid
    if not mapping:
        return texts[msgid]
    return fill(texts[msgid], {k: translate(request, v) if isinstance(v, Message) else v
                               for k, v in mapping.items()})


class LiteralTexts(Extension):
    """Jinja2 extension: ``orcid_t("a literal")`` and ``orcid_t("a ${x}", x=value)`` (a string
    first) are compiled as ``("a literal"|orcid_literal)`` and ``("a ${x}"|orcid_literal(
    x=value))``, which render the same text. Anything else (a variable or an expression first,
    ``x.orcid_t(...)``) is left to the ``orcid_t`` global. Babel still extracts
    ``orcid_t("…")`` from the source."""

    def filter_stream(self, stream):
        tokens = list(stream)
        out: list[Token] = []
        i = 0
        while i < len(tokens):
            token = tokens[i]
            end = self._literal_call_end(tokens, i) \
                if token.type == "name" and token.value == "orcid_t" \
                and not (out and out[-1].type == "dot") else None
            if end is None:
                out.append(token)
                i += 1
                continue
            line = token.lineno
            out += [Token(line, "lparen", "("), tokens[i + 2], Token(line, "pipe", "|"),
                    Token(line, "name", LITERAL_FILTER)]
            if tokens[i + 3].type == "comma":  # the values: the filter's arguments
                out += [Token(line, "lparen", "("), *tokens[i + 4:end + 1]]
            out.append(Token(line, "rparen", ")"))
            i = end + 1
        return out

    @staticmethod
    def _literal_call_end(tokens, i: int) -> int | None:
        """The index of the ``)`` closing ``orcid_t(`` at ``i`` when its first argument is one
        string (then ``)`` or ``,``), else None."""
        if i + 3 >= len(tokens) or tokens[i + 1].type != "lparen" \
                or tokens[i + 2].type != "string" or tokens[i + 3].type not in ("rparen", "comma"):
            return None
        depth = 0
        for j in range(i + 1, len(tokens)):
            kind = tokens[j].type
            if kind in ("lparen", "lbracket", "lbrace"):
                depth += 1
            elif kind in ("rparen", "rbracket", "rbrace"):
                depth -= 1
                if depth == 0:
                    return j if kind == "rparen" else None
            elif kind in ("block_end", "variable_end") and depth:
                return None  # unbalanced: leave it to Jinja2's own error
        return None


@pass_context
def template_pluralize(context, singular: str, plural: str, n: int, **mapping):
    """The ``orcid_nt`` template global."""
    return pluralize(context.get("request") or _current_request(), singular, plural, n,
                     **mapping)


def _current_request():
    from pyramid.threadlocal import get_current_request

    return get_current_request()
