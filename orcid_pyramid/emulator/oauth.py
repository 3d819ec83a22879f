"""The registry's OAuth endpoints: ``/oauth/token`` and ``/oauth/revoke``, and the tokens.

Facts: orcid-facts/oauth.md (token grants, code rules, refresh, client credentials,
revocation), orcid-facts/scopes.md#refusals. The authorize step's rules are in
``authorize.py``, its HTML pages in ``pages.py``.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import uuid
from urllib.parse import unquote

from webob import Request, Response

from . import oidc, scopes
from .responses import json_response, oauth_error
from .state import (
    AUTH_CODE_REUSED,
    CLIENT_REVOKED,
    LONG_LIVED_SECONDS,
    USER_REVOKED,
    Client,
    EmulatorState,
    Token,
)

CODE_SECONDS = 600


def new_token(state: EmulatorState, client_id: str, orcid: str | None, granted,
              lifetime: float = LONG_LIVED_SECONDS, code: str | None = None,
              parent: str | None = None) -> Token:
    """Create and store a token pair (lower-case UUID v4 strings, like ORCID)."""
    now = state.now()
    token = Token(access_token=str(uuid.uuid4()), refresh_token=str(uuid.uuid4()),
                  client_id=client_id, orcid=orcid, scopes=frozenset(granted),
                  issued_at=now, expires_at=now + lifetime, code=code, parent=parent)
    state.add_token(token)
    return token


def revoke_client_tokens(state: EmulatorState, orcid: str, client_id: str) -> int:
    """The user revokes a client's access to their record; returns how many tokens died."""
    with state.lock:
        hit = [t for t in state.tokens.values()
               if t.orcid == orcid and t.client_id == client_id and not t.revoked]
        for token in hit:
            token.revoke(USER_REVOKED)
    return len(hit)


def _client_auth(request: Request, state: EmulatorState) -> Client | None:
    """The client authenticated by form fields (client_secret_post) or HTTP Basic."""
    client_id = request.POST.get("client_id")
    secret = request.POST.get("client_secret")
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("basic ") and not secret:
        try:
            raw = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return None
        basic_id, _, secret = raw.partition(":")
        client_id = client_id or unquote(basic_id)
        secret = unquote(secret)
    client = state.client(client_id)
    if client is None or secret is None:
        return None
    if not hmac.compare_digest(client.client_secret.encode(), secret.encode()):
        return None
    return client


def _token_json(state: EmulatorState, token: Token, request: Request, client: Client,
                nonce: str | None = None, auth_time: float | None = None) -> Response:
    lifetime = max(0, round(token.expires_at - state.now()))
    body: dict = {
        "access_token": token.access_token,
        "token_type": "bearer",
        "refresh_token": token.refresh_token,
        "expires_in": min(lifetime, LONG_LIVED_SECONDS),
        "scope": scopes.join(token.scopes),
    }
    if token.orcid is None:
        body["orcid"] = None
    else:
        record = state.record(token.orcid)
        body["name"] = oidc.public_name(record)
        body["orcid"] = token.orcid
        if "openid" in token.scopes:
            body["id_token"] = oidc.id_token(
                state, request, client, record, token, nonce=nonce, auth_time=auth_time)
    response = json_response(body)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"
    return response


def token_endpoint(request: Request, state: EmulatorState) -> Response:
    """``POST /oauth/token`` (root, ``/api`` and ``/pub``)."""
    if request.method != "POST":
        return oauth_error("invalid_request", f"Request method '{request.method}' is not "
                           "supported", 405)
    if request.content_type != "application/x-www-form-urlencoded":
        return oauth_error("invalid_request", f"Content-Type '{request.content_type}' is not "
                           "supported.", 415)
    grant = request.POST.get("grant_type")
    if not grant:
        return oauth_error("unsupported_grant_type", "grant_type is missing")
    client = _client_auth(request, state)
    if client is None:
        return oauth_error("invalid_client", "Client authentication failed", 401)
    if grant == "authorization_code":
        return _grant_code(request, state, client)
    if grant == "refresh_token":
        return _grant_refresh(request, state, client)
    if grant == "client_credentials":
        return _grant_client_credentials(request, state, client)
    return oauth_error("unsupported_grant_type", f"Unsupported grant type: {grant}")


def _grant_code(request: Request, state: EmulatorState, client: Client) -> Response:
    code_text = request.POST.get("code")
    if not code_text:
        return oauth_error("invalid_request", "An authorization code must be supplied")
    with state.lock:
        code = state.codes.get(code_text)
        if code is None or code.client_id != client.client_id:
            return oauth_error("invalid_grant", "Invalid authorization code")
        if code.used:
            # ORCID since 2017: a second use revokes every token issued from the code
            for token in state.tokens.values():
                if token.code == code_text:
                    token.revoke(AUTH_CODE_REUSED)
            return oauth_error("invalid_grant", "Invalid authorization code")
        if state.now() - code.issued_at > CODE_SECONDS:
            return oauth_error("invalid_grant", "Invalid authorization code")
        if request.POST.get("redirect_uri") != code.redirect_uri:
            return oauth_error("invalid_grant", "Redirect URI mismatch.")
        code.used = True
        token = new_token(state, client.client_id, code.orcid, code.scopes, code=code_text)
    return _token_json(state, token, request, client, nonce=code.nonce,
                       auth_time=code.auth_time)


def _grant_refresh(request: Request, state: EmulatorState, client: Client) -> Response:
    with state.lock:
        parent = state.find_refresh(request.POST.get("refresh_token"))
        if parent is None:
            return oauth_error("invalid_grant", "Unable to find refresh token")
        if parent.client_id != client.client_id:
            return oauth_error("invalid_grant", "This token does not belong to the given client")
        now = state.now()
        if parent.revoked:
            return oauth_error("invalid_grant", "Parent token is disabled")
        if now >= parent.expires_at:
            return oauth_error("invalid_grant", "Parent token is expired")
        wanted = scopes.split_scope(request.POST.get("scope")) or sorted(parent.scopes)
        for scope in wanted:
            if not scopes.covers(parent.scopes, [scope]):
                return oauth_error("invalid_scope",
                                   f"The given scope '{scope}' is not allowed for the parent token")
        lifetime = parent.expires_at - now
        expires_in = request.POST.get("expires_in")
        if expires_in:
            try:
                asked = int(expires_in)
            except ValueError:
                return oauth_error("invalid_request", "expires_in must be a number of seconds")
            if asked <= 0 or asked > lifetime:
                return oauth_error("invalid_request",
                                   "expires_in must be positive and within the parent's lifetime")
            lifetime = asked
        revoke_old = request.POST.get("revoke_old", "true").strip().lower() != "false"
        token = new_token(state, client.client_id, parent.orcid, wanted, lifetime=lifetime,
                          code=parent.code, parent=parent.access_token)
        if revoke_old:
            parent.revoke(CLIENT_REVOKED)
    return _token_json(state, token, request, client)


def _grant_client_credentials(request: Request, state: EmulatorState,
                              client: Client) -> Response:
    asked = scopes.split_scope(request.POST.get("scope")) or ["/read-public"]
    # status codes as ORCID answers them (orcid-facts/scopes.md#refusals): an unknown scope
    # 401, a scope this kind of client may not have 400, nothing left to grant 401
    unknown = [s for s in asked if s not in scopes.KNOWN]
    if unknown:
        return oauth_error("invalid_scope", f"Invalid scope: {unknown[0]}", 401)
    bad = scopes.check_for_client(asked, client.member, client.premium)
    if bad:
        return oauth_error("invalid_scope", f"Invalid scope: {bad}")
    # ORCID silently drops three-legged scopes on this grant
    granted = [s for s in asked if s in scopes.CLIENT_CREDENTIALS]
    if not granted:
        return oauth_error("invalid_scope", f"Invalid scope: {' '.join(asked)}", 401)
    token = new_token(state, client.client_id, None, granted)
    return _token_json(state, token, request, client)


def revoke_endpoint(request: Request, state: EmulatorState) -> Response:
    """``POST /oauth/revoke``: revoke an access or refresh token (both halves die)."""
    if request.method != "POST":
        return oauth_error("invalid_request", f"Request method '{request.method}' is not "
                           "supported", 405)
    client = _client_auth(request, state)
    if client is None:
        return oauth_error("invalid_client", "Client authentication failed", 401)
    value = request.POST.get("token")
    if not value:
        return oauth_error("invalid_request", "Missing parameter: token")
    with state.lock:
        token = state.find_token(value) or state.find_refresh(value)
        if token is not None and token.client_id == client.client_id:
            token.revoke(CLIENT_REVOKED)
    return Response(status=200)
