"""The authorize step's rules, shared by the pages (``pages.py``) and the control API's
``POST /_emulator/authorize``: checking the request (orcid-facts/oauth.md#authorize,
orcid-facts/oauth.md#redirect-uris), and where the browser goes back to: a single-use code in
the query, or the implicit OpenID flow's answer in the fragment
(orcid-facts/oauth.md#implicit-flow).

ORCID supports ``response_type=token``, ``id_token`` and ``id_token token`` for ``openid`` and
``/authenticate``: the token lives ten minutes and everything goes in the URL fragment, which
the browser keeps away from the site's server.
"""

from __future__ import annotations

import secrets
import string
from dataclasses import dataclass
from urllib.parse import unquote, urlencode, urlsplit, urlunsplit

from webob import Request

from . import oidc, scopes
from .oauth import new_token
from .responses import add_query
from .state import AuthCode, Client, EmulatorState

#: the implicit OpenID flow's response types, words sorted
IMPLICIT_RESPONSE_TYPES = frozenset({"token", "id_token", "id_token token"})
#: the only scopes the implicit flow grants
IMPLICIT_SCOPES = frozenset({"openid", "/authenticate"})
_CODE_ALPHABET = string.ascii_letters + string.digits
#: implicit tokens live ten minutes
IMPLICIT_SECONDS = 600


class AuthorizeError(Exception):
    """An authorize request that cannot go on.

    ``redirect`` False: show an error page (unknown client, bad redirect URI); True: send the
    browser back to the client with ``error`` (+ ``state``).
    """

    def __init__(self, error: str, description: str, redirect: bool) -> None:
        super().__init__(description)
        self.error = error
        self.description = description
        self.redirect = redirect


@dataclass
class AuthorizeRequest:
    """A checked authorize request."""

    client: Client
    redirect_uri: str
    scopes: tuple[str, ...]
    state: str | None
    nonce: str | None
    response_type: str


def redirect_matches(registered: list[str], requested: str) -> bool:
    """ORCID's rule: same scheme, user info, host and port; the path starts with the registered
    path; query and fragment ignored. A client with none registered accepts any (sandbox)."""
    if not registered:
        return True
    want = urlsplit(requested)
    for uri in registered:
        have = urlsplit(uri)
        same_origin = (have.scheme.lower(), have.netloc.lower()) == (
            want.scheme.lower(), want.netloc.lower())
        if same_origin and unquote(want.path or "/").startswith(unquote(have.path or "/")):
            return True
    return False


def normalise_response_type(text: str | None) -> str:
    """``"token id_token"`` and ``"id_token token"`` are the same; no value means ``code``."""
    return " ".join(sorted((text or "code").split())) or "code"


def check_authorize(state: EmulatorState, params) -> AuthorizeRequest:
    """Check an authorize request's parameters; raise ``AuthorizeError``."""
    client_id = params.get("client_id")
    if not client_id:
        raise AuthorizeError("invalid_request", "Missing parameter: client_id is missing", False)
    client = state.client(client_id)
    if client is None:
        raise AuthorizeError("invalid_request", "Invalid parameter: client_id", False)
    redirect_uri = params.get("redirect_uri")
    if not redirect_uri:
        raise AuthorizeError("invalid_request", "Missing parameter: redirect_uri", False)
    if urlsplit(redirect_uri).scheme not in ("http", "https"):
        raise AuthorizeError("invalid_request", "Invalid parameter: redirect_uri", False)
    if not redirect_matches(client.redirect_uris, redirect_uri):
        raise AuthorizeError("invalid_request", "Redirect URI mismatch.", False)
    response_type = normalise_response_type(params.get("response_type"))
    if response_type != "code" and response_type not in IMPLICIT_RESPONSE_TYPES:
        raise AuthorizeError("unsupported_response_type",
                             f"Unsupported response type: {response_type}", True)
    requested = scopes.split_scope(params.get("scope"))
    if not requested:
        raise AuthorizeError("invalid_scope", "Invalid scope: a scope is required", True)
    bad = [s for s in requested if s not in scopes.THREE_LEGGED]
    bad = bad or [s for s in requested if s in scopes.MEMBER_ONLY and not client.member]
    if bad:
        # only a public client is told it is one (a premium member asking /webhook is not)
        public = not client.member and bad[0] in scopes.MEMBER_ONLY
        why = " cannot be used with public API clients" if public else ""
        raise AuthorizeError("invalid_scope", f"Invalid scope: {bad[0]}{why}", True)
    if response_type != "code":  # implicit: sign-in only (orcid-facts/oauth.md#implicit-flow)
        bad = [s for s in requested if s not in IMPLICIT_SCOPES]
        if not bad and "id_token" in response_type.split() and "openid" not in requested:
            bad = ["openid is required for an id_token"]
        if bad:
            raise AuthorizeError("invalid_scope", f"Invalid scope: {bad[0]}", True)
    return AuthorizeRequest(client, redirect_uri, tuple(requested), params.get("state"),
                            params.get("nonce"), response_type)


def has_covering_token(state: EmulatorState, client_id: str, orcid: str, wanted) -> bool:
    """Whether the user already granted this client a live token covering ``wanted``."""
    now = state.now()
    with state.lock:
        return any(
            t.client_id == client_id and t.orcid == orcid and t.live(now)
            and scopes.covers(t.scopes, wanted)
            for t in state.tokens.values()
        )


def issue_code(state: EmulatorState, req: AuthorizeRequest, orcid: str,
               auth_time: float | None) -> str:
    """Store a fresh six-character single-use code; return it."""
    with state.lock:
        while True:
            code = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(6))
            if code not in state.codes:
                break
        state.codes[code] = AuthCode(
            code=code, client_id=req.client.client_id, orcid=orcid,
            scopes=frozenset(req.scopes), redirect_uri=req.redirect_uri,
            issued_at=state.now(), nonce=req.nonce, auth_time=auth_time,
        )
    return code


def is_implicit(response_type: str | None) -> bool:
    """Whether a (normalised or raw) response type is one of the implicit flow's."""
    return normalise_response_type(response_type) in IMPLICIT_RESPONSE_TYPES


def redirect_to(redirect_uri: str, response_type: str | None, values: dict) -> str:
    """``redirect_uri`` with ``values`` in the fragment (implicit flow) or the query (code)."""
    if not is_implicit(response_type):
        return add_query(redirect_uri, values)
    parts = urlsplit(redirect_uri)
    fragment = urlencode([(k, v) for k, v in values.items() if v is not None])
    return urlunsplit((parts.scheme, parts.netloc, parts.path, parts.query, fragment))


def answer_url(request: Request, state: EmulatorState, req: AuthorizeRequest,
               orcid: str, auth_time: float | None) -> str:
    """The approved request's answer: a single-use code, or the implicit flow's token and/or
    id_token."""
    if not is_implicit(req.response_type):
        code = issue_code(state, req, orcid, auth_time)
        return redirect_to(req.redirect_uri, req.response_type, {"code": code,
                                                                 "state": req.state})
    kinds = req.response_type.split()
    token = new_token(state, req.client.client_id, orcid, req.scopes,
                            lifetime=IMPLICIT_SECONDS) if "token" in kinds else None
    values: dict = {}
    if token is not None:
        # as ORCID's example answer: one second under the lifetime, tokenVersion, persistent
        values.update(access_token=token.access_token, token_type="bearer",
                      expires_in=IMPLICIT_SECONDS - 1, tokenVersion=1, persistent="false")
    if "id_token" in kinds or (token is not None and "openid" in req.scopes):
        values["id_token"] = oidc.id_token(state, request, req.client, state.record(orcid),
                                           token, nonce=req.nonce, auth_time=auth_time,
                                           orcid=orcid)
    values["state"] = req.state
    return redirect_to(req.redirect_uri, req.response_type, values)
