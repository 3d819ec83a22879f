"""In-memory state of the emulated ORCID sandbox.

Shared contract between the registry side (OAuth, OIDC, control API: ``oauth.py``,
``control.py``) and the member API side (``records.py``, ``api.py``). Every mutation happens
under ``EmulatorState.lock`` (an ``RLock``); readers that need a consistent view take it too.

This module imports nothing from the rest of ``orcid_pyramid`` (the emulator could be split
out into its own distribution).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from .records import Record


#: ``expires_in`` of every long-lived token, as ORCID answers it (api-facts §2.1).
LONG_LIVED_SECONDS = 631138518


@dataclass
class Client:
    """A registered API client (``APP-`` + 16 upper-case alphanumerics)."""

    client_id: str
    client_secret: str
    name: str
    redirect_uris: list[str] = field(default_factory=list)  # empty: any (sandbox rule)
    member: bool = True
    premium: bool = False


@dataclass
class Token:
    """An access token with its refresh token; ``orcid`` is None for client credentials."""

    access_token: str
    refresh_token: str
    client_id: str
    orcid: str | None
    scopes: frozenset[str]
    issued_at: float
    expires_at: float
    revoked: bool = False
    #: the authorization code it came from (reusing the code revokes it)
    code: str | None = None
    #: the parent token for tokens issued by the refresh grant
    parent: str | None = None

    def live(self, now: float | None = None) -> bool:
        return not self.revoked and (now if now is not None else time.time()) < self.expires_at


@dataclass
class AuthCode:
    """A six-character, single-use authorization code, valid ten minutes."""

    code: str
    client_id: str
    orcid: str
    scopes: frozenset[str]
    redirect_uri: str
    issued_at: float
    nonce: str | None = None
    auth_time: float | None = None
    used: bool = False


@dataclass
class CallRecord:
    """One request the emulator received (``GET /_emulator/calls``)."""

    method: str
    path: str
    query: str
    host: str  # "root", "api" or "pub": which ORCID host the path stands for
    status: int
    time: float
    client_id: str | None = None
    orcid: str | None = None
    duration_ms: float = 0.0

    def as_json(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "path": self.path,
            "query": self.query,
            "host": self.host,
            "status": self.status,
            "time": self.time,
            "client_id": self.client_id,
            "orcid": self.orcid,
            "duration_ms": round(self.duration_ms, 3),
        }
