"""Turning ORCID answers and transport failures into :mod:`~orcid_pyramid.client.errors`.

ORCID speaks three error dialects (orcid-facts/errors.md): the v3.0 five-key body
(``response-code``, ``developer-message``, ``user-message``, ``error-code``, ``more-info``,
JSON or XML), OAuth JSON (``error`` + ``error_description``; userinfo uses
``error-description``) and the legacy ``{"error-desc": {"value": ...}}``. Everything is
redacted before it goes into an exception, because ORCID echoes tokens in messages
("Invalid access token: <token>").
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import requests
from lxml import etree

from . import errors as e
from .calllog import Redactor
from .orcid_id import ORCID_IN_TEXT

_ERROR_NS = "http://www.orcid.org/ns/error"


def parse_error_body(response: requests.Response) -> dict[str, Any]:
    """The error members found in ``response`` (empty dict when the body has none)."""
    # ORCID answers UTF-8; decoding ourselves avoids requests' slow charset guessing
    text = response.content.decode("utf-8", "replace") if response.content else ""
    data: Any = None
    if text.lstrip().startswith(("{", "[")):
        try:
            data = json.loads(text)
        except ValueError:
            data = None
    elif text.lstrip().startswith("<"):
        data = _xml_error(response.content)
    if isinstance(data, dict) and isinstance(data.get("error"), dict):
        data = data["error"]  # a bulk item, or a wrapped error
    return data if isinstance(data, dict) else {}


def _xml_error(content: bytes) -> dict[str, Any] | None:
    try:
        parser = etree.XMLParser(resolve_entities=False, no_network=True)
        root = etree.fromstring(content, parser)
    except etree.XMLSyntaxError:
        return None
    if root.tag != f"{{{_ERROR_NS}}}error":
        return None
    return {etree.QName(child).localname: (child.text or "").strip() for child in root}


def error_from_body(
    body: dict[str, Any],
    status: int | None,
    redactor: Redactor,
    *,
    headers: Any = None,
    url: str | None = None,
    method: str | None = None,
) -> e.OrcidError:
    """Build the error for one v3.0/OAuth error body (also used for bulk items)."""
    status = _int(body.get("response-code")) or status
    oauth_error = body.get("error") if isinstance(body.get("error"), str) else None
    description = _str(body.get("error_description") or body.get("error-description"))
    legacy = body.get("error-desc")
    if isinstance(legacy, dict) and not description:
        description = _str(legacy.get("value"))
    kwargs: dict[str, Any] = {
        "status": status,
        "error_code": _int(body.get("error-code")),
        "developer_message": _red(redactor, body.get("developer-message")),
        "user_message": _red(redactor, body.get("user-message")),
        "more_info": _str(body.get("more-info")),
        "url": redactor.url(url) if url else None,
        "method": method,
    }
    if oauth_error and kwargs["developer_message"] is None:
        kwargs["developer_message"] = _red(redactor, description)
    headers = headers or {}

    if status is None:
        return e.OrcidMalformedResponse("ORCID answered without a status", **kwargs)
    if status == 401 and (oauth_error in (None, "invalid_token") or kwargs["error_code"]):
        return e.OrcidUnauthorized(kwargs["developer_message"] or "Access token rejected",
                                   **kwargs)
    if oauth_error and status < 500 and status != 403:
        return e.OrcidOAuthError(oauth_error, _red(redactor, description), **kwargs)
    if status in (429, 503):
        kwargs["retry_after"] = retry_after_seconds(headers.get("Retry-After"))
        return e.OrcidRateLimited("ORCID rate limit exceeded", **kwargs)
    if status >= 500:
        return e.OrcidServerError(f"ORCID server error {status}", **kwargs)
    if status in (301, 308) or kwargs["error_code"] == e.CODE_DEPRECATED:
        location = headers.get("Location") or ""
        match = ORCID_IN_TEXT.search(location)
        return e.OrcidDeprecated("The ORCID record was deprecated (merged into another)",
                                 primary_orcid=match.group(0) if match else None, **kwargs)
    if status == 403:
        return e.OrcidForbidden(kwargs["developer_message"] or "Forbidden", **kwargs)
    if status == 404:
        return e.OrcidNotFound(kwargs["developer_message"] or "Not found", **kwargs)
    if status == 409:
        return e.OrcidConflict(kwargs["developer_message"] or "Conflict", **kwargs)
    if 400 <= status < 500:
        return e.OrcidBadRequest(kwargs["developer_message"] or f"Bad request ({status})",
                                 **kwargs)
    return e.OrcidMalformedResponse(f"Unexpected HTTP status {status}", **kwargs)


def error_from_response(response: requests.Response, redactor: Redactor) -> e.OrcidError:
    """The error for an HTTP answer the caller did not expect (any non-2xx)."""
    return error_from_body(
        parse_error_body(response),
        response.status_code,
        redactor,
        headers=response.headers,
        url=response.request.url if response.request is not None else None,
        method=response.request.method if response.request is not None else None,
    )


def describe_response(response: requests.Response, redactor: Redactor | None = None) -> str | None:
    """A short error label for the call log (never raises)."""
    try:
        return error_from_response(response, redactor or Redactor()).summary()
    except Exception:  # the log must not fail on a body we cannot parse
        return f"HTTP {response.status_code}"


def error_from_exception(exc: BaseException, redactor: Redactor) -> e.OrcidError:
    """Map a ``requests`` exception (no usable HTTP answer) to the client's errors."""
    request = getattr(exc, "request", None)
    url = redactor.url(request.url) if getattr(request, "url", None) else None
    method = getattr(request, "method", None)
    text = redactor.text(f"{type(exc).__name__}: {exc}")[:500]
    kwargs = {"url": url, "method": method}
    if isinstance(exc, (requests.Timeout, TimeoutError)) or _caused_by_read_timeout(exc):
        return e.OrcidTimeout(f"ORCID did not answer in time ({text})", **kwargs)
    if isinstance(exc, (requests.exceptions.ChunkedEncodingError,
                        requests.exceptions.ContentDecodingError)):
        return e.OrcidMalformedResponse(f"ORCID's answer broke off ({text})", **kwargs)
    if isinstance(exc, requests.ConnectionError):
        return e.OrcidTransportError(f"Could not talk to ORCID ({text})", **kwargs)
    return e.OrcidTransportError(f"Request to ORCID failed ({text})", **kwargs)


def _caused_by_read_timeout(exc: BaseException) -> bool:
    from urllib3.exceptions import ReadTimeoutError

    seen = 0
    current: Any = exc
    while current is not None and seen < 5:
        if isinstance(current, ReadTimeoutError):
            return True
        args = getattr(current, "args", ())
        current = args[0] if args and isinstance(args[0], BaseException) else current.__context__
        seen += 1
    return False


def retry_after_seconds(value: str | None) -> float | None:
    """``Retry-After`` as seconds (delta-seconds or an HTTP date); None when absent or bad."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    try:
        return int(value)
    except (TypeError, ValueError, OverflowError):  # json.loads accepts Infinity and NaN
        return None


def _str(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, dict) and "value" in value:
        value = value["value"]
    text = str(value).strip()
    return text or None


def _red(redactor: Redactor, value: Any) -> str | None:
    text = _str(value)
    return redactor.text(text) if text else None
