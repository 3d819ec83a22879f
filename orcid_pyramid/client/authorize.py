"""The optional query parameters of ORCID's authorize page, checked and written as ORCID
expects (orcid-facts/oauth.md#authorize). ``OrcidClient.authorization_url`` hands them to
requests-oauthlib, which builds the URL."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

from .errors import OrcidUsageError
from .orcid_id import normalize

log = logging.getLogger("orcid_pyramid.client")

PREFILL_KEYS = ("given_names", "family_names", "email", "orcid")
LANGUAGES = frozenset("ar cs en es fr de it ja ko pl pt ru tr zh_CN zh_TW".split())
PROMPTS = frozenset({"login", "none"})


def supported_language(lang: str | None) -> str | None:
    """ORCID's code for ``lang`` (``es``, ``es-ES``, ``zh-CN`` -> ``es``, ``es``, ``zh_CN``),
    or None when ORCID's pages do not offer it."""
    if not lang:
        return None
    code = lang.replace("-", "_")
    code = code if code in LANGUAGES else code.split("_")[0].lower()
    return code if code in LANGUAGES else None


def authorize_extras(
    *,
    nonce: str | None,
    prompt: str | None,
    lang: str | None,
    show_login: bool | None,
    prefill: Mapping[str, Any],
) -> dict[str, str]:
    """``nonce``, ``prompt``, ``lang``, ``show_login`` and the pre-fill, in that order.

    An unsupported ``lang`` is left out (a region falls back to its language); a bad
    ``prompt`` or an unknown pre-fill key is a usage error.
    """
    if prompt is not None and prompt not in PROMPTS:
        raise OrcidUsageError(f"prompt must be one of {sorted(PROMPTS)}, got {prompt!r}")
    extra: dict[str, str] = {}
    if nonce:
        extra["nonce"] = nonce
    if prompt:
        extra["prompt"] = prompt
    code = supported_language(lang)
    if code:
        extra["lang"] = code
    if show_login is not None:
        extra["show_login"] = "true" if show_login else "false"
    extra.update(_prefill_params(prefill))
    return extra


def percent_encoded(url: str) -> str:
    """``url`` with its query written with ``%20`` for spaces, as ORCID's own links are
    (oauthlib form-encodes, giving ``+``)."""
    parts = urlsplit(url)
    query = urlencode(parse_qsl(parts.query, keep_blank_values=True), quote_via=quote)
    return urlunsplit(parts._replace(query=query))


def _prefill_params(prefill: Mapping[str, Any]) -> list[tuple[str, str]]:
    unknown = set(prefill) - set(PREFILL_KEYS)
    if unknown:
        raise OrcidUsageError(
            f"unknown prefill keys {sorted(unknown)}; use {', '.join(PREFILL_KEYS)}"
        )
    params = []
    for key in PREFILL_KEYS:
        value = prefill.get(key)
        if value is None or not str(value).strip():
            continue
        value = str(value).strip()
        if key == "orcid":
            try:
                value = normalize(value)
            except OrcidUsageError:
                log.warning("ignoring an invalid ORCID iD in the pre-fill data")
                continue
        params.append((key, value))
    return params
