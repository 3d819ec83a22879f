"""requests-oauthlib's ``OAuth2Session``, sending every exchange through our :class:`Transport`.

:class:`TransportOAuth2Session` is a real ``OAuth2Session``: ``authorization_url``,
``fetch_token`` and ``refresh_token`` build and check the OAuth messages with oauthlib, and
its compliance hooks and HTTPS check run as they do for anyone using the package. Only the
last step differs: where ``OAuth2Session.request`` would hand the request to
``requests.Session.request``, it reaches :meth:`_TransportSend.request` instead (placed between
the two in the MRO), which calls :meth:`Transport.request` with this exchange's ``kind``,
``expect``, ``secrets`` and ``log_context``. So the timeout, the call-log hook (redacted
records), the caller's injected session and the mapping of statuses to our typed errors stay
exactly as for every other ORCID call. One session serves one exchange and is then dropped:
it holds the exchange's secrets and oauthlib's token state, which must not outlive the call.

Plain http. oauthlib and requests-oauthlib refuse any ``http://`` URL unless the
process-wide ``OAUTHLIB_INSECURE_TRANSPORT`` variable is set, which would switch the check off
for every library in the process, for every host. We never set it. The one plain-http
configuration the add-on accepts is the local emulator on a loopback host (the demo's
``pserve development.ini`` quick start, or ``ORCID_EMULATOR_TLS=0``; the settings lint allows
http only with ``orcid.environment = emulator`` and a loopback host, DM-2). For that case
alone, :func:`oauthlib_url` shows oauthlib the ``https://`` form of a loopback URL of a client
whose every endpoint is loopback, and :meth:`_TransportSend.request` sends to the real
``http://`` URL. Bytes to 127.0.0.1 never leave the machine, which is what the check guards.
Any other ``http://`` URL (a non-loopback host, or a loopback host beside a real ORCID
endpoint) meets oauthlib's check and is refused as a usage error before a byte is sent.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

import requests
from oauthlib.oauth2 import InsecureTransportError, OAuth2Error
from requests_oauthlib import OAuth2Session

from .endpoints import Endpoints
from .errors import OrcidError, OrcidMalformedResponse, OrcidOAuthError, OrcidUsageError
from .http import Transport

#: requests-oauthlib's compliance hooks a client may be given (``protected_request`` is not
#: among them: these sessions never carry a user's token).
HOOK_TYPES = ("access_token_request", "access_token_response", "refresh_token_request",
              "refresh_token_response")


def plain_loopback(endpoints: Endpoints, url: str) -> bool:
    """True when ``url`` is plain http to this machine and so is every endpoint of the client
    (a local emulator): the one case where oauthlib's https check is answered by us."""
    hosts = {urlsplit(u).hostname for u in (endpoints.base_url, endpoints.token_url)}
    parts = urlsplit(url)
    return parts.scheme == "http" and parts.hostname in hosts and endpoints.is_loopback


def oauthlib_url(endpoints: Endpoints, url: str) -> str:
    """The form of ``url`` oauthlib's transport check sees (see the module docstring)."""
    return "https" + url[len("http"):] if plain_loopback(endpoints, url) else url


class _TransportSend(requests.Session):
    """The send step of :class:`TransportOAuth2Session`: :meth:`Transport.request`."""

    transport: Transport
    exchange: dict[str, Any]
    url_map: dict[str, str]

    def request(self, method, url, **kwargs):  # type: ignore[override]
        """Send through the transport; ``None`` arguments leave the transport's defaults."""
        kwargs = {key: value for key, value in kwargs.items() if value is not None}
        kwargs.pop("files", None)  # OAuth bodies are forms
        return self.transport.request(method, self.url_map.get(url, url), **self.exchange,
                                      **kwargs)


class TransportOAuth2Session(OAuth2Session, _TransportSend):
    """An ``OAuth2Session`` for one exchange (``kind`` as in the call log), sent through
    ``transport``. ``url`` is the endpoint it will talk to, in its real form."""

    def __init__(
        self,
        transport: Transport,
        endpoints: Endpoints,
        url: str,
        *,
        kind: str,
        expect: Collection[int] = (200,),
        secrets: Iterable[str | None] = (),
        log_context: Mapping[str, Any] | None = None,
        hooks: Mapping[str, Sequence[Callable]] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.transport = transport
        self.exchange = {"kind": kind, "expect": tuple(expect), "secrets": list(secrets),
                         "log_context": log_context}
        self.url = oauthlib_url(endpoints, url)
        self.url_map = {self.url: url}
        #: the token answer as ORCID sent it (a JSON object), and its status
        self.answer: dict[str, Any] | None = None
        self.status: int | None = None
        for hook_type in HOOK_TYPES:
            chain = list((hooks or {}).get(hook_type, ()))
            if hook_type.endswith("_response"):
                chain.append(self._json_object)  # last: it reads the answer oauthlib will
            if chain:
                self.register_compliance_hook(hook_type, _in_order(chain, hook_type))

    def real(self, built: str) -> str:
        """A URL oauthlib built on :attr:`url`, pointing at the real endpoint again."""
        for shown, real in self.url_map.items():
            if shown != real and built.startswith(shown):
                return real + built[len(shown):]
        return built

    def _json_object(self, response: requests.Response) -> requests.Response:
        """A token answer must be a JSON object: oauthlib would read anything else as a form
        (and then only miss the access token), hiding that ORCID's answer was broken."""
        self.status = response.status_code
        try:
            data = json.loads(response.content.decode("utf-8"))
        except (ValueError, UnicodeDecodeError):
            raise OrcidMalformedResponse("ORCID's token answer is not valid JSON",
                                         status=response.status_code) from None
        if not isinstance(data, dict):
            raise OrcidMalformedResponse("ORCID's token answer is not a JSON object",
                                         status=response.status_code)
        self.answer = data
        return response

    @contextmanager
    def oauthlib_errors(self) -> Iterator[None]:
        """oauthlib's and requests-oauthlib's exceptions as the client's own errors.

        Our own errors (the transport's mapping of ORCID's statuses) pass unchanged; the
        https check becomes a usage error (DM-2); an OAuth error in a 200 answer (or one
        without an access token) an :class:`OrcidOAuthError`; a changed scope is accepted
        (ORCID may narrow or reorder scopes; :class:`TokenResponse` holds what was granted);
        anything else oauthlib trips over in an odd answer is a malformed response.
        """
        redactor = self.transport.redactor.with_secrets(self.exchange["secrets"])
        try:
            yield
        except OrcidError:
            raise
        except InsecureTransportError:
            raise OrcidUsageError(
                f"{self.url_map[self.url]} uses plain http; ORCID's OAuth endpoints need "
                "https (plain http is accepted only for a local emulator on a loopback host, "
                "DM-2)") from None
        except OAuth2Error as exc:
            raise OrcidOAuthError(exc.error or "invalid_request",
                                  redactor.text(exc.description or ""),
                                  status=self.status) from None
        except Warning as exc:
            if getattr(exc, "token", None) is None:  # not oauthlib's "scope has changed"
                raise
        except Exception as exc:  # oauthlib trips over odd member types in many ways
            raise OrcidMalformedResponse(
                f"ORCID's token answer is invalid ({type(exc).__name__})") from None


def _in_order(hooks: Sequence[Callable], hook_type: str) -> Callable:
    """One hook running ``hooks`` in the given order (requests-oauthlib keeps a set)."""
    single = hook_type.endswith("_response")  # response hooks take and return the response

    def run(*args: Any) -> Any:
        for hook in hooks:
            args = (hook(*args),) if single else tuple(hook(*args))
        return args[0] if single else args

    return run
