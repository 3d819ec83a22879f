"""ORCID webhooks (orcid-facts/webhooks.md): the callback view, the path token and the registration.

ORCID POSTs an empty body to the registered URL when a record changes, so the URL itself
must say which record and must not be guessable: the path token is the iD (compact form)
followed by an HMAC-SHA256 of the iD under ``orcid.webhook_secret``, compared in constant
time. Anything else answers 404 with no detail.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re

from pyramid.httpexceptions import HTTPNotFound
from pyramid.response import Response
from sqlalchemy import select, update

from ..client.errors import OrcidError
from ..models.link import STATUS_ACTIVE, OrcidLink
from ..models.meta import utcnow
from ..models.sync import (
    STATUS_PENDING,
    STATUS_REVOKED,
    OrcidItem,
    OrcidOutbox,
    OrcidPullCursor,
)
from ..models.tasks import TASK_PULL

log = logging.getLogger("orcid_pyramid.sync")

_TOKEN = re.compile(r"^(\d{15}[\dX])([0-9a-f]{40})$")


def _mac(secret: str, orcid: str) -> str:
    return hmac.new(secret.encode("utf-8"), orcid.encode("ascii"), hashlib.sha256).hexdigest()[:40]


def webhook_token(secret: str, orcid: str) -> str:
    """The path token for ``orcid``: compact iD + 40 hex characters of HMAC-SHA256."""
    if not secret:
        raise ValueError("orcid.webhook_secret is not set")
    return orcid.replace("-", "") + _mac(secret, orcid)


def orcid_from_token(secret: str | None, token: str) -> str | None:
    """The iD a path token stands for, or None when it is malformed or forged."""
    if not secret or not isinstance(token, str):
        return None
    match = _TOKEN.match(token)
    if match is None:
        return None
    compact = match.group(1)
    orcid = "-".join(compact[i:i + 4] for i in range(0, 16, 4))
    if not hmac.compare_digest(_mac(secret, orcid), match.group(2)):
        return None
    return orcid


def webhook_view(request):
    """POST ``/webhook/{token}``: queue a read of that record for the sync worker; 204, or 404
    without detail.

    No call to ORCID here: ORCID's deliveries come in bursts and a web thread waiting on
    ORCID for each would starve the site. Deliveries before the worker's read coalesce into
    one (``orcid.webhook_debounce``).
    """
    from . import sync_settings
    from .deferred import queue_task

    settings = sync_settings(request.registry)
    orcid = orcid_from_token(settings.webhook_secret, request.matchdict.get("token", ""))
    if orcid is None:
        return HTTPNotFound()
    db = request.orcid_db
    link = db.execute(select(OrcidLink).where(OrcidLink.orcid == orcid)).scalar_one_or_none()
    if link is None:
        return HTTPNotFound()
    if link.status == STATUS_ACTIVE and link.access_token_enc:
        queue_task(db, TASK_PULL, orcid, delay=settings.webhook_debounce)
    return Response(status=204)


def _cipher(request, settings):
    """The cipher the site stores tokens with (the web layer's), else one from the settings."""
    existing = request.registry.get("orcid.cipher") if request.registry is not None else None
    if existing is not None:
        return existing
    from ..crypto import TokenCipher

    return TokenCipher.from_settings(settings)


def _client(request, db):
    """The ORCID client for a request: the web layer's when it offers one, else our own."""
    existing = getattr(request, "orcid_client", None)
    if existing is not None:
        return existing
    from ..client.factory import client_factory
    from . import sync_settings
    from .ratelimit import bucket_for
    from .worker import db_call_sink

    settings = sync_settings(request.registry)
    engine = request.registry.get("orcid.dbengine")
    limiter = None
    if engine is not None:
        limiter = bucket_for(engine, settings.rate_per_second, settings.rate_burst)
    factory = request.registry.get("orcid.client_factory") or client_factory(settings)
    return factory(db_call_sink(db), limiter)


def callback_url(request, orcid: str) -> str:
    """The absolute URL ORCID should POST to for ``orcid``."""
    from . import sync_settings

    token = webhook_token(sync_settings(request.registry).webhook_secret, orcid)
    return request.route_url("orcid.webhook", token=token)


def register_webhook(client, db, orcid: str, url: str, *, user_id=None) -> bool:
    """Register ``url`` for ``orcid`` with a ``/webhook`` client-credentials token.

    Returns True when ORCID created it (201), False when it already existed (204); the
    registration time is kept in the pull cursor.
    """
    created = client.register_webhook(orcid, url, log_context={"user_id": user_id})
    cursor = db.get(OrcidPullCursor, orcid)
    if cursor is None:
        cursor = OrcidPullCursor(orcid=orcid)
        db.add(cursor)
    cursor.webhook_registered_at = utcnow()
    return created


def release_held(db, user_id) -> int:
    """Make a user's held rows (link revoked or missing) due again; returns how many."""
    db.execute(
        update(OrcidItem)
        .where(OrcidItem.user_id == str(user_id), OrcidItem.status == STATUS_REVOKED)
        .values(status=STATUS_PENDING, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return db.execute(
        update(OrcidOutbox)
        .where(OrcidOutbox.user_id == str(user_id), OrcidOutbox.done_at.is_(None),
               OrcidOutbox.next_attempt_at.is_(None))
        .values(next_attempt_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount


def on_connected(event) -> None:
    """``OrcidConnected``: resume the user's held changes; register the webhook if enabled."""
    from . import sync_settings

    request = event.request
    db = request.orcid_db
    release_held(db, event.user_id)
    settings = sync_settings(request.registry)
    if "webhooks" not in settings.features or not settings.webhook_secret:
        return
    try:
        register_webhook(_client(request, db), db, event.orcid, callback_url(request, event.orcid),
                         user_id=event.user_id)
    except OrcidError as exc:
        # connecting must not fail because the webhook could not be set up; --pull covers it
        log.warning("webhook registration for %s failed: %s", event.orcid, exc.summary())
