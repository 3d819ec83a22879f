"""The demo's language: a locale negotiator and the English / Español switch in its header.

The locale is, in order: ``_LOCALE_`` in the query string, the ``_LOCALE_`` cookie the switch
sets, the best of the browser's ``Accept-Language`` among the languages the add-on has
catalogs for, and English. The add-on sends the same locale to ORCID as ``lang``.
"""

from __future__ import annotations

from pyramid.encode import quote_plus, urlencode
from pyramid.httpexceptions import HTTPSeeOther

from ..i18n import available_locales
from ..services.links import safe_next

COOKIE = "_LOCALE_"
DEFAULT = "en"
#: each language's name in itself, for the switch
LANGUAGE_NAMES = {"en": "English", "es": "Español"}


def includeme(config) -> None:
    """The negotiator (the demo is the host: locale policy is its to set) and the switch."""
    config.set_locale_negotiator(negotiate)
    config.add_route("language", "/language", request_method="GET")
    config.add_view(switch_language, route_name="language")
    config.add_request_method(languages, "demo_languages", reify=True)


def negotiate(request) -> str:
    """The request's locale (see the module docstring)."""
    offered = available_locales()
    try:
        asked = request.params.get(COOKIE)
    except UnicodeDecodeError:  # a query string that is not UTF-8 asks for nothing
        asked = None
    for value in (asked, request.cookies.get(COOKIE)):
        if value in offered:
            return value
    header = request.accept_language
    # RFC 4647 lookup (es-ES -> es); WebOb's best_match is on its way out
    best = header.lookup(language_tags=sorted(offered), default=DEFAULT) if header else DEFAULT
    return best.replace("-", "_")


def languages(request) -> list[tuple[str, str, str]]:
    """``(code, name, url)`` of every language the pages can be read in, for the switch; the
    URL comes back to this page."""
    try:
        here = request.path_qs
    except UnicodeDecodeError:  # an address that is not UTF-8 (its error page): go home
        here = "/"
    # request.route_url(..., _query=...) without its per-call work: the URL once, the
    # return address quoted once (as pyramid.encode.urlencode quotes it)
    switch, back = request.demo_urls["language"] + "?", "&next=" + quote_plus(here)
    return [(code, LANGUAGE_NAMES.get(code, code), switch + urlencode({"lang": code}) + back)
            for code in sorted(available_locales())]


def switch_language(request):
    """``GET /language?lang=es&next=/path``: remember the choice in a cookie, go back."""
    lang = request.params.get("lang")
    response = HTTPSeeOther(location=safe_next(request.params.get("next"))
                            or request.route_url("home"))
    if lang in available_locales():
        response.set_cookie(COOKIE, lang, max_age=365 * 24 * 3600, httponly=True,
                            samesite="Lax", path="/")
    return response
