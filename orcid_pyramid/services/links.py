"""The link lifecycle: start connecting, finish the callback, disconnect, retry revocations.

Views call these and only render the outcome. ORCID calls come before database writes, so a
failed call leaves nothing half-stored (and SQLite's single writer is never held while we wait
for ORCID).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from ..client.errors import OrcidError, OrcidIdTokenError, OrcidOAuthError
from ..events import OrcidConnected, OrcidDisconnected
from .state import consume_state, new_state

log = logging.getLogger(__name__)

PREFILL_KEYS = ("given_names", "family_names", "email")


class AlreadyLinkedError(Exception):
    """The iD that came back is linked to another local account; nothing was changed."""

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
    return value


def start_connect(request, user_id: str, next_path: str | None = None) -> ConnectPlan:
    """Create the state (and nonce) and build ORCID's authorize URL (BP-1, BP-2, DM-6)."""
    settings = request.orcid_settings
    client = request.orcid_client
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
    from ..client.oauth import supported_language
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
    :class:`AlreadyLinkedError` or another :class:`OrcidError`; in every case nothing is stored.
    """
    pending = consume_state(request.session, params.get("state"), user_id)
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
    claims = None
    if token.id_token or "openid" in request.orcid_settings.scopes:
        if not token.id_token:
            raise OrcidIdTokenError("ORCID returned no id_token for an openid request")
        claims = client.verify_id_token(token.id_token, nonce=pending.nonce)
        if str(claims.get("sub")) != token.orcid:
            raise OrcidIdTokenError("the id_token is for a different iD than the token")
    link = store_link(request, user_id, token, claims)
    request.registry.notify(OrcidConnected(
        request=request, user_id=user_id, orcid=link.orcid,
        scope=tuple(sorted(token.scopes)), name=link.name))
    return link, pending.next_path


def store_link(request, user_id: str, token, claims):
    """Write every field of the token answer into the user's ``OrcidLink`` (DM-4)."""
    from ..models import STATUS_ACTIVE, OrcidLink

    db = request.orcid_db
    cipher = request.orcid_cipher
    other = db.execute(
        select(OrcidLink).where(OrcidLink.orcid == token.orcid, OrcidLink.user_id != user_id)
    ).scalar_one_or_none()
    if other is not None:
        _revoke_unused(request, token, other, user_id)
        raise AlreadyLinkedError()
    link = db.execute(select(OrcidLink).where(OrcidLink.user_id == user_id)).scalar_one_or_none()
    if link is None:
        link = OrcidLink(user_id=user_id)
        db.add(link)
    else:
        # a re-connect replaces the old grant: withdraw it so no stray permission remains
        # (unless ORCID handed back the very same token)
        old = [cipher.decrypt(v) for v in (link.access_token_enc, link.refresh_token_enc) if v]
        stale = [v for v in old if v not in (token.access_token, token.refresh_token)]
        if stale:
            _revoke_later_or_now(request, stale, user_id, link.orcid)
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


def _revoke_unused(request, token, other, user_id) -> None:
    """Withdraw a token we will not store, unless ORCID handed back the other account's."""
    try:
        existing = request.orcid_cipher.decrypt(other.access_token_enc or "")
    except Exception:  # undecryptable or empty: it cannot be the same token
        existing = None
    if token.access_token != existing:
        _revoke_later_or_now(request, [token.access_token], user_id, token.orcid)


def _revoke_later_or_now(request, tokens, user_id, orcid: str | None) -> bool:
    """Revoke each token; keep an encrypted retry row for any ORCID did not confirm. The call
    log names the user and the iD the tokens were for (a revoke's answer names neither)."""
    from ..models import OrcidPendingRevocation

    all_done = True
    for value in tokens:
        try:
            request.orcid_client.revoke(value, log_context={"user_id": user_id, "orcid": orcid})
        except OrcidError as exc:
            all_done = False
            log.warning("ORCID revoke failed (%s); queued for retry", exc.summary())
            request.orcid_db.add(OrcidPendingRevocation(
                token_enc=request.orcid_cipher.encrypt(value), last_error=exc.summary()))
    return all_done


def disconnect(request, user_id: str):
    """BP-3: revoke at ORCID (access and refresh), delete the link and, per settings, the
    user's put codes and call-log rows. Returns the removed iD and whether ORCID confirmed,
    or None when the user had no link. If ORCID cannot be reached the local removal still
    happens and the tokens wait, encrypted, in ``orcid_pending_revocations``."""
    from ..models import OrcidCall, OrcidLink

    db = request.orcid_db
    settings = request.orcid_settings
    link = db.execute(select(OrcidLink).where(OrcidLink.user_id == user_id)).scalar_one_or_none()
    if link is None:
        return None
    started = datetime.now(UTC)
    cipher = request.orcid_cipher
    tokens = [cipher.decrypt(value) for value in (link.access_token_enc, link.refresh_token_enc)
              if value]
    revoked = _revoke_later_or_now(request, tokens, user_id, link.orcid)
    orcid = link.orcid
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


def retry_pending_revocations(dbsession, client, cipher, *, now: datetime | None = None,
                              limit: int = 100) -> tuple[int, int]:
    """Revoke the tokens queued by a disconnect during an ORCID outage.

    Returns ``(revoked, still_pending)``. Failures back off exponentially (1 min .. 1 day); an
    error a retry cannot fix (ORCID refused the request) drops the row with a warning.
    """
    from ..crypto import TokenDecryptError
    from ..models import OrcidPendingRevocation

    now = now or datetime.now(UTC)
    rows = dbsession.execute(
        select(OrcidPendingRevocation)
        .where(OrcidPendingRevocation.next_attempt_at <= now)
        .order_by(OrcidPendingRevocation.id).limit(limit)
    ).scalars().all()
    revoked = pending = 0
    for row in rows:
        try:
            client.revoke(cipher.decrypt(row.token_enc))
        except TokenDecryptError as exc:
            row.attempts += 1
            row.last_error = str(exc)
            row.next_attempt_at = now + timedelta(days=1)
            pending += 1
            continue
        except OrcidError as exc:
            if not exc.retryable:
                log.warning("ORCID refused a queued revocation (%s); dropping it", exc.summary())
                dbsession.delete(row)
                continue
            row.attempts += 1
            row.last_error = exc.summary()
            row.next_attempt_at = now + timedelta(seconds=min(60 * 2 ** row.attempts, 86400))
            pending += 1
            continue
        dbsession.delete(row)
        revoked += 1
    dbsession.flush()
    return revoked, pending
