"""``OrcidClient``: the OAuth side of ORCID (authorize URL, token grants, revoke, OIDC).

OAuth messages are built and checked by oauthlib (``WebApplicationClient`` /
``BackendApplicationClient``: token request bodies, token response validation); the bytes
travel through our own :class:`~orcid_pyramid.client.http.Transport`. We do not call
requests-oauthlib's ``OAuth2Session.fetch_token`` because (1) it refuses plain ``http://``
unless the process-wide ``OAUTHLIB_INSECURE_TRANSPORT`` variable is set, which the local
emulator on 127.0.0.1 would need and which would then allow http for every other call in
the process, and (2) it writes the request body (client secret, code) and the token
response to its DEBUG log. HTTPS is enforced by the add-on's settings lint instead (DM-2).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Mapping
from typing import Any
from urllib.parse import quote, urlencode

import requests
from oauthlib.oauth2 import BackendApplicationClient, OAuth2Error, WebApplicationClient

from .api import MemberApi, parse_json
from .calllog import CallRecord
from .endpoints import Endpoints
from .errors import OrcidMalformedResponse, OrcidOAuthError, OrcidUsageError
from .http import DEFAULT_TIMEOUT, RateLimiter, Transport
from .idtoken import JwksCache, verify_id_token
from .orcid_id import normalize
from .tokens import TokenResponse, split_scope
from .webhooks import WebhookMixin

log = logging.getLogger("orcid_pyramid.client")

PREFILL_KEYS = ("given_names", "family_names", "email", "orcid")
LANGUAGES = frozenset("ar cs en es fr de it ja ko pl pt ru tr zh_CN zh_TW".split())
PROMPTS = frozenset({"login", "none"})


def supported_language(lang: str | None) -> str | None:
    """ORCID's code for ``lang`` (``es``, ``es-ES``, ``zh-CN`` -> ``es``, ``es``, ``zh_CN``),
    or None when ORCID's pages do not offer it."""
    if not lang:
        return None
    code = lang.replace("-", "_")
    code = code if code in LANGUAGES else code.split("_")[0].lower()
    return code if code in LANGUAGES else None
_FORM_HEADERS = {
    "Accept": "application/json",
    "Content-Type": "application/x-www-form-urlencoded",
}


class OrcidClient(WebhookMixin):
    """A client of one ORCID environment with one set of credentials. Thread-safe.

    ``call_sink`` receives a redacted :class:`CallRecord` for every HTTP exchange;
    ``session`` replaces the default timeout-enforcing ``requests.Session`` (e.g. one with a
    WSGI transport adapter); ``rate_limiter.acquire()`` is called before each member-API and
    webhook request.
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
    ) -> None:
        if not client_id or not client_secret:
            raise OrcidUsageError("an ORCID client needs a client_id and a client_secret")
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
        if prompt is not None and prompt not in PROMPTS:
            raise OrcidUsageError(f"prompt must be one of {sorted(PROMPTS)}, got {prompt!r}")
        params: list[tuple[str, str]] = [
            ("client_id", self.client_id),
            ("response_type", "code"),
            ("scope", " ".join(_scope_order(scope_set))),
            ("redirect_uri", redirect_uri),
            ("state", state),
        ]
        if nonce:
            params.append(("nonce", nonce))
        if prompt:
            params.append(("prompt", prompt))
        code = supported_language(lang)
        if code:
            params.append(("lang", code))
        if show_login is not None:
            params.append(("show_login", "true" if show_login else "false"))
        params.extend(_prefill_params(prefill or {}))
        return f"{self.endpoints.authorize_url}?{urlencode(params, quote_via=quote)}"

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
        body = WebApplicationClient(self.client_id).prepare_request_body(
            code=code.strip(),
            redirect_uri=self._redirect_uri(redirect_uri),
            include_client_id=True,
            client_secret=self._client_secret,
        )
        return self._token_request(body, secrets=[code], log_context=log_context)

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
        body = WebApplicationClient(self.client_id).prepare_refresh_body(
            refresh_token=refresh_token,
            scope=_scope_order(scope_set) if scope_set else None,
            client_id=self.client_id,
            client_secret=self._client_secret,
            **kwargs,
        )
        return self._token_request(body, secrets=[refresh_token], log_context=log_context)

    def client_credentials(
        self, scope: str | Iterable[str], *, log_context: Mapping[str, Any] | None = None
    ) -> TokenResponse:
        """A two-legged token (``/read-public``, ``/webhook``, ``/premium-notification``)."""
        scope_set = split_scope(scope)
        if not scope_set:
            raise OrcidUsageError("client_credentials needs a scope")
        body = BackendApplicationClient(self.client_id).prepare_request_body(
            scope=_scope_order(scope_set),
            include_client_id=True,
            client_secret=self._client_secret,
        )
        return self._token_request(body, secrets=[], log_context=log_context)

    def revoke(self, token: str, *, log_context: Mapping[str, Any] | None = None) -> None:
        """Revoke an access or refresh token (ORCID answers 200 even for unknown tokens)."""
        if not token:
            raise OrcidUsageError("revoke needs a token")
        body = urlencode(
            {"client_id": self.client_id, "client_secret": self._client_secret, "token": token}
        )
        self.transport.request(
            "POST", self.endpoints.revoke_url, kind="revoke", expect=(200, 204),
            data=body, headers=_FORM_HEADERS, secrets=[token], log_context=log_context,
        )

    def _token_request(
        self, body: str, *, secrets: list[str], log_context: Mapping[str, Any] | None
    ) -> TokenResponse:
        response = self.transport.request(
            "POST", self.endpoints.token_url, kind="token", data=body,
            headers=_FORM_HEADERS, secrets=secrets, log_context=log_context,
        )
        data = parse_json(response, what="token answer")
        if not isinstance(data, dict):
            raise OrcidMalformedResponse("ORCID's token answer is not a JSON object")
        try:
            # oauthlib checks the answer (error members, access token present); scope=None
            # because ORCID may reorder or narrow scopes, which is not an error here.
            WebApplicationClient(self.client_id).parse_request_body_response(
                response.content.decode("utf-8", "replace"))
        except OAuth2Error as exc:
            raise OrcidOAuthError(
                exc.error or "invalid_request",
                self.transport.redactor.with_secrets(secrets).text(exc.description or ""),
                status=response.status_code,
            ) from None
        except Exception as exc:  # oauthlib trips over odd member types in many ways
            raise OrcidMalformedResponse(
                f"ORCID's token answer is invalid ({type(exc).__name__})") from None
        return TokenResponse.from_dict(data)

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


def _scope_order(scopes: Iterable[str]) -> list[str]:
    # ORCID's examples put openid first; a stable order keeps URLs comparable in tests/logs
    return sorted(scopes, key=lambda s: (s != "openid", s))


def _prefill_params(prefill: Mapping[str, Any]) -> list[tuple[str, str]]:
    unknown = set(prefill) - set(PREFILL_KEYS)
    if unknown:
        raise OrcidUsageError(
            f"unknown prefill keys {sorted(unknown)}; use {', '.join(PREFILL_KEYS)}"
        )
    params = []
    for key in PREFILL_KEYS:
        value = prefill.get(key)
        if value is None or not str(value).strip():
            continue
        value = str(value).strip()
        if key == "orcid":
            try:
                value = normalize(value)
            except OrcidUsageError:
                log.warning("ignoring an invalid ORCID iD in the pre-fill data")
                continue
        params.append((key, value))
    return params
