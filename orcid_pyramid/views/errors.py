"""Error pages (DM-8): every failure renders ``error.jinja2`` with a clear message and the
support contact, with a 4xx/502/503 status — never a traceback."""

from __future__ import annotations

import logging
import secrets

from pyramid.httpexceptions import HTTPException
from pyramid.renderers import render_to_response

log = logging.getLogger(__name__)

ADDON_ROUTES = ("orcid.panel", "orcid.connect", "orcid.callback", "orcid.disconnect",
                "orcid.disconnect.confirm",
                "orcid.admin.calls", "orcid.admin.items")
TEMPLATE = "orcid_pyramid:templates/error.jinja2"


def render_error(request, status: int, title: str, message: str, *, retry_url=None,
                 retry_label=None, reference=None, notice=False, connect_url=None):
    """The error page as a response (the host may override the template).

    ``notice=True`` shows a neutral notice instead of an alert (an outcome that is nobody's
    fault); ``connect_url`` offers ORCID's "Connect your ORCID iD" button instead of a plain
    retry link. The support contact is on the page either way (DM-8).
    """
    settings = request.orcid_settings
    values = {
        "title": title,
        "message": message,
        "retry_url": retry_url,
        "retry_label": retry_label,
        "notice": notice,
        "connect_url": connect_url,
        "site_name": settings.site_name,
        "support_email": settings.support_email,
        "support_url": settings.support_url,
        "reference": reference,
        "back_url": request.route_url("orcid.panel"),
    }
    response = render_to_response(TEMPLATE, values, request=request)
    response.status_int = status
    response.cache_control = "no-store"
    return response


def status_for(exc) -> int:
    """The HTTP status of an error page for an :class:`OrcidError`."""
    from ..client import errors as e

    if isinstance(exc, e.OrcidMalformedResponse):
        return 502
    if exc.retryable:
        return 503  # down, slow, overloaded: a retry later can work
    if isinstance(exc, e.OrcidOAuthError):
        if exc.error == "access_denied":
            return 403
        if exc.error in ("invalid_client", "unauthorized_client"):
            return 502  # our credentials: the site is misconfigured, not the user's fault
        return 400
    if isinstance(exc, e.OrcidIdTokenError | e.OrcidBadRequest | e.OrcidUsageError):
        return 400
    if isinstance(exc, e.OrcidUnauthorized | e.OrcidForbidden):
        return 403
    if isinstance(exc, e.OrcidNotFound):
        return 404
    if isinstance(exc, e.OrcidConflict):
        return 409
    return 502


def new_reference() -> str:
    """A short id to quote to support; it is logged with the failure."""
    return secrets.token_hex(4)


def orcid_error_view(exc, request):
    """Exception view for any :class:`OrcidError` raised under the add-on's routes."""
    reference = new_reference()
    log.warning("ORCID error on %s [ref %s]: %s", request.matched_route.name
                if request.matched_route else request.path, reference, exc.summary())
    return render_error(request, status_for(exc), "Something went wrong with ORCID",
                        exc.user_text(), retry_url=request.route_url("orcid.panel"),
                        retry_label="Back to your ORCID settings", reference=reference)


def guard(view):
    """View decorator, last resort under the add-on's routes: an unexpected exception is
    logged with a reference and the support page is shown (503), never a traceback. HTTP
    answers (redirects, the host's 403 handling) and ORCID errors (their own exception view)
    pass through. The transaction is doomed so nothing half-done is committed."""

    def wrapped(context, request):
        from ..client.errors import OrcidError

        try:
            return view(context, request)
        except (HTTPException, OrcidError):
            raise
        except UnicodeDecodeError:
            # webob decodes the query string or form on first use: bytes that are not UTF-8
            # are the client's mistake, not ours
            log.info("refused a request to %s: parameters are not valid UTF-8",
                     request.matched_route.name if request.matched_route else "orcid")
            return render_error(request, 400, "This address is not valid",
                                "The address or form of this page has characters that are "
                                "not valid text. Nothing was changed.")
        except Exception:
            reference = new_reference()
            log.exception("unexpected error in orcid_pyramid [ref %s]", reference)
            tm = getattr(request, "tm", None)
            if tm is not None:
                tm.doom()
            return render_error(request, 503, "This page is not available right now",
                                "Something went wrong on our side. Please try again in a few "
                                "minutes.", reference=reference)

    return wrapped
