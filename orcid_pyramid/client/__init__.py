"""The ORCID client: endpoints, OAuth, OpenID Connect, member API v3.0, call log, errors.

Imports nothing from Pyramid or from the rest of the add-on, and raises only the errors in
:mod:`orcid_pyramid.client.errors`. Typical use::

    endpoints = Endpoints.for_environment("sandbox")
    client = OrcidClient(endpoints, client_id, client_secret,
                         redirect_uri=callback_url, call_sink=store_call_record)
    url = client.authorization_url(["/authenticate", "/activities/update"], state)
    token = client.exchange_code(code)                 # TokenResponse
    put_code = client.member(token.access_token, token.orcid).create("work", work_json)
"""

from .api import JsonText, MemberApi, item_kind, put_code_from_location
from .calllog import REDACTED, CallRecord, Redactor
from .endpoints import Endpoints
from .errors import (
    OrcidApiError,
    OrcidBadRequest,
    OrcidConflict,
    OrcidDeprecated,
    OrcidError,
    OrcidForbidden,
    OrcidIdTokenError,
    OrcidMalformedResponse,
    OrcidNotFound,
    OrcidOAuthError,
    OrcidRateLimited,
    OrcidServerError,
    OrcidTimeout,
    OrcidTransportError,
    OrcidUnauthorized,
    OrcidUsageError,
)
from .http import RateLimiter, TimeoutHTTPAdapter, build_session
from .oauth import OrcidClient
from .orcid_id import checksum, is_valid_orcid, normalize, to_uri
from .tokens import TokenResponse, expand_scopes, split_scope

__all__ = [
    "REDACTED",
    "CallRecord",
    "Endpoints",
    "JsonText",
    "MemberApi",
    "OrcidApiError",
    "OrcidBadRequest",
    "OrcidClient",
    "OrcidConflict",
    "OrcidDeprecated",
    "OrcidError",
    "OrcidForbidden",
    "OrcidIdTokenError",
    "OrcidMalformedResponse",
    "OrcidNotFound",
    "OrcidOAuthError",
    "OrcidRateLimited",
    "OrcidServerError",
    "OrcidTimeout",
    "OrcidTransportError",
    "OrcidUnauthorized",
    "OrcidUsageError",
    "RateLimiter",
    "Redactor",
    "TimeoutHTTPAdapter",
    "TokenResponse",
    "build_session",
    "checksum",
    "expand_scopes",
    "is_valid_orcid",
    "item_kind",
    "normalize",
    "put_code_from_location",
    "split_scope",
    "to_uri",
]
