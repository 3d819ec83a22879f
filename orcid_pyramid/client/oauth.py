"""``OrcidClient``: the OAuth side of ORCID (authorize URL, token grants, revoke, OIDC).

The authorize URL, the code exchange, refresh, client credentials and revocation go through
requests-oauthlib's ``OAuth2Session`` (``authorization_url``, ``fetch_token``,
``refresh_token``; the revocation is a POST of oauthlib's RFC 7009 body on the same kind of
session), so oauthlib builds the messages and checks the answers and the package's compliance
hooks and https check apply. Each session sends through our own
:class:`~orcid_pyramid.client.http.Transport` (``oauth_session.py``): timeout, call-log hook,
redaction and typed errors as for every other ORCID call. requests-oauthlib writes request
bodies and tokens to its DEBUG log; ``install_log_redaction`` drops those records.

Plain http: ``OAUTHLIB_INSECURE_TRANSPORT`` is never set (it would switch the https check off
for the whole process). A client whose every endpoint is on a loopback host (the demo's
embedded emulator over http, the only http the settings lint accepts, and only with
``orcid.environment = emulator``) gets through oauthlib's check by showing it the https form
of the loopback URL; see ``oauth_session.py`` and docs/architecture.md. Every other http URL
is refused before anything is sent (DM-2).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import requests
from oauthlib.oauth2 import BackendApplicationClient, WebApplicationClient

from .api import MemberApi, parse_json
from .authorize import authorize_extras, percent_encoded
from .calllog import CallRecord
from .endpoints import Endpoints
from .errors import OrcidMalformedResponse, OrcidUsageError
from .http import DEFAULT_TIMEOUT, RateLimiter, Transport
from .idtoken import JwksCache, verify_id_token
from .oauth_session import HOOK_TYPES, TransportOAuth2Session
from .orcid_id import normalize
from .tokens import TokenResponse, split_scope
from .webhooks import WebhookMixin


class OrcidClient(WebhookMixin):
    """A client of one ORCID environment with one set of credentials. Thread-safe.

    ``call_sink`` receives a redacted :class:`CallRecord` for every HTTP exchange;
    ``session`` replaces the default timeout-enforcing ``requests.Session`` (e.g. one with a
    WSGI transport adapter); ``rate_limiter.acquire()`` is called before each member-API and
    webhook request. ``compliance_hooks`` maps requests-oauthlib's hook types
    (``access_token_request``/``_response``, ``refresh_token_request``/``_response``) to
    hooks run in order on every token grant, for a provider's quirks.
    """

    def __init__(
        self,
        endpoints: Endpoints,
        client_id: str,
        client_secret: str,
        *,
        redirect_uri: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        call_sink: Callable[[CallRecord], None] | None = None,
        session: requests.Session | None = None,
        rate_limiter: RateLimiter | None = None,
        body_limit: int | None = None,
        compliance_hooks: Mapping[str, Sequence[Callable]] | None = None,
    ) -> None:
        if not client_id or not client_secret:
            raise OrcidUsageError("an ORCID client needs a client_id and a client_secret")
        unknown = set(compliance_hooks or {}) - set(HOOK_TYPES)
        if unknown:
            raise OrcidUsageError(f"unknown compliance hook types {sorted(unknown)}; "
                                  f"use {', '.join(HOOK_TYPES)}")
        self._hooks = {k: tuple(v) for k, v in (compliance_hooks or {}).items()}
        self.endpoints = endpoints
        self.client_id = client_id
        self.redirect_uri = redirect_uri
        self.transport = Transport(
            session=session,
            timeout=timeout,
            call_sink=call_sink,
            rate_limiter=rate_limiter,
            secrets=[client_secret],
            body_limit=body_limit,
        )
        self._client_secret = client_secret
        self._jwks = JwksCache(self.transport, endpoints.jwks_url)
        self._webhook_token: TokenResponse | None = None
        self._webhook_lock = threading.Lock()

    def __repr__(self) -> str:
        return f"<OrcidClient {self.client_id} at {self.endpoints.base_url}>"

    # -- authorization ---------------------------------------------------------------------

    def authorization_url(
        self,
        scopes: str | Iterable[str],
        state: str,
        *,
        redirect_uri: str | None = None,
        nonce: str | None = None,
        prefill: Mapping[str, Any] | None = None,
        lang: str | None = None,
        prompt: str | None = None,
        show_login: bool | None = None,
    ) -> str:
        """The URL to send the browser to (ORCID's authorize page).

        ``prefill`` may hold ``given_names``, ``family_names``, ``email`` and ``orcid``;
        empty values are left out, and so is an ``orcid`` that is not a valid iD (pre-fill
        is a convenience and must not block connecting). An unsupported ``lang`` is left out.
        """
        scope_set = split_scope(scopes)
        if not scope_set:
            raise OrcidUsageError("authorization_url needs at least one scope")
        if not state:
            raise OrcidUsageError("authorization_url needs a state value (checklist BP-1)")
        redirect_uri = self._redirect_uri(redirect_uri)
        extra = authorize_extras(nonce=nonce, prompt=prompt, lang=lang, show_login=show_login,
                                 prefill=prefill or {})
        session = self._session(self.endpoints.authorize_url, kind="authorize",
                                scope=_scope_order(scope_set), redirect_uri=redirect_uri)
        with session, session.oauthlib_errors():
            url, _ = session.authorization_url(session.url, state=state, **dict(extra))
        return percent_encoded(session.real(url))

    # -- token grants ----------------------------------------------------------------------

    def exchange_code(
        self,
        code: str,
        *,
        redirect_uri: str | None = None,
        log_context: Mapping[str, Any] | None = None,
    ) -> TokenResponse:
        """Exchange an authorization code at the ROOT token URL (client_secret_post)."""
        if not isinstance(code, str) or not code.strip():
            raise OrcidUsageError("an authorization code must be supplied")
        session = self._session(self.endpoints.token_url, kind="token", secrets=[code],
                                log_context=log_context,
                                redirect_uri=self._redirect_uri(redirect_uri))
        with session, session.oauthlib_errors():
            session.fetch_token(session.url, code=code.strip(), include_client_id=True,
                                client_secret=self._client_secret)
        return _token(session)

    def refresh(
        self,
        refresh_token: str,
        *,
        scopes: str | Iterable[str] | None = None,
        revoke_old: bool = False,
        expires_in: int | None = None,
        log_context: Mapping[str, Any] | None = None,
    ) -> TokenResponse:
        """A new access token from a refresh token (optionally narrower or shorter-lived).

        ``revoke_old`` is always sent explicitly: ORCID's server defaults it to true.
        """
        if not refresh_token:
            raise OrcidUsageError("refresh needs a refresh token")
        kwargs: dict[str, Any] = {"revoke_old": "true" if revoke_old else "false"}
        if expires_in is not None:
            kwargs["expires_in"] = str(int(expires_in))
        scope_set = split_scope(scopes)
        session = self._session(self.endpoints.token_url, kind="token", secrets=[refresh_token],
                                log_context=log_context,
                                scope=_scope_order(scope_set) if scope_set else None)
        with session, session.oauthlib_errors():
            session.refresh_token(session.url, refresh_token=refresh_token,
                                  client_id=self.client_id, client_secret=self._client_secret,
                                  **kwargs)
        return _token(session)

    def client_credentials(
        self, scope: str | Iterable[str], *, log_context: Mapping[str, Any] | None = None
    ) -> TokenResponse:
        """A two-legged token (``/read-public``, ``/webhook``, ``/premium-notification``)."""
        scope_set = split_scope(scope)
        if not scope_set:
            raise OrcidUsageError("client_credentials needs a scope")
        session = self._session(self.endpoints.token_url, kind="token", log_context=log_context,
                                client=BackendApplicationClient(self.client_id))
        with session, session.oauthlib_errors():
            session.fetch_token(session.url, include_client_id=True,
                                client_secret=self._client_secret,
                                scope=_scope_order(scope_set))
        return _token(session)

    def revoke(self, token: str, *, log_context: Mapping[str, Any] | None = None) -> None:
        """Revoke an access or refresh token (ORCID answers 200 even for unknown tokens).

        oauthlib builds the RFC 7009 request (no ``token_type_hint``: ORCID finds the token
        by its value); it is POSTed on the same kind of session as the grants.
        """
        if not token:
            raise OrcidUsageError("revoke needs a token")
        oauth = WebApplicationClient(self.client_id)
        session = self._session(self.endpoints.revoke_url, kind="revoke", expect=(200, 204),
                                secrets=[token], log_context=log_context, client=oauth)
        with session, session.oauthlib_errors():
            url, headers, body = oauth.prepare_token_revocation_request(
                session.url, token, token_type_hint=None,
                client_id=self.client_id, client_secret=self._client_secret)
            session.post(url, data=body, headers={**headers, "Accept": "application/json"},
                         withhold_token=True)

    def _session(self, url: str, **kwargs: Any) -> TransportOAuth2Session:
        """A session for one exchange with ``url`` (see ``oauth_session.py``)."""
        kwargs.setdefault("client", WebApplicationClient(self.client_id))
        kwargs.setdefault("hooks", self._hooks)
        return TransportOAuth2Session(self.transport, self.endpoints, url, **kwargs)

    # -- OpenID Connect --------------------------------------------------------------------

    def verify_id_token(
        self,
        id_token: str,
        *,
        nonce: str | None = None,
        leeway: float = 60,
        access_token: str | None = None,
    ) -> dict[str, Any]:
        """The verified claims of an id_token; :class:`OrcidIdTokenError` if it fails.

        Pass the ``access_token`` that came with it to also check ``at_hash``.
        """
        return verify_id_token(
            id_token,
            jwks=self._jwks,
            issuer=self.endpoints.issuer,
            client_id=self.client_id,
            nonce=nonce,
            leeway=leeway,
            access_token=access_token,
        )

    def userinfo(
        self, access_token: str, *, log_context: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        """The OpenID Connect userinfo claims for an ``openid`` token."""
        response = self.transport.request(
            "GET", self.endpoints.userinfo_url, kind="userinfo",
            headers={"Accept": "application/json", "Authorization": f"Bearer {access_token}"},
            secrets=[access_token], log_context=log_context,
        )
        data = parse_json(response, what="userinfo answer")
        if not isinstance(data, dict):
            raise OrcidMalformedResponse("ORCID's userinfo answer is not a JSON object")
        return data

    # -- member API -----------------------------------------------------------

    def member(
        self, access_token: str, orcid: str, *, log_context: Mapping[str, Any] | None = None
    ) -> MemberApi:
        """The member API of one record, acting with the user's access token."""
        if not access_token:
            raise OrcidUsageError("the member API needs an access token")
        orcid = normalize(orcid)
        context = {**(log_context or {}), "orcid": orcid}
        return MemberApi(self.transport, self.endpoints, access_token, orcid, context, owner=self)

    def _redirect_uri(self, redirect_uri: str | None) -> str:
        value = redirect_uri or self.redirect_uri
        if not value:
            raise OrcidUsageError("a redirect_uri is required (none given, none configured)")
        return value


def _token(session: TransportOAuth2Session) -> TokenResponse:
    if session.answer is None:  # the compliance hook did not run: not a token answer at all
        raise OrcidMalformedResponse("ORCID's token endpoint sent no token answer")
    return TokenResponse.from_dict(session.answer)


def _scope_order(scopes: Iterable[str]) -> list[str]:
    # ORCID's examples put openid first; a stable order keeps URLs comparable in tests/logs
    return sorted(scopes, key=lambda s: (s != "openid", s))
