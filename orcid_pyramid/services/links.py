"""The link lifecycle: start connecting, finish the callback, disconnect, retry revocations.

Views call these and only render the outcome. ORCID calls come before database writes, so a
failed call leaves nothing half-stored (and SQLite's single writer is never held while we wait
for ORCID).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import quote, urlsplit

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from ..client.errors import OrcidIdTokenError, OrcidOAuthError
from ..events import OrcidConnected, OrcidDisconnected
from .revocations import GrantGuard, readable_tokens, retry_pending_revocations, revoke_or_queue
from .state import consume_state, new_state, spend_state

__all__ = ["retry_pending_revocations"]  # its home is .revocations; kept importable here

log = logging.getLogger(__name__)

PREFILL_KEYS = ("given_names", "family_names", "email")


class AlreadyLinkedError(Exception):
    """The iD that came back is linked to another local account; nothing was changed.

    ``keep_token``: ORCID handed back the token that other link holds; it must not be revoked.
    """

    def __init__(self, keep_token: bool = False) -> None:
        super().__init__("already linked")
        self.keep_token = keep_token

    def user_text(self) -> str:
        """What the researcher is told."""
        return ("This ORCID iD is already connected to another account on this site. Sign in "
                "to that account to manage it, or contact support.")


class CallbackError(Exception):
    """ORCID's redirect is unusable (no code, no error); nothing was stored."""

    def user_text(self) -> str:
        """What the researcher is told."""
        return "The answer from ORCID was incomplete, so the connection was not made."


@dataclass(frozen=True)
class ConnectPlan:
    """Where the browser goes: first ORCID's sign-out, then the authorize URL."""

    authorize_url: str
    signout_url: str


def already_connected(link, settings) -> bool:
    """BP-4: an active, unexpired link whose granted scopes cover what the site needs."""
    return link is not None and link.is_live() and link.covers(settings.scopes)


def safe_next(value: str | None) -> str | None:
    """A local path to return to, or None: never a URL to another site (no open redirect)."""
    if not value or not isinstance(value, str) or len(value) > 2000:
        return None
    if any(ch in value for ch in "\r\n\t\\") or not value.startswith("/"):
        return None
    if value.startswith("//"):
        return None
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return None
    # a Location header is latin-1 on the wire: send anything else percent-encoded (UTF-8)
    return quote(value, safe="/?&=%#:@!$'()*+,;~[]")


def start_connect(request, user_id: str, next_path: str | None = None) -> ConnectPlan:
    """Create the state (and nonce) and build ORCID's authorize URL (BP-1, BP-2, DM-6)."""
    settings = request.orcid_settings
    client = request.orcid_client
    # the lint requires orcid.redirect_uri outside the emulator: only a loopback emulator
    # site ever builds it from the request
    redirect_uri = settings.redirect_uri or request.route_url("orcid.callback")
    openid = "openid" in settings.scopes
    pending = new_state(request.session, user_id, settings.state_ttl, redirect_uri, openid,
                        next_path=safe_next(next_path))
    info = prefill_for(request)
    url = client.authorization_url(
        settings.scopes,
        pending.state,
        redirect_uri=redirect_uri,
        nonce=pending.nonce,
        prefill={key: info.get(key) for key in PREFILL_KEYS},
        lang=orcid_language(request, info, settings),
        # with openid ORCID honours prompt=login: re-authentication even without JavaScript
        prompt="login" if openid else None,
    )
    return ConnectPlan(authorize_url=url, signout_url=client.endpoints.logout_url)


def orcid_language(request, info: dict, settings) -> str | None:
    """ORCID's ``lang``: the locale the host negotiated for this request (the language the
    person is reading the site in), else ``orcid.user_info``'s ``lang``, else ``orcid.lang``;
    the first of them that ORCID's pages offer."""
    from ..client.authorize import supported_language
    from ..i18n import negotiated_locale

    for candidate in (negotiated_locale(request), info.get("lang"), settings.lang):
        if supported_language(candidate):
            return candidate
    return None


def prefill_for(request) -> dict:
    """The host's ``orcid.user_info(request)`` answer, or {} (pre-fill must never block)."""
    func = request.registry.get("orcid.user_info")
    if func is None:
        return {}
    try:
        info = func(request) or {}
    except Exception:  # the host's callable is not ours to trust; connecting must go on
        log.exception("orcid.user_info raised; connecting without pre-fill")
        return {}
    return dict(info) if isinstance(info, dict) else {}


def complete_connect(request, user_id: str, params) -> tuple[object, str | None]:
    """Check the state, exchange the code, verify the id_token and store the link.

    Returns ``(link, next_path)``. Raises :class:`~.state.StateError`,
    :class:`OrcidOAuthError` (including ``access_denied``), :class:`CallbackError`,
    :class:`AlreadyLinkedError` or another :class:`OrcidError`; in every case nothing is stored
    and a token ORCID granted is revoked (or queued for the worker).
    """
    pending = consume_state(request.session, params.get("state"), user_id)
    spend_state(request, pending)  # single-use on the server too, before the code is spent
    error = params.get("error")
    if error:
        raise OrcidOAuthError(str(error)[:100], str(params.get("error_description") or "")[:300])
    code = params.get("code")
    if not code:
        raise CallbackError()
    client = request.orcid_client
    context = {"user_id": user_id}
    token = client.exchange_code(code, redirect_uri=pending.redirect_uri, log_context=context)
    if not token.orcid:
        raise OrcidOAuthError("invalid_grant", "the token answer carries no ORCID iD")
    guard = GrantGuard(request, token)
    try:
        link = _verify_and_store(request, user_id, token, pending)
        guard.kept(request)
        # the host's subscribers too: one that fails rolls the request back, link and all
        request.registry.notify(OrcidConnected(
            request=request, user_id=user_id, orcid=link.orcid,
            scope=tuple(sorted(token.scopes)), name=link.name))
    except Exception as exc:
        guard.abandon(request, user_id, keep_token=getattr(exc, "keep_token", False))
        raise
    return link, pending.next_path


def _verify_and_store(request, user_id: str, token, pending):
    """Check the id_token (when there is one or openid was asked for) and store the link."""
    client = request.orcid_client
    claims = None
    if token.id_token or "openid" in request.orcid_settings.scopes:
        if not token.id_token:
            raise OrcidIdTokenError("ORCID returned no id_token for an openid request")
        claims = client.verify_id_token(token.id_token, nonce=pending.nonce)
        if str(claims.get("sub")) != token.orcid:
            raise OrcidIdTokenError("the id_token is for a different iD than the token")
    return store_link(request, user_id, token, claims)


def store_link(request, user_id: str, token, claims):
    """Write every field of the token answer into the user's ``OrcidLink`` (DM-4)."""
    from ..models import STATUS_ACTIVE, OrcidLink

    db = request.orcid_db
    cipher = request.orcid_cipher
    other = db.execute(
        select(OrcidLink).where(OrcidLink.orcid == token.orcid, OrcidLink.user_id != user_id)
    ).scalar_one_or_none()
    if other is not None:
        # the caller revokes the new token, unless ORCID handed back the other link's own
        held, _ = readable_tokens(cipher, other.access_token_enc)
        raise AlreadyLinkedError(keep_token=token.access_token in held)
    link = db.execute(select(OrcidLink).where(OrcidLink.user_id == user_id)).scalar_one_or_none()
    if link is None:
        link = OrcidLink(user_id=user_id)
        db.add(link)
    else:
        # a re-connect replaces the old grant: withdraw it so no stray permission remains
        # (unless ORCID handed back the very same token)
        # (a token no configured key decrypts cannot be revoked; it never blocks reconnecting)
        old, _ = readable_tokens(cipher, link.access_token_enc, link.refresh_token_enc)
        stale = [v for v in old if v not in (token.access_token, token.refresh_token)]
        if stale:
            revoke_or_queue(request, stale, user_id, link.orcid)
    link.orcid = token.orcid
    link.name = token.name or _name_from_claims(claims)
    link.access_token_enc = cipher.encrypt(token.access_token)
    link.refresh_token_enc = cipher.encrypt(token.refresh_token) if token.refresh_token else None
    link.token_type = token.token_type
    link.scope = token.scope
    link.expires_at = token.expires_at
    link.id_token_claims = dict(claims) if claims else None
    # the raw id_token too (DM-4): the signed proof of this authentication, encrypted at rest
    link.id_token_enc = cipher.encrypt(token.id_token) if token.id_token else None
    link.status = STATUS_ACTIVE
    link.revoked_at = None
    try:
        with db.begin_nested():
            db.flush()
    except IntegrityError:
        # a concurrent callback linked the same iD first: refuse, keep theirs
        raise AlreadyLinkedError() from None
    return link


def _name_from_claims(claims) -> str | None:
    if not claims:
        return None
    if claims.get("name"):
        return str(claims["name"])
    parts = [claims.get("given_name"), claims.get("family_name")]
    return " ".join(str(p) for p in parts if p) or None


def disconnect(request, user_id: str):
    """BP-3: revoke at ORCID (access and refresh), delete the link and, per settings, the
    user's put codes and call-log rows. Returns the removed iD and whether ORCID confirmed,
    or None when the user had no link. If ORCID cannot be reached the local removal still
    happens and the tokens wait, encrypted, in ``orcid_pending_revocations`` for the sync
    worker. A token no configured key decrypts (a key dropped before rekey) cannot be revoked
    by us: the link is removed all the same, and ``revoked`` is None (the user is told to
    remove the permission on ORCID)."""
    from ..models import OrcidCall, OrcidLink

    db = request.orcid_db
    settings = request.orcid_settings
    link = db.execute(select(OrcidLink).where(OrcidLink.user_id == user_id)).scalar_one_or_none()
    if link is None:
        return None
    started = datetime.now(UTC)
    cipher = request.orcid_cipher
    tokens, unreadable = readable_tokens(cipher, link.access_token_enc, link.refresh_token_enc)
    orcid = link.orcid
    revoked = revoke_or_queue(request, tokens, user_id, orcid)
    if unreadable:
        log.error("user %s disconnected, but %d stored token(s) cannot be decrypted with "
                  "orcid.token_key, so they were not revoked at ORCID", user_id, unreadable)
        revoked = None
    if settings.disconnect_delete_items:
        _delete_sync_rows(db, user_id, orcid)
    if settings.disconnect_delete_calls:
        # rows from before this disconnect; the revoke calls just made stay as its record
        db.execute(delete(OrcidCall).where(OrcidCall.user_id == user_id,
                                           OrcidCall.at < started))
    db.delete(link)
    db.flush()
    request.registry.notify(OrcidDisconnected(request=request, user_id=user_id, orcid=orcid,
                                              revoked=revoked))
    return orcid, revoked


def _delete_sync_rows(db, user_id: str, orcid: str | None) -> None:
    """Forget the user's put codes and pending changes, and the sync engine's bookkeeping
    for them: the writer lease of the user and the pull cursor of the iD."""
    from ..models.sync import OrcidItem, OrcidOutbox, OrcidPullCursor, OrcidSyncLock

    for model in (OrcidItem, OrcidOutbox, OrcidSyncLock):
        db.execute(delete(model).where(model.user_id == user_id))
    if orcid:
        db.execute(delete(OrcidPullCursor).where(OrcidPullCursor.orcid == orcid))
