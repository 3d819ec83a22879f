"""Response helpers shared by the registry side of the emulator.

Two error shapes exist at ORCID (orcid-facts/errors.md): OAuth JSON (``{"error",
"error_description"}``) on the registry and token endpoints and for bearer-token failures, and the
five-key v3.0 body (``response-code``, ``developer-message``, ``user-message``, ``error-code``,
``more-info``) on API paths.
"""

from __future__ import annotations

import json
from urllib.parse import urlencode, urlsplit, urlunsplit

from lxml import etree
from webob import Response

MORE_INFO = "https://members.orcid.org/api/resources/troubleshooting"
MAX_BODY = 1024 * 1024
#: the declaration as ORCID's JAXB writes it (lxml would use single quotes)
XML_DECLARATION = b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'


def compact_json(data) -> str:
    """JSON as ORCID's Jackson writes it: no spaces after separators (orcid-facts/errors.md#bytes);
    clients that match text depend on it."""
    return json.dumps(data, separators=(",", ":"))


def xml_document(element) -> bytes:
    """An XML document with ORCID's declaration (orcid-facts/errors.md#bytes)."""
    return XML_DECLARATION + etree.tostring(element, encoding="UTF-8")


def json_response(data, status: int = 200, **headers) -> Response:
    """A JSON response (UTF-8)."""
    response = Response(
        body=compact_json(data).encode("utf-8"),
        status=status,
        content_type="application/json",
        charset="UTF-8",
    )
    for name, value in headers.items():
        response.headers[name.replace("_", "-")] = value
    return response


def oauth_error(error: str, description: str, status: int = 400) -> Response:
    """An OAuth 2.0 error body, not cacheable."""
    response = json_response({"error": error, "error_description": description}, status)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"
    return response


def api_error(status: int, code: int, developer: str, user: str | None = None) -> Response:
    """ORCID's v3.0 error body (JSON, keys in ORCID's order)."""
    body = {
        "response-code": status,
        "developer-message": developer,
        "user-message": user or "Something went wrong. Please try again or contact ORCID support.",
        "error-code": code,
        "more-info": MORE_INFO,
    }
    return json_response(body, status)


def html_response(body: str, status: int = 200) -> Response:
    """An HTML page."""
    return Response(body=body.encode("utf-8"), status=status, content_type="text/html",
                    charset="UTF-8")


def redirect(location: str) -> Response:
    """A 302 redirect."""
    response = Response(status=302)
    response.location = location
    return response


def add_query(url: str, params: dict) -> str:
    """``url`` with ``params`` appended to its query string (None values left out)."""
    parts = urlsplit(url)
    extra = urlencode([(k, v) for k, v in params.items() if v is not None])
    query = f"{parts.query}&{extra}" if parts.query and extra else (parts.query or extra)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))
