"""Webhook registration for :class:`~orcid_pyramid.client.oauth.OrcidClient`
(orcid-facts/webhooks.md).

Webhooks are methods of the client rather than of :class:`MemberApi` because they use the
client's own ``/webhook`` client-credentials token (premium members only), not the user's
token, and this is the only place that (un)registers one. The token is cached and renewed
once when ORCID rejects it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import requests

from .errors import OrcidUnauthorized, OrcidUsageError
from .orcid_id import normalize

if TYPE_CHECKING:  # pragma: no cover
    from .endpoints import Endpoints
    from .http import Transport
    from .tokens import TokenResponse

log = logging.getLogger("orcid_pyramid.client")

WEBHOOK_SCOPE = "/webhook"


class WebhookMixin:
    """Register and unregister webhooks with a cached ``/webhook`` token."""

    endpoints: Endpoints
    transport: Transport
    _webhook_token: TokenResponse | None = None
    _webhook_lock: threading.Lock

    def webhook_token(self, *, renew: bool = False) -> TokenResponse:
        """The cached ``/webhook`` client-credentials token (premium members only)."""
        with self._webhook_lock:
            if renew or self._webhook_token is None or self._webhook_token.expired():
                self._webhook_token = self.client_credentials(WEBHOOK_SCOPE)
            return self._webhook_token

    def register_webhook(
        self, orcid: str, callback_url: str, *, log_context: Mapping[str, Any] | None = None
    ) -> bool:
        """Register ``callback_url`` for changes to ``orcid``; True if new, False if known."""
        response = self._webhook_call("PUT", orcid, callback_url, log_context)
        return response.status_code == 201

    def unregister_webhook(
        self, orcid: str, callback_url: str, *, log_context: Mapping[str, Any] | None = None
    ) -> None:
        """Remove the webhook (404 when it was not registered: :class:`OrcidNotFound`)."""
        self._webhook_call("DELETE", orcid, callback_url, log_context)

    def _webhook_call(self, method, orcid, callback_url, log_context) -> requests.Response:
        orcid = normalize(orcid)
        if not isinstance(callback_url, str) or not callback_url.startswith(("http://", "https://")):
            raise OrcidUsageError(f"a webhook callback must be an http(s) URL: {callback_url!r}")
        url = self.endpoints.webhook_url(orcid, callback_url)
        context = {**(log_context or {}), "orcid": orcid}
        for attempt in (0, 1):
            token = self.webhook_token(renew=attempt == 1).access_token
            try:
                return self.transport.request(
                    method, url, kind="webhook", expect=(201, 204),
                    headers={"Authorization": f"Bearer {token}"},
                    data=b"", secrets=[token], log_context=context, rate_limited=True,
                )
            except OrcidUnauthorized:
                if attempt == 1:
                    raise
                log.info("ORCID rejected the cached /webhook token; fetching a new one")
        raise AssertionError("unreachable")  # pragma: no cover
