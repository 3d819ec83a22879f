"""The demo's "Import my works from ORCID" page (CC-COLLECT): read the researcher's record
with their ``/read-limited`` token, list the works other sources put there (never the ones this
site wrote: importing them would echo them) and the profile fields the site could pre-fill.

The demo shows the result and stores nothing; a real host would add the works to its own
publication list and put the fields into its profile form.
"""

from __future__ import annotations

import logging

from pyramid.csrf import check_csrf_token
from pyramid.exceptions import BadCSRFToken
from pyramid.httpexceptions import HTTPSeeOther

from ..i18n import _

log = logging.getLogger(__name__)

T = "orcid_pyramid:demo/templates/"
READ_SCOPE = "/read-limited"


def includeme(config) -> None:
    """The import page (GET) and the import itself (POST)."""
    config.add_route("import", "/import", request_method="GET")
    config.add_route("import.run", "/import", request_method="POST")
    config.add_view(import_page, route_name="import", renderer=T + "import.jinja2",
                    permission="view")
    config.add_view(run_import, route_name="import.run", renderer=T + "import.jinja2",
                    permission="view")


def _problem(link) -> str | None:
    """Why the record cannot be read with this link, in the researcher's words, or None."""
    if link is None:
        return _("Connect your ORCID iD first: the site reads your record with your permission.")
    if not link.is_live():
        return _("This site's access to your ORCID record has ended. Connect your ORCID iD "
                 "again to import your works.")
    if READ_SCOPE not in link.scopes:
        return _("When you connected, this site was not given permission to read your ORCID "
                 "record. Connect again to import your works.")
    return None


def import_page(request):
    """What importing does, and the button."""
    link = request.orcid_link
    return {"link": link, "problem": _problem(link), "result": None}


def run_import(request):
    """POST (CSRF-checked): read the record once, import other sources' works, pre-fill."""
    from ..client.errors import OrcidError
    from ..views.errors import new_reference, render_error, status_for

    try:
        check_csrf_token(request, raises=True)
    except BadCSRFToken:
        request.session.flash("The form was too old; please press the button again.",
                              "orcid-error")
        return HTTPSeeOther(location=request.route_url("import"))
    user_id = request.authenticated_userid
    link = request.orcid_link
    problem = _problem(link)
    if problem is not None:
        request.response.status_int = 409
        return {"link": link, "problem": problem, "result": None}
    client = request.orcid_client
    try:
        result = import_for(client, request.orcid_cipher.decrypt(link.access_token_enc),
                            link.orcid, user_id)
    except OrcidError as exc:
        reference = new_reference()
        log.warning("import from ORCID failed for %s [ref %s]: %s", user_id, reference,
                    exc.summary())
        return render_error(request, status_for(exc), "Your works were not imported",
                            exc.user_text(), retry_url=request.route_url("import"),
                            retry_label="Back to the import page", reference=reference)
    return {"link": link, "problem": None, "result": result}


def import_for(client, access_token: str, orcid: str, user_id: str) -> dict:
    """Read ``orcid``'s record and return ``{"works": [...], "prefill": {...}}``.

    Two member-API calls at most: the record, then the imported works in full (bulk read);
    both go through the client's shared rate limit and into the call log.
    """
    from ..sync.collect import import_works, prefill_from_profile, read_profile

    api = client.member(access_token, orcid, log_context={"user_id": user_id})
    profile = read_profile(api)
    works = import_works(profile, exclude_source_client_id=client.client_id, member_api=api)
    return {"works": [_work_row(work) for work in works],
            "prefill": prefill_from_profile(profile),
            "own_count": sum(1 for s in profile.works if s.source_client_id == client.client_id)}


def _work_row(work) -> dict:
    """What the page shows of one imported work."""
    date = work.publication_date
    return {
        "title": work.title,
        "type": work.type,
        "year": str(date.year) if date is not None else "",
        "ids": ", ".join(f"{e.type}: {e.value}" for e in work.external_ids),
        "source": work.source_name or work.source_client_id or "",
    }
