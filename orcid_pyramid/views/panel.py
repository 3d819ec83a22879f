"""The user's ORCID panel (CC-DISPLAY, BP-6) and disconnect (BP-3)."""

from __future__ import annotations

import logging
from functools import lru_cache

from pyramid.csrf import check_csrf_token
from pyramid.exceptions import BadCSRFToken
from pyramid.httpexceptions import HTTPFound
from pyramid.renderers import render_to_response

from ..i18n import _
from ..services import links
from . import require_user
from .errors import render_error

log = logging.getLogger(__name__)

#: what each scope lets the site do, in the researcher's words
SCOPE_WORDS = {
    "openid": _("confirm your ORCID iD when you connect"),
    "/authenticate": _("know your ORCID iD"),
    "/read-limited": _("read information on your ORCID record that you shared with trusted "
                       "organisations"),
    "/activities/update": _("add and update research activities (works, affiliations, "
                            "funding) on your ORCID record"),
    "/person/update": _("add and update biographical information (keywords, links, other "
                        "names) on your ORCID record"),
    "/read-public": _("read the public information on your ORCID record"),
}


def permissions_in_words(scopes) -> list[str]:
    """The granted scopes as sentences, in a stable order (unknown scopes shown as is)."""
    order = list(SCOPE_WORDS)
    known = sorted((s for s in scopes if s in SCOPE_WORDS), key=order.index)
    return [SCOPE_WORDS[s] for s in known] + sorted(s for s in scopes if s not in SCOPE_WORDS)


_PANEL_QUERY: dict = {}


def link_and_items(request, user_id: str):
    """The user's link and the sync engine's per-item status, in ONE query (a left join);
    ``(None, [])`` when the user has no link."""
    from sqlalchemy import bindparam, select

    from ..models import OrcidLink
    from ..models.sync import OrcidItem
    from ..sync.status import item_status

    statement = _PANEL_QUERY.get("stmt")
    if statement is None:  # built once, on first use: constructing it costs more than running it
        statement = _PANEL_QUERY["stmt"] = (
            select(OrcidLink, OrcidItem)
            .outerjoin(OrcidItem, OrcidItem.user_id == OrcidLink.user_id)
            .where(OrcidLink.user_id == bindparam("user_id"))
            .order_by(OrcidItem.section, OrcidItem.title, OrcidItem.id)
        )
    rows = request.orcid_db.execute(statement, {"user_id": user_id}).all()
    if not rows:
        return None, []
    return rows[0][0], [item_status(item) for _, item in rows if item is not None]


def site_name(request) -> str:
    """The host's name as shown in sentences ("… so that <site> can …"): ``orcid.site_name``,
    translated when the catalog knows it (the demo's name is in it)."""
    return _(request.orcid_settings.site_name)


def panel_view(request):
    """Connected: the iD, name, permissions, date, items and Disconnect. Otherwise: Connect."""
    user_id = require_user(request)
    link, items = link_and_items(request, user_id)
    settings = request.orcid_settings
    values = {"link": link, "site_name": site_name(request), "purpose": purpose(request),
              "support_email": settings.support_email, "support_url": settings.support_url}
    if link is not None:
        values.update(
            connected_at=date_in_words(link.created_at) if link.created_at else "",
            permissions=permissions_in_words(link.scopes),
            items=items,
            revoked=not link.is_live(),
        )
    return values


def purpose(request) -> str:
    """What the site will do with the permission, derived from the requested scopes."""
    return _purpose(tuple(request.orcid_settings.scopes))


@lru_cache(maxsize=32)
def _purpose(requested: tuple[str, ...]) -> str:
    """:func:`purpose` for these scopes, worked out once (a settings value: a few per
    process); the sentence is an immutable :class:`~orcid_pyramid.i18n.Message`."""
    scopes = set(requested)
    parts = [_("show your authenticated ORCID iD on your profile")]
    if "/read-limited" in scopes:
        parts.append(_("read your ORCID record to fill in your profile"))
    if "/activities/update" in scopes or "/person/update" in scopes:
        parts.append(_("add your works and affiliations to your ORCID record and keep them "
                       "up to date"))
    if len(parts) == 3:
        return _("${first}, ${second} and ${third}", first=parts[0], second=parts[1],
                 third=parts[2])
    if len(parts) == 2:
        return _("${first} and ${second}", first=parts[0], second=parts[1])
    return parts[0]


MONTHS = (_("January"), _("February"), _("March"), _("April"), _("May"), _("June"), _("July"),
          _("August"), _("September"), _("October"), _("November"), _("December"))


def date_in_words(moment) -> str:
    """``4 December 2026``, translatable as a whole (word order and month names differ)."""
    return _("${day} ${month} ${year}", day=moment.day, month=MONTHS[moment.month - 1],
             year=moment.year)


def disconnect_confirm_view(request):
    """GET: "Disconnect your ORCID iD from <site>?" with the POST form — the confirmation for
    browsers without JavaScript (the panel links here from <noscript>)."""
    require_user(request)
    link = request.orcid_link
    if link is None:
        request.session.flash("No ORCID iD is connected to your account.", "orcid")
        return HTTPFound(location=request.route_url("orcid.panel"))
    return {"link": link, "site_name": site_name(request)}


def disconnect_view(request):
    """POST with the CSRF token: revoke at ORCID, delete local data, confirm."""
    user_id = require_user(request)
    try:
        check_csrf_token(request, raises=True)
    except BadCSRFToken:
        return render_error(request, 400, "Your ORCID iD was not disconnected",
                            "The form was too old or did not come from this site. Please use "
                            "the Disconnect button again.",
                            retry_url=request.route_url("orcid.panel"),
                            retry_label="Back to your ORCID settings")
    result = links.disconnect(request, user_id)
    if result is None:
        request.session.flash("No ORCID iD is connected to your account.", "orcid")
        return HTTPFound(location=request.route_url("orcid.panel"))
    orcid, revoked = result
    log.info("user %s disconnected ORCID iD %s (revoked at ORCID: %s)", user_id, orcid, revoked)
    # revoked: True done, False queued for the worker, None impossible for us (unreadable)
    return render_to_response("orcid_pyramid:templates/disconnected.jinja2",
                              {"site_name": site_name(request), "revoked": revoked},
                              request=request)
