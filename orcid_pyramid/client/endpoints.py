"""Where ORCID lives: registry (OAuth/OIDC) URLs and the member API base (orcid-facts/hosts.md,
orcid-facts/oauth.md).

The token URL defaults to the ROOT host (``base_url + "/oauth/token"``), as ORCID asks
(checklist DM-3); the member API is always addressed under ``/v3.0`` (REV-1).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from urllib.parse import quote, urlsplit

from .errors import OrcidUsageError

API_VERSION = "v3.0"

ENVIRONMENTS = {
    "sandbox": ("https://sandbox.orcid.org", "https://api.sandbox.orcid.org"),
    "production": ("https://orcid.org", "https://api.orcid.org"),
}


def is_loopback_host(host: str | None) -> bool:
    """True for localhost, 127.0.0.0/8 and ::1 (the settings lint uses the same rule)."""
    if not host:
        return False
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class Endpoints:
    """The URLs of one ORCID environment (sandbox, production or a local emulator)."""

    base_url: str
    api_url: str
    token_url: str = field(default=None)  # type: ignore[assignment]  # filled in below

    def __post_init__(self) -> None:
        for name in ("base_url", "api_url"):
            value = getattr(self, name)
            if not isinstance(value, str) or urlsplit(value).scheme not in ("http", "https"):
                raise OrcidUsageError(f"{name} must be an http(s) URL, got {value!r}")
            object.__setattr__(self, name, value.rstrip("/"))
        token_url = self.token_url or f"{self.base_url}/oauth/token"
        object.__setattr__(self, "token_url", token_url)

    @classmethod
    def for_environment(
        cls, environment: str, *, base_url: str | None = None, api_url: str | None = None
    ) -> Endpoints:
        """Endpoints for ``sandbox`` or ``production``; ``emulator`` needs ``base_url``.

        Explicit ``base_url``/``api_url`` override the environment's defaults; the emulator's
        API host defaults to ``base_url + "/api"`` (docs/architecture.md).
        """
        if environment in ENVIRONMENTS:
            default_base, default_api = ENVIRONMENTS[environment]
            return cls(base_url or default_base, api_url or default_api)
        if environment == "emulator":
            if not base_url:
                raise OrcidUsageError("the emulator environment needs a base_url")
            return cls(base_url, api_url or base_url.rstrip("/") + "/api")
        raise OrcidUsageError(
            f"unknown ORCID environment {environment!r} (use sandbox, production or emulator)"
        )

    @property
    def authorize_url(self) -> str:
        """The browser's authorization page."""
        return f"{self.base_url}/oauth/authorize"

    @property
    def revoke_url(self) -> str:
        """Token revocation (form POST)."""
        return f"{self.base_url}/oauth/revoke"

    @property
    def userinfo_url(self) -> str:
        """OpenID Connect userinfo."""
        return f"{self.base_url}/oauth/userinfo"

    @property
    def jwks_url(self) -> str:
        """The keys that sign id_tokens."""
        return f"{self.base_url}/oauth/jwks"

    @property
    def logout_url(self) -> str:
        """Ends the browser's ORCID session (called from the browser before connecting)."""
        return f"{self.base_url}/userStatus.json?logUserOut=true"

    @property
    def signout_url(self) -> str:
        """ORCID's sign-out page."""
        return f"{self.base_url}/signout"

    @property
    def issuer(self) -> str:
        """The ``iss`` every id_token must carry."""
        return self.base_url

    @property
    def api_base(self) -> str:
        """The member API root, always the v3.0 schema."""
        return f"{self.api_url}/{API_VERSION}"

    @property
    def is_loopback(self) -> bool:
        """True when every URL points at this machine (the local emulator)."""
        return all(is_loopback_host(urlsplit(u).hostname)
                   for u in (self.base_url, self.api_url, self.token_url))

    @property
    def is_https(self) -> bool:
        """True when every URL uses HTTPS (checklist DM-2)."""
        return all(u.startswith("https://") for u in (self.base_url, self.api_url, self.token_url))

    def record_url(self, orcid: str) -> str:
        """The public record URL of an iD in this environment (``https://orcid.org/<iD>``)."""
        return f"{self.base_url}/{orcid}"

    def api_record_url(self, orcid: str, path: str = "") -> str:
        """``{api_base}/{orcid}/{path}``."""
        path = path.strip("/")
        return f"{self.api_base}/{orcid}/{path}" if path else f"{self.api_base}/{orcid}"

    def webhook_url(self, orcid: str, callback: str) -> str:
        """The webhook registration URL (no version segment; callback fully URL-encoded)."""
        return f"{self.api_url}/{orcid}/webhook/{quote(callback, safe='')}"
