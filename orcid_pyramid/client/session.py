"""The client's ``requests`` session: ORCID's credentials from the calls only, the
environment's proxies and CA bundle read once per host (see :class:`OrcidSession`).

Split out of :mod:`~orcid_pyramid.client.http` to keep files small; ``http.build_session``
makes one with the client's adapters.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import requests
import requests.auth

#: the environment variables that decide a call's proxy and CA bundle in requests (proxies:
#: urllib's ``getproxies``, any case; the bundle: requests' own two)
_ENVIRONMENT = tuple(f"{scheme}_proxy" for scheme in ("http", "https", "all", "no")) + tuple(
    f"{scheme}_PROXY" for scheme in ("HTTP", "HTTPS", "ALL", "NO")) + (
    "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")


class _KeepHeaders(requests.auth.AuthBase):
    """The session's "authentication": none, so that requests never looks up ``~/.netrc``
    (see :class:`OrcidSession`)."""

    def __call__(self, request):
        return request


class OrcidSession(requests.Session):
    """A ``requests.Session`` for ORCID's calls.

    - **Credentials come from the calls, never from** ``~/.netrc``: requests adds a netrc
      entry for the host to a call that names no ``auth``, as Basic credentials that replace
      the call's own ``Authorization`` header (a member API call then reaches ORCID without
      its bearer token and is refused: 403, error 9014). The session's ``auth`` is a no-op,
      so requests looks no further.
    - **The environment's proxies and CA bundle are read once per host** while the variables
      that set them (``_ENVIRONMENT``) keep their values: requests read them at every call
      (0.2 ms of CPU a call, walking the whole environment three times), a ninth of the
      sync worker's own CPU around a bulk POST. A change of one of those variables is seen
      at the next call.
    """

    def __init__(self) -> None:
        super().__init__()
        self.auth = _KeepHeaders()
        self._environment: dict[tuple, dict] = {}

    def merge_environment_settings(self, url, proxies, stream, verify, cert):
        """requests' settings for ``url``, the environment's part read once per host and
        values of ``_ENVIRONMENT``."""
        if not self.trust_env:
            return super().merge_environment_settings(url, proxies, stream, verify, cert)
        parts = urlsplit(url)
        key = (parts.scheme, parts.netloc, tuple(os.environ.get(n) for n in _ENVIRONMENT),
               _settled(proxies), stream, _settled(verify), _settled(cert),
               _settled(self.proxies), self.stream, _settled(self.verify), _settled(self.cert))
        found = self._environment.get(key)
        if found is None:
            if len(self._environment) >= 64:  # hosts and settings are few; never grows
                self._environment.clear()
            found = self._environment[key] = super().merge_environment_settings(
                url, proxies, stream, verify, cert)
        return {**found, "proxies": dict(found["proxies"])}


def _settled(value) -> Any:
    """``value`` as part of a cache key (a dict as its sorted items)."""
    if isinstance(value, Mapping):
        return tuple(sorted((str(k), str(v)) for k, v in value.items()))
    return value if isinstance(value, bool | str | tuple | None) else repr(value)
