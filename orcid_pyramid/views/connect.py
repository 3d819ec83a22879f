"""Connect (BP-1, BP-2, BP-4, DM-6) and the OAuth callback (DM-3, DM-4, CC-AUTH)."""

from __future__ import annotations

import logging

from pyramid.httpexceptions import HTTPFound

from ..client.errors import OrcidOAuthError
from ..i18n import _
from ..services import links
from ..services.state import StateError
from . import require_user
from .errors import new_reference, render_error, status_for
from .panel import site_name

log = logging.getLogger(__name__)


def connect_view(request):
    """Send the user to ORCID, signing them out of ORCID first; skip it when the stored
    permission already covers what the site needs."""
    user_id = require_user(request)
    settings = request.orcid_settings
    next_path = links.safe_next(request.params.get("next"))
    if links.already_connected(request.orcid_link, settings):
        request.session.flash("Your ORCID iD is already connected; nothing to do.", "orcid")
        return HTTPFound(location=next_path or request.route_url("orcid.panel"))
    plan = links.start_connect(request, user_id, next_path)
    return {"authorize_url": plan.authorize_url, "signout_url": plan.signout_url,
            "site_name": site_name(request)}


def callback_view(request):
    """Finish connecting: every failure renders a clear error page and stores nothing."""
    user_id = require_user(request)
    params = request.GET
    retry = request.route_url("orcid.connect")
    try:
        link, next_path = links.complete_connect(request, user_id, params)
    except StateError as exc:
        log.info("ORCID callback refused: state %s", exc.reason)
        if links.already_connected(request.orcid_link, request.orcid_settings):
            # a reload, or Back and authorize again, after connecting: nothing went wrong
            # for this user and nothing was changed
            request.session.flash("Your ORCID iD is already connected; nothing to do.",
                                  "orcid")
            return HTTPFound(location=request.route_url("orcid.panel"))
        return render_error(request, 400, "We could not connect your ORCID iD",
                            exc.user_text(), retry_url=retry,
                            retry_label="Start connecting again")
    except OrcidOAuthError as exc:
        if exc.error == "access_denied":
            return render_error(
                request, 403, "You chose not to connect your ORCID iD",
                _("Nothing was shared with ${site} and nothing was stored. You can connect "
                  "your ORCID iD at any time.", site=site_name(request)),
                notice=True, connect_url=retry)
        reference = new_reference()
        log.warning("ORCID callback failed [ref %s]: %s", reference, exc.summary())
        return render_error(request, status_for(exc), "We could not connect your ORCID iD",
                            exc.user_text(), retry_url=retry, reference=reference)
    except (links.CallbackError, links.AlreadyLinkedError) as exc:
        status = 409 if isinstance(exc, links.AlreadyLinkedError) else 400
        return render_error(request, status, "We could not connect your ORCID iD",
                            exc.user_text(), retry_url=retry if status == 400 else None)
    request.session.flash("Your ORCID iD is connected.", "orcid")
    log.info("user %s connected ORCID iD %s", user_id, link.orcid)
    return HTTPFound(location=next_path or request.route_url("orcid.panel"))
