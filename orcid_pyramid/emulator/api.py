"""ORCID's member (``api``) and public (``pub``) API v3.0 over a record store.

``handle_api`` is the one entry point (``app.py`` calls it for ``/v3.0/...``). It checks the
bearer token first (as ORCID does), negotiates the content type, routes to a read
(``api_reads.py``) or a write (``api_writes.py``), and renders ORCID's errors
(orcid-facts/member-api.md, orcid-facts/errors.md). All work happens under ``state.lock``.
``/v3.0/status`` answers ``OK I am here`` (orcid-facts/hosts.md).
"""

from __future__ import annotations

import re

from webob import Request, Response

from . import api_reads, api_writes, records
from .api_common import VIEWS, Caller, negotiate
from .errors import ApiError, TokenError, error_xml, not_found, unroutable, wrong_record
from .responses import compact_json
from .scopes import expand
from .state import USER_REVOKED

ORCID_RE = re.compile(r"^\d{4}-\d{4}-\d{4}-\d{3}[\dX]$")
#: ORCID's status route body (MemberV3ApiServiceDelegatorImpl.viewStatusText, orcid-facts/hosts.md)
STATUS_TEXT = "OK I am here"


def error_response(err: ApiError, negotiated: tuple[str, str] | None) -> Response:
    """ORCID's five-key error; with no acceptable type, XML without a Content-Type
    (orcid-facts/member-api.md#content-types)."""
    if negotiated is None:
        response = Response(body=error_xml(err.body()), status=err.status)
        response.headers.pop("Content-Type", None)
    elif negotiated[1] == "json":
        response = Response(body=compact_json(err.body()).encode("utf-8"), status=err.status,
                            content_type=negotiated[0], charset="UTF-8")
    else:
        response = Response(body=error_xml(err.body()), status=err.status,
                            content_type=negotiated[0], charset="UTF-8")
    response.headers.update(err.headers)
    return response


def bearer(request: Request) -> str | None:
    """The bearer token of the Authorization header, or None."""
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() or None if scheme.lower() == "bearer" else None


def check_token(request: Request, state, host: str):
    """The live token behind the bearer header (None: an anonymous public read).

    Runs before routing, content negotiation and record state, as ORCID's security filter
    does: a missing token answers 403/9014 on the member API, an unknown, expired or revoked
    one 401 invalid_token whatever the path (orcid-facts/errors.md#bearer-tokens).
    """
    raw = bearer(request)
    if raw is None:
        if host == "pub" and request.method == "GET":
            return None
        raise ApiError(403, 9014, "403 Forbidden: Full authentication is required to access "
                       "this resource: send an access token (Authorization: Bearer)")
    token = state.find_token(raw)
    if token is None or state.now() >= token.expires_at:
        raise TokenError(raw)
    if token.revoked:
        # ORCID's quirk: a token the researcher revoked may still delete the client's items;
        # a client revocation or a reused code kills it everywhere (errors.md#bearer-tokens)
        if not (token.revoke_reason == USER_REVOKED and request.method == "DELETE"):
            raise TokenError(raw, token.revoke_reason)
    return token


def caller_for(token, host: str, orcid: str) -> Caller:
    """The caller a checked token stands for on ``orcid``'s record; 401/9017 when the token
    is another record's."""
    if token is None:
        return Caller(None, None, frozenset({"/read-public"}), public_only=True)
    if token.orcid is not None and token.orcid != orcid:
        raise wrong_record()
    return Caller(token.client_id, token.orcid, expand(token.scopes),
                  public_only=host == "pub" or token.orcid is None)


def handle_api(request: Request, state, host: str, path: str) -> Response:
    """Answer one member/public API v3.0 request; ``path`` starts with ``/v3.0/``."""
    if path.rstrip("/") == "/v3.0/status":
        # plain text whatever the Accept header: no token, no record, no lock needed
        return _status(request, path)
    negotiated = negotiate(request.headers.get("Accept"))
    try:
        with state.lock:
            token = check_token(request, state, host)
            if negotiated is None:
                raise unroutable(406, "HTTP 406 Not Acceptable: "
                                      f"{request.headers.get('Accept')}")
            response, changed = _dispatch(request, state, host, path, negotiated, token)
            if changed:
                state.notify_record_changed(changed)
        return response
    except ApiError as err:
        return error_response(err, negotiated)
    except TokenError as err:
        response = Response(body=compact_json(err.body()).encode("utf-8"), status=401,
                            content_type="application/json", charset="UTF-8")
        response.headers["WWW-Authenticate"] = ('Bearer realm="ORCID T2 API", '
                                                'error="invalid_token"')
        return response


def _status(request: Request, path: str) -> Response:
    """``GET /v3.0/status``: ``OK I am here`` as text/plain; other methods 405 (9001)."""
    if request.method not in ("GET", "HEAD"):
        err = unroutable(405, f"HTTP 405 Method Not Allowed ({request.method} {path})")
        return error_response(err, negotiate(request.headers.get("Accept"))
                              or negotiate(None))
    return Response(body=STATUS_TEXT.encode("utf-8"), content_type="text/plain",
                    charset="UTF-8")


# --- routing -----------------------------------------------------------------------------------

def _dispatch(request: Request, state, host: str, path: str, negotiated, token):
    """(response, iD of a changed record or None); ``token`` is already checked."""
    parts = [p for p in path.split("/") if p][1:]  # drop "v3.0"
    if not parts or not ORCID_RE.match(parts[0]):
        raise unroutable(404, f"HTTP 404 Not Found ({path})")
    orcid, rest = parts[0], parts[1:] or ["record"]
    _check_route(rest, request.method, path)
    record = state.record(orcid)
    if record is None:
        raise not_found(f"ORCID iD {orcid} not found")
    _check_record_state(request, host, record)
    caller = caller_for(token, host, orcid)
    if request.method == "GET":
        return api_reads.read(record, caller, rest, negotiated), None
    if host == "pub":
        raise unroutable(405, "HTTP 405 Method Not Allowed: the public API is read-only")
    response, changed = api_writes.write(request, state, record, caller, rest, negotiated)
    return response, orcid if changed else None


def _check_record_state(request: Request, host: str, record) -> None:
    """Deprecated 301/9007 (Location: the primary record), locked 409/9018, deactivated
    409/9044 (OrcidSecurityManagerImpl.checkProfile, orcid-facts/member-api.md#writes)."""
    if record.deprecated_to:
        prefix = f"/{host}" if request.path_info.startswith(f"/{host}/") else ""
        raise ApiError(301, 9007, "301 Moved Permanently: This account is deprecated. Please "
                       f"refer to account: {record.deprecated_to}",
                       headers={"Location": f"{request.application_url}{prefix}/v3.0/"
                                            f"{record.deprecated_to}"})
    if record.locked:
        raise ApiError(409, 9018, "409 Conflict: The ORCID record is locked and cannot be "
                       "edited or read.")
    if record.deactivated:
        raise ApiError(409, 9044, "409 Conflict: The ORCID record is deactivated.")


def _check_route(rest: list[str], method: str, path: str) -> None:
    """404 for a path the API does not have, 405 for a method it does not take (9001)."""
    section, length = rest[0], len(rest)
    if section in VIEWS or section == "summary":
        allowed = ("GET",) if length == 1 else None
    elif section == "works":  # summaries, bulk POST, bulk read
        allowed = {1: ("GET", "POST"), 2: ("GET",)}.get(length)
    elif section in records.ACTIVITIES.values():
        allowed = ("GET",) if length == 1 else None
    elif section in records.ACTIVITIES:
        allowed = {1: ("POST",), 2: ("GET", "PUT", "DELETE")}.get(length)
        if length == 3 and rest[1] == "summary":
            allowed = ("GET",)
    elif section in records.PERSON:
        allowed = {1: ("GET", "POST"), 2: ("GET", "PUT", "DELETE")}.get(length)
    else:
        allowed = None
    if allowed is None:
        raise unroutable(404, f"HTTP 404 Not Found ({path})")
    if method not in allowed:
        raise unroutable(405, f"HTTP 405 Method Not Allowed ({method} {path})")
