"""The OAuth ``state`` (and OpenID ``nonce``) kept in the host's session (BP-1).

A state is 32 random bytes, URL-safe, bound to the signed-in user and to an expiry, and can be
used once: :func:`consume_state` removes it from the session whatever the outcome, and
:func:`spend_state` records it on the server (``orcid_used_states``), so neither a replayed
callback, a replayed pre-callback cookie nor concurrent copies of one callback can use it
again. Several may be pending at once (two tabs), capped so a session cannot grow unbounded.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass

SESSION_KEY = "orcid.oauth_states"
MAX_PENDING = 5


class StateError(Exception):
    """The callback's ``state`` cannot be accepted; ``reason`` is one of
    ``missing``, ``unknown``, ``expired``, ``other_user``."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason

    def user_text(self) -> str:
        """A sentence for the researcher; never mentions the state value."""
        return {
            "missing": "The answer from ORCID did not carry the security check we sent with the "
            "request, so we could not accept it.",
            "unknown": "This ORCID answer does not match a connection request from this browser, "
            "or it has already been used.",
            "expired": "The connection request took too long and has expired.",
            "other_user": "This ORCID answer belongs to a connection request started by a "
            "different account.",
        }.get(self.reason, "The answer from ORCID could not be checked.")


@dataclass(frozen=True)
class PendingState:
    """What was stored for one authorize request."""

    state: str
    user_id: str
    expires_at: float
    nonce: str | None
    redirect_uri: str
    next_path: str | None = None


def new_state(session, user_id: str, ttl: int, redirect_uri: str, with_nonce: bool,
              now: float | None = None, next_path: str | None = None) -> PendingState:
    """Create, store in ``session`` and return a fresh state (and nonce when ``with_nonce``)."""
    now = time.time() if now is None else now
    pending = PendingState(
        state=secrets.token_urlsafe(32),
        user_id=str(user_id),
        expires_at=now + ttl,
        nonce=secrets.token_urlsafe(32) if with_nonce else None,
        redirect_uri=redirect_uri,
        next_path=next_path,
    )
    stored = {
        key: value for key, value in dict(session.get(SESSION_KEY) or {}).items()
        if value.get("exp", 0) > now
    }
    # Keep only the newest few: a user who clicks Connect repeatedly still has one valid tab.
    while len(stored) >= MAX_PENDING:
        stored.pop(min(stored, key=lambda key: stored[key]["exp"]))
    stored[pending.state] = {
        "user": pending.user_id,
        "exp": pending.expires_at,
        "nonce": pending.nonce,
        "redirect_uri": redirect_uri,
        "next": next_path,
    }
    session[SESSION_KEY] = stored  # reassign so cookie-based sessions notice the change
    return pending


def consume_state(session, state: str | None, user_id: str,
                  now: float | None = None) -> PendingState:
    """Remove ``state`` from the session and return it, or raise :class:`StateError`."""
    now = time.time() if now is None else now
    if not state:
        raise StateError("missing")
    stored = dict(session.get(SESSION_KEY) or {})
    match = None
    for key in list(stored):
        # compare_digest: no timing hint about how much of a guessed state matched
        if hmac.compare_digest(key.encode(), state.encode()):
            match = key
    if match is None:
        raise StateError("unknown")
    entry = stored.pop(match)
    session[SESSION_KEY] = stored
    if entry.get("exp", 0) <= now:
        raise StateError("expired")
    if entry.get("user") != str(user_id):
        raise StateError("other_user")
    return PendingState(match, entry["user"], entry["exp"], entry.get("nonce"),
                        entry.get("redirect_uri", ""), entry.get("next"))


def spend_state(request, pending: PendingState, now: float | None = None) -> None:
    """Record on the server that ``pending`` was used, or raise ``StateError("unknown")``.

    The session alone cannot make a state single-use: a replayed copy of the pre-callback
    cookie still holds it, and concurrent identical callbacks each read the same cookie. The
    SHA-256 of the state goes into ``orcid_used_states`` in its own short transaction,
    committed before the code is exchanged; the primary key lets exactly one callback in.
    Expired rows are purged on the way (a state is refused after its expiry anyway).
    """
    from datetime import UTC, datetime

    from sqlalchemy import delete
    from sqlalchemy.exc import IntegrityError

    from ..models import OrcidUsedState

    now_dt = datetime.fromtimestamp(time.time() if now is None else now, UTC)
    row = OrcidUsedState(state_hash=hashlib.sha256(pending.state.encode()).hexdigest(),
                         expires_at=datetime.fromtimestamp(pending.expires_at, UTC))
    own = request.environ.get("orcid.dbsession")
    try:
        if own is not None:  # the caller owns the transaction (test hook): join it
            with own.begin_nested():
                own.add(row)
            return
        with request.registry["orcid.dbsession_factory"]() as session:
            session.execute(delete(OrcidUsedState).where(OrcidUsedState.expires_at < now_dt))
            session.add(row)
            session.commit()
    except IntegrityError:
        raise StateError("unknown") from None
