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
from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from .records import Record


#: ``expires_in`` of every long-lived token, as ORCID answers it (orcid-facts/oauth.md#token).
LONG_LIVED_SECONDS = 631138518
#: how many calls ``GET /_emulator/calls`` keeps (the newest)
CALLS_KEPT = 10_000
#: why a token was revoked, with ORCID's names (orcid-facts/errors.md#bearer-tokens): only a
#: researcher's revocation still lets DELETE through
USER_REVOKED = "USER_REVOKED"
CLIENT_REVOKED = "CLIENT_REVOKED"
AUTH_CODE_REUSED = "AUTH_CODE_REUSED"


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
    #: ORCID's revoke reason (``USER_REVOKED``, ``CLIENT_REVOKED``, ``AUTH_CODE_REUSED``)
    revoke_reason: str | None = None
    #: the authorization code it came from (reusing the code revokes it)
    code: str | None = None
    #: the parent token for tokens issued by the refresh grant
    parent: str | None = None

    def live(self, now: float | None = None) -> bool:
        return not self.revoked and (now if now is not None else time.time()) < self.expires_at

    def revoke(self, reason: str) -> None:
        """Disable the token, remembering why (the first reason stays)."""
        if not self.revoked:
            self.revoked, self.revoke_reason = True, reason


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
    #: ``EmulatorState.generation`` when the request started: a reset in between drops it
    generation: int = 0
    #: position in the call log since the last reset (set when recorded)
    index: int = -1
    #: "https" when the request came through the TLS front, else "http"
    scheme: str = "http"

    def as_json(self) -> dict[str, Any]:
        """The call as ``GET /_emulator/calls`` lists it."""
        return {
            "index": self.index,
            "method": self.method,
            "path": self.path,
            "query": self.query,
            "host": self.host,
            "scheme": self.scheme,
            "status": self.status,
            "time": self.time,
            "client_id": self.client_id,
            "orcid": self.orcid,
            "duration_ms": round(self.duration_ms, 3),
        }


@dataclass
class Webhook:
    """A registered webhook: ORCID POSTs (empty body) to ``callback`` when ``orcid`` changes."""

    orcid: str
    callback: str
    client_id: str
    registered_at: float


@dataclass
class BrowserSession:
    """A signed-in browser on the emulated registry (cookie ``orcid_emulator_session``)."""

    session_id: str
    csrf: str
    orcid: str | None = None
    auth_time: float | None = None


class EmulatorState:
    """Everything the emulator knows, guarded by one re-entrant lock.

    The member API side keeps ``records``; the registry side keeps clients, tokens, codes,
    sessions and webhooks. ``notify_record_changed`` is the one hook between them: the API
    calls it after every successful write and the webhook dispatcher (set by ``app.py``)
    queues a delivery per registered callback.
    """

    def __init__(self, clock: Any = None) -> None:
        self.lock = threading.RLock()
        self._clock = clock or time.time
        self.clients: dict[str, Client] = {}
        self.tokens: dict[str, Token] = {}
        #: refresh token -> access token
        self.refresh_index: dict[str, str] = {}
        self.codes: dict[str, AuthCode] = {}
        self.records: dict[str, Record] = {}
        #: the newest CALLS_KEPT requests (older ones fall off the front)
        self.calls: deque[CallRecord] = deque(maxlen=CALLS_KEPT)
        #: calls recorded since the last reset (the next call's index)
        self.calls_recorded = 0
        #: bumped by every reset, so calls of requests that began before it are not kept
        self.generation = 0
        #: (orcid, callback) -> Webhook
        self.webhooks: dict[tuple[str, str], Webhook] = {}
        self.sessions: dict[str, BrowserSession] = {}
        #: unexpected exceptions caught by the dispatcher (a test must see a bug, not a 500)
        self.errors: list[str] = []
        #: webhook delivery attempts: {callback, orcid, attempt, status, error, time}
        self.deliveries: list[dict[str, Any]] = []
        #: set by app.py: called with an ORCID iD after a record changed
        self.on_record_changed: Any = None
        self._next_put_code = 1000

    def now(self) -> float:
        """The emulator's clock (seconds since the epoch)."""
        return self._clock()

    def new_put_code(self) -> int:
        """A put code unique across the whole emulator, increasing."""
        with self.lock:
            self._next_put_code += 1
            return self._next_put_code

    def client(self, client_id: str | None) -> Client | None:
        """The registered client with this id, or None."""
        if not client_id:
            return None
        with self.lock:
            return self.clients.get(client_id)

    def find_token(self, access_token: str | None) -> Token | None:
        """The token with this access token string, or None (revoked/expired ones too)."""
        if not access_token:
            return None
        with self.lock:
            return self.tokens.get(access_token)

    def find_refresh(self, refresh_token: str | None) -> Token | None:
        """The token holding this refresh token, or None."""
        if not refresh_token:
            return None
        with self.lock:
            access = self.refresh_index.get(refresh_token)
            return self.tokens.get(access) if access else None

    def add_token(self, token: Token) -> None:
        """Store a token and index its refresh token."""
        with self.lock:
            self.tokens[token.access_token] = token
            self.refresh_index[token.refresh_token] = token.access_token

    def record(self, orcid: str) -> Record | None:
        """The record with this iD, or None."""
        with self.lock:
            return self.records.get(orcid)

    def notify_record_changed(self, orcid: str) -> None:
        """Called after every successful write to ``orcid``'s record: queue webhook calls."""
        hook = self.on_record_changed
        if hook is not None:
            hook(orcid)

    def webhooks_for(self, orcid: str) -> list[Webhook]:
        """The webhooks registered on one record."""
        with self.lock:
            return [w for w in self.webhooks.values() if w.orcid == orcid]

    def record_call(self, call: CallRecord) -> None:
        """Append one request to the call log, unless a reset happened since it began."""
        with self.lock:
            if call.generation != self.generation:
                return
            call.index = self.calls_recorded
            self.calls_recorded += 1
            self.calls.append(call)

    def calls_since(self, index: int = 0, since_time: float | None = None,
                    limit: int | None = None) -> list[CallRecord]:
        """Kept calls with ``index`` or more and, when given, made at ``since_time`` or later;
        the oldest ``limit`` of them when given."""
        with self.lock:
            calls = [c for c in self.calls if c.index >= index
                     and (since_time is None or c.time >= since_time)]
        return calls if limit is None else calls[:limit]

    def clear(self) -> None:
        """Forget everything (the caller re-seeds); put codes keep increasing."""
        with self.lock:
            self.clients.clear()
            self.tokens.clear()
            self.refresh_index.clear()
            self.codes.clear()
            self.records.clear()
            self.calls.clear()
            self.calls_recorded = 0
            self.generation += 1
            self.webhooks.clear()
            self.sessions.clear()
            self.errors.clear()
            self.deliveries.clear()
