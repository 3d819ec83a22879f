"""ORCID's v3.0 error bodies (orcid-facts/errors.md): the five-key shape in JSON and XML.

Every failure of the member API that is not a bearer-token problem answers with
``response-code``, ``developer-message``, ``user-message``, ``error-code`` and ``more-info``,
in that order. Bearer-token problems answer OAuth JSON instead (``invalid_token_body``).
"""

from __future__ import annotations

from lxml import etree

from .responses import xml_document

MORE_INFO = "https://members.orcid.org/api/resources/troubleshooting"
ERROR_NS = "http://www.orcid.org/ns/error"

#: A user message per HTTP status: what ORCID shows to end users is deliberately generic.
_USER_MESSAGES = {
    400: "The request was invalid. Please check the data sent and try again.",
    401: "The client application is not authorized to access this ORCID record.",
    403: "The client application is not allowed to do this on this ORCID record.",
    404: "The resource was not found.",
    405: "The method is not allowed for this resource.",
    406: "The requested content type is not available.",
    409: "There is a conflict with the current state of the ORCID record.",
    413: "The request is too large.",
    415: "The content type of the request is not supported.",
}


class ApiError(Exception):
    """A member API failure that answers ORCID's five-key error body."""

    def __init__(self, status: int, code: int, developer: str, user: str | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(f"{status}/{code}: {developer}")
        self.status = status
        self.code = code
        self.developer = developer
        self.user = user or _USER_MESSAGES.get(status, "Something went wrong.")
        self.headers = headers or {}

    def body(self) -> dict:
        """The five keys, in ORCID's order."""
        return error_body(self.status, self.code, self.developer, self.user)


class TokenError(Exception):
    """A bearer-token failure: 401 with OAuth JSON ``invalid_token``."""

    def __init__(self, access_token: str, revoke_reason: str | None = None) -> None:
        super().__init__("invalid_token")
        self.access_token = access_token
        self.revoke_reason = revoke_reason

    def body(self) -> dict:
        """ORCID's answer for a bad, expired or revoked token; a revoked one names why
        (orcid-facts/errors.md#bearer-tokens)."""
        return invalid_token_body(self.access_token, self.revoke_reason)


def error_body(status: int, code: int, developer: str, user: str | None = None) -> dict:
    """ORCID's five-key error body as an ordered dict."""
    return {
        "response-code": status,
        "developer-message": developer,
        "user-message": user or _USER_MESSAGES.get(status, "Something went wrong."),
        "error-code": code,
        "more-info": MORE_INFO,
    }


def invalid_token_body(access_token: str, revoke_reason: str | None = None) -> dict:
    """``{"error": "invalid_token", ...}`` naming the token the caller sent (its own secret)
    and, for a revoked one, ORCID's revoke reason."""
    text = f"Invalid access token: {access_token}"
    if revoke_reason:
        text += f", revoke reason: {revoke_reason}"
    return {"error": "invalid_token", "error_description": text}


def error_element(body: dict) -> etree._Element:
    """The ``error`` element for a five-key body (XSD order is the key order), in the default
    namespace as ORCID's JAXB writes it (orcid-facts/errors.md#bytes)."""
    root = etree.Element(f"{{{ERROR_NS}}}error", nsmap={None: ERROR_NS})
    for key in ("response-code", "developer-message", "user-message", "error-code", "more-info"):
        child = etree.SubElement(root, f"{{{ERROR_NS}}}{key}")
        child.text = str(body[key])
    return root


def error_xml(body: dict) -> bytes:
    """The five-key body as an XML document."""
    return xml_document(error_element(body))


# Developer messages, after ORCID's api_en texts (orcid-facts/member-api.md#writes,
# orcid-facts/errors.md#status-and-error-codes).
def not_found(what: str = "No entity found for query") -> ApiError:
    """404/9016: unknown record, put code or deleted item."""
    return ApiError(404, 9016, "404 Not Found: The resource was not found. "
                    f"Full validation error: {what}")


def unroutable(status: int, detail: str) -> ApiError:
    """404/405/406/415 with code 9001 (unrouted path, method, media type)."""
    return ApiError(status, 9001, "There is an issue with your call. "
                    f"Full validation error: {detail}")


def wrong_record() -> ApiError:
    """401/9017: the token belongs to another record."""
    return ApiError(401, 9017, "401 Unauthorized: The client application is not authorized "
                    "for this ORCID record. Full validation error: Access token is for a "
                    "different record")


def missing_scope(scope: str) -> ApiError:
    """403/9038: the token lacks the scope this call needs."""
    return ApiError(403, 9038, "403 Forbidden: Insufficient or wrong scope. Full validation "
                    f"error: This request requires the '{scope}' scope")


def not_source(activity: str) -> ApiError:
    """403/9010: only the client that created an item may change it."""
    return ApiError(403, 9010, f"403 Forbidden: You are not the source of the {activity}, so "
                    "you are not allowed to update it.")


def invalid(code: int, detail: str, status: int = 400) -> ApiError:
    """A validation failure with ORCID's code for it."""
    return ApiError(status, code, f"{status} Bad Request: Invalid incoming message. "
                    f"Full validation error: {detail}" if status == 400 else detail)
