"""The only exceptions the ORCID client raises.

Every failure of an ORCID exchange (transport, HTTP status, OAuth error, unreadable body,
bad id_token) becomes one of the classes below, so callers never see ``requests``,
``oauthlib`` or ``jwt`` exceptions. Each error knows whether a retry can help
(``retryable``), how long ORCID asked us to wait (``retry_after``) and has a plain-language
sentence for end users (``user_text()``). Messages never carry tokens: ORCID echoes the
token in some error descriptions, so the mapping code (``mapping.py``) redacts them first.

The status/body -> class mapping lives in :mod:`orcid_pyramid.client.mapping`.
"""

from __future__ import annotations

import re

#: ORCID v3.0 error codes with a meaning callers act on
#: (orcid-facts/errors.md#status-and-error-codes).
CODE_NOT_SOURCE = 9010
CODE_MISSING_SCOPE = 9038
CODE_DUPLICATE = 9021
CODE_WRONG_RECORD = 9017
CODE_NOT_FOUND = 9016
CODE_LOCKED = 9018
CODE_UNCLAIMED = 9036
CODE_DEACTIVATED = 9044
CODE_DEPRECATED = 9007
CODE_TOO_MANY_WORKS = 9048

_PUT_CODE_IN_MESSAGE = re.compile(r"put-code\s*:?\s*(\d+)", re.IGNORECASE)


class OrcidError(Exception):
    """Base of every error the client raises.

    Attributes mirror ORCID's v3.0 error body (``response-code``, ``error-code``,
    ``developer-message``, ``user-message``, ``more-info``) where one was returned.
    """

    retryable: bool = False
    default_user_text = "Something went wrong while talking to ORCID. Please try again later."

    def __init__(
        self,
        message: str | None = None,
        *,
        status: int | None = None,
        error_code: int | None = None,
        developer_message: str | None = None,
        user_message: str | None = None,
        more_info: str | None = None,
        retry_after: float | None = None,
        url: str | None = None,
        method: str | None = None,
    ) -> None:
        self.status = status
        self.error_code = error_code
        self.developer_message = developer_message
        self.user_message = user_message
        self.more_info = more_info
        self.retry_after = retry_after
        self.url = url
        self.method = method
        self.message = message or developer_message or user_message or self.__class__.__name__
        super().__init__(self.message)

    def __str__(self) -> str:
        parts = [self.message]
        if self.status is not None:
            code = f", error {self.error_code}" if self.error_code is not None else ""
            parts.append(f"(HTTP {self.status}{code})")
        return " ".join(parts)

    def summary(self) -> str:
        """A short label for logs and the call log, e.g. ``OrcidConflict 409/9021``."""
        label = self.__class__.__name__
        if self.status is not None:
            label += f" {self.status}"
            if self.error_code is not None:
                label += f"/{self.error_code}"
        return label

    def user_text(self) -> str:
        """One plain-language sentence for the person using the site (no jargon, no codes)."""
        return self.default_user_text


#: Per-item results of bulk calls are instances of the classes below; this name is the
#: documented type of those results (``list[int | OrcidApiError]``).
OrcidApiError = OrcidError


class OrcidUsageError(OrcidError, ValueError):
    """The caller passed something invalid (bad iD, unknown section, missing redirect URI)."""

    default_user_text = "The request to ORCID could not be prepared."


class OrcidTransportError(OrcidError):
    """No usable answer: connection refused or reset, DNS failure, TLS failure."""

    retryable = True
    default_user_text = "We could not reach ORCID just now. Please try again in a few minutes."


class OrcidTimeout(OrcidTransportError):
    """ORCID did not answer within the client's timeout."""

    default_user_text = "ORCID took too long to answer. Please try again in a few minutes."


class OrcidServerError(OrcidError):
    """ORCID answered with a 5xx status."""

    retryable = True
    default_user_text = "ORCID is having problems right now. Please try again later."


class OrcidRateLimited(OrcidServerError):
    """ORCID refused the request because the client went over its rate limit (503)."""

    default_user_text = "ORCID is busy right now. Please try again in a few minutes."


class OrcidMalformedResponse(OrcidError):
    """ORCID's answer was cut short or could not be read (truncated or garbled body)."""

    retryable = True
    default_user_text = "ORCID sent an answer we could not read. Please try again later."


class OrcidUnauthorized(OrcidError):
    """401 / ``invalid_token``: the access token is revoked, expired or for another record."""

    default_user_text = (
        "Your ORCID connection is no longer valid (access may have been revoked on ORCID). "
        "Please connect your ORCID iD again."
    )

    @property
    def wrong_record(self) -> bool:
        """The token belongs to a different ORCID record (9017)."""
        return self.error_code == CODE_WRONG_RECORD


class OrcidForbidden(OrcidError):
    """403: not the source of the item (9010), missing scope (9038) or otherwise refused."""

    @property
    def not_source(self) -> bool:
        """The item was added by another source, so this client may not change it."""
        return self.error_code == CODE_NOT_SOURCE

    @property
    def missing_scope(self) -> bool:
        """The token lacks the scope this call needs."""
        return self.error_code == CODE_MISSING_SCOPE

    def user_text(self) -> str:
        """Explain which kind of refusal this is."""
        if self.not_source:
            return (
                "This item on your ORCID record was added by someone else, "
                "so we are not allowed to change it."
            )
        if self.missing_scope:
            return (
                "We do not have your permission to make this change on your ORCID record. "
                "Please connect your ORCID iD again and grant the requested access."
            )
        return "ORCID refused this request."


class OrcidNotFound(OrcidError):
    """404 / 9016: the record or item does not exist (e.g. the user deleted it on ORCID)."""

    default_user_text = (
        "This item was not found on your ORCID record; it may have been deleted there."
    )


class OrcidConflict(OrcidError):
    """409: a duplicate (9021, with ``existing_put_code``) or a record state that blocks writes."""

    def __init__(self, message: str | None = None, **kwargs) -> None:
        super().__init__(message, **kwargs)
        self.existing_put_code = self._find_put_code()

    def _find_put_code(self) -> int | None:
        for text in (self.developer_message, self.user_message):
            match = _PUT_CODE_IN_MESSAGE.search(text or "")
            if match:
                return int(match.group(1))
        return None

    @property
    def duplicate(self) -> bool:
        """The item is already on the record from this client (matched by external ids)."""
        return self.error_code == CODE_DUPLICATE

    @property
    def record_unavailable(self) -> bool:
        """The record is locked, unclaimed or deactivated: no write can succeed."""
        return self.error_code in (CODE_LOCKED, CODE_UNCLAIMED, CODE_DEACTIVATED)

    def user_text(self) -> str:
        """Say whether it is a duplicate or a record that cannot be written."""
        if self.duplicate:
            return "This item is already on your ORCID record."
        if self.error_code == CODE_LOCKED:
            return "Your ORCID record is locked, so nothing can be added to it at the moment."
        if self.error_code == CODE_DEACTIVATED:
            return "Your ORCID record has been deactivated, so nothing can be added to it."
        if self.error_code == CODE_UNCLAIMED:
            return "Your ORCID record has not been claimed yet, so nothing can be added to it."
        if self.error_code == CODE_TOO_MANY_WORKS:
            return "Your ORCID record already holds the maximum number of works."
        return "ORCID reported a conflict with what is already on your record."


class OrcidDeprecated(OrcidError):
    """301 / 9007: the iD was merged into another one (``primary_orcid``)."""

    def __init__(self, message: str | None = None, *, primary_orcid: str | None = None, **kw):
        super().__init__(message, **kw)
        self.primary_orcid = primary_orcid

    default_user_text = (
        "This ORCID iD has been merged into another iD. Please connect your current ORCID iD."
    )


class OrcidBadRequest(OrcidError):
    """400 / 413 and other 4xx: ORCID rejected the data (validation error, too large)."""

    def user_text(self) -> str:
        """Pass on ORCID's own explanation when it gave one."""
        if self.user_message:
            return f"ORCID did not accept the data we sent: {self.user_message}"
        return "ORCID did not accept the data we sent."


class OrcidOAuthError(OrcidError):
    """An OAuth error (``access_denied``, ``invalid_grant``, ``invalid_client``, ...)."""

    def __init__(self, error: str, description: str | None = None, **kwargs) -> None:
        self.error = error
        self.description = description
        message = f"{error}: {description}" if description else error
        super().__init__(message, **kwargs)

    def user_text(self) -> str:
        """Explain the OAuth outcome in words a researcher understands."""
        if self.error == "access_denied":
            return "You chose not to give this site access to your ORCID record."
        if self.error == "invalid_grant":
            return (
                "The ORCID sign-in could not be completed (it expired or was already used). "
                "Please try connecting again."
            )
        if self.error in ("invalid_client", "unauthorized_client"):
            return "This site's ORCID connection is not set up correctly."
        if self.error == "invalid_scope":
            return "This site asked ORCID for a permission it is not allowed to request."
        return "The ORCID sign-in could not be completed. Please try again."


class OrcidIdTokenError(OrcidError):
    """The OpenID Connect id_token failed verification (signature, issuer, audience, nonce...)."""

    default_user_text = "We could not verify your ORCID sign-in. Please try again."
