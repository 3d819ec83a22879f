"""The sync engine: builders, the outbox service, the worker, the rate limiter, pull and webhooks.

``config.include("orcid_pyramid.sync")`` (done by ``orcid_pyramid``'s own ``includeme``) adds:

* the route ``orcid.webhook`` (POST ``/webhook/{token}`` under ``orcid.route_prefix``) and its view;
* ``request.orcid_sync``: a :class:`~orcid_pyramid.sync.service.SyncService` on the request's
  transaction-joined session, so an outbox row commits or rolls back with the host's change;
* a subscriber on ``OrcidConnected`` that releases held changes and registers the webhook,
  and one on ``OrcidDisconnected`` that removes the webhook (or queues its removal).
"""

from __future__ import annotations


def _request_sync(request):
    """``request.orcid_sync``: the sync service bound to this request's transaction."""
    from .service import SyncService

    return SyncService(request.orcid_db, sync_settings(request.registry))


def sync_settings(registry):
    """The ``OrcidSettings`` the add-on parsed (loaded once per registry)."""
    from ..settings import settings_from_registry

    return settings_from_registry(registry)


def includeme(config) -> None:
    """Register the webhook route and view, ``request.orcid_sync`` and the connect subscriber."""
    from ..events import OrcidConnected, OrcidDisconnected
    from .deferred import on_disconnected
    from .webhook import on_connected, webhook_view

    prefix = ""
    if not config.route_prefix:
        # included directly (not through orcid_pyramid's includeme): apply the prefix ourselves
        prefix = (config.get_settings() or {}).get("orcid.route_prefix", "/orcid").rstrip("/")
    config.add_route("orcid.webhook", prefix + "/webhook/{token}", request_method="POST")
    config.add_view(webhook_view, route_name="orcid.webhook", request_method="POST",
                    require_csrf=False)
    config.add_request_method(_request_sync, "orcid_sync", reify=True)
    config.add_subscriber(on_connected, OrcidConnected)
    config.add_subscriber(on_disconnected, OrcidDisconnected)
