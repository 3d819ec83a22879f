"""Where the authorize step sends the browser back: a code in the query, or the implicit
OpenID flow's answer in the fragment (orcid-facts/oauth.md#implicit-flow).

ORCID supports ``response_type=token``, ``id_token`` and ``id_token token`` for ``openid`` and
``/authenticate``: the token lives ten minutes and everything goes in the URL fragment, which
the browser keeps away from the site's server. Both the pages (``pages.py``) and the control
API's ``POST /_emulator/authorize`` use ``answer_url``.
"""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit, urlunsplit

from webob import Request

from . import oauth, oidc
from .responses import add_query
from .state import EmulatorState

#: implicit tokens live ten minutes
IMPLICIT_SECONDS = 600


def is_implicit(response_type: str | None) -> bool:
    """Whether a (normalised or raw) response type is one of the implicit flow's."""
    return oauth.normalise_response_type(response_type) in oauth.IMPLICIT_RESPONSE_TYPES


def redirect_to(redirect_uri: str, response_type: str | None, values: dict) -> str:
    """``redirect_uri`` with ``values`` in the fragment (implicit flow) or the query (code)."""
    if not is_implicit(response_type):
        return add_query(redirect_uri, values)
    parts = urlsplit(redirect_uri)
    fragment = urlencode([(k, v) for k, v in values.items() if v is not None])
    return urlunsplit((parts.scheme, parts.netloc, parts.path, parts.query, fragment))


def answer_url(request: Request, state: EmulatorState, req: oauth.AuthorizeRequest,
               orcid: str, auth_time: float | None) -> str:
    """The approved request's answer: a single-use code, or the implicit flow's token and/or
    id_token."""
    if not is_implicit(req.response_type):
        code = oauth.issue_code(state, req, orcid, auth_time)
        return redirect_to(req.redirect_uri, req.response_type, {"code": code,
                                                                 "state": req.state})
    kinds = req.response_type.split()
    token = oauth.new_token(state, req.client.client_id, orcid, req.scopes,
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
