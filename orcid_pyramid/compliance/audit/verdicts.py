"""Review basics and data management, judged from outside: the emulator's log and the pages.

Each function takes the :class:`~.drive.Observations` and returns one check (a scenario
record). What a site keeps in its own database and logs cannot be seen from here: DM-4, DM-5
and DM-7 are ``not-checked`` with "not observable from outside" and what to show instead.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from .drive import Observations
from .evidence import (
    PERSON_SECTIONS,
    calls_item,
    check,
    has_put_code,
    inner_path,
    is_api_call,
    is_token_call,
    screenshot_item,
    section_of,
    url_item,
    writes,
)
from .pages import query_of

NOT_OBSERVABLE = "not observable from outside"
#: what to show the reviewer instead, per requirement the audit cannot see
SHOW_INSTEAD = {
    "DM-4": "show the reviewer the stored row of a connected person: iD, name, access and "
            "refresh token (encrypted), token type, scope and expiry date",
    "DM-5": "show the reviewer the stored put code of each item the site wrote to ORCID",
    "DM-7": "show the reviewer the site's log of its ORCID calls: method, URL, status, "
            "duration, bodies, iD and user, with tokens redacted",
    "REV-2": "run the same journey against ORCID's live sandbox and give the reviewer the "
             "demo's address and a test account",
}


def rev_1(obs: Observations) -> dict:
    """3.0 paths; bodies the emulator (which validates as ORCID does) accepted."""
    api = [c for c in obs.calls if is_api_call(c)]
    if not api:
        return check("REV-1", "API calls use the 3.0 message schema", None,
                     "the site made no call to ORCID's API during the journey")
    old = [c for c in api if not inner_path(c).startswith("/v3.0/")]
    refused = [c for c in writes(api) if c["status"] == 400]
    problems = []
    if old:
        problems.append(f"{len(old)} call(s) outside /v3.0/")
    if refused:
        problems.append(f"{len(refused)} body(ies) refused as invalid (400)")
    checked, complaints = _xsd(obs)
    problems += complaints
    return check("REV-1", "API calls use the 3.0 message schema", not problems,
                 "; ".join(problems) or f"{len(api)} API call(s), all /v3.0/, every body "
                 f"accepted; {checked}", [calls_item("ORCID API calls the site made", api)])


def _xsd(obs: Observations) -> tuple[str, list[str]]:
    """The items this client wrote, as the record now holds them, against ORCID's 3.0 XSDs:
    (what was checked, complaints)."""
    from ..schemas import XSD_FILES, missing_reason, validate

    missing = missing_reason()
    if missing:
        return "ORCID's XSDs not found, so the items were not validated", []
    count, complaints = 0, []
    for plural, items in obs.record.get("sections", {}).items():
        section = plural[:-1] if plural.endswith("s") else plural
        if section not in XSD_FILES:
            continue
        for item in items:
            if item.get("source-client-id") != obs.client_id:
                continue
            count += 1
            errors = validate(section, item["item"])
            if errors:
                complaints.append(f"{section} {item['put-code']} invalid against ORCID's "
                                  f"3.0 XSD: {errors[0]}")
    return f"{count} item(s) written valid against ORCID's 3.0 XSDs", complaints


def dm_1(obs: Observations) -> dict:
    """No field on the journey's pages to type an iD into."""
    views = obs.site_views()
    if not views:
        return check("DM-1", "No field to type an iD", None, "no page of the site was read")
    fields: dict[tuple, dict] = {}  # one entry per field, however often its page was seen
    for view in views:
        path = urlsplit(view.url).path
        for found in view.id_fields:
            fields.setdefault((path, *sorted(found.items())), dict(found, page=path))
    items = [{"kind": "pages", "caption": "iD-like fields on the site's pages",
              "data": list(fields.values())}] if fields else []
    pages = sorted({f["page"] for f in fields.values()})
    return check("DM-1", "No field to type an iD", not fields,
                 f"{len(fields)} field(s) ask for an iD (on {', '.join(pages)})" if fields else
                 f"{len(views)} page(s) read, none offers a field for an iD", items)


def dm_2(obs: Observations) -> dict:
    """The site, its redirect URIs and every call to ORCID over HTTPS."""
    name = "HTTPS for the site, its redirect URIs and every ORCID call"
    if urlsplit(obs.emulator_url).scheme != "https":
        return check("DM-2", name, None, "the emulator is reached over plain http, so the "
                     "calls' scheme says nothing (start it with --tls)")
    plain = [c for c in obs.calls if c.get("scheme") != "https"]
    uris = [u for u in [obs.site, *obs.redirect_uris] if urlsplit(u).scheme != "https"]
    authorize = [t.authorize_url for t in obs.trips.values() if t.authorize_url]
    plain_pages = [u for u in authorize if urlsplit(u).scheme != "https"]
    problems = ([f"{len(plain)} call(s) over http"] if plain else []) + \
        ([f"not https: {', '.join(uris)}"] if uris else []) + \
        (["the browser was sent to ORCID over http"] if plain_pages else [])
    return check("DM-2", name, not problems and bool(obs.calls),
                 "; ".join(problems) or f"{len(obs.calls)} call(s), all https",
                 [calls_item("every call the emulator received", obs.calls)])


def dm_3(obs: Observations) -> dict:
    """The code is exchanged at the root token URI, not the api./pub. hosts."""
    name = "Code exchanged at the root token URI"
    tokens = [c for c in obs.calls if is_token_call(c)]
    if not tokens:
        return check("DM-3", name, None, "the site never exchanged a code")
    wrong = [c for c in tokens if c.get("host") != "root"]
    return check("DM-3", name, not wrong,
                 f"{len(wrong)} exchange(s) at the {wrong[0]['host']}. host, not "
                 "https://sandbox.orcid.org/oauth/token" if wrong else
                 f"{len(tokens)} exchange(s), all at the root /oauth/token",
                 [calls_item("token endpoint calls", tokens)])


def dm_6(obs: Observations) -> dict:
    """Scopes asked match the features used; POST adds, PUT (to a put code) updates."""
    name = "Scopes asked match what the site does; POST adds, PUT updates"
    connect = obs.trips.get("connect")
    if connect is None or not connect.authorize_url:
        return check("DM-6", name, None, "the site never sent the browser to ORCID")
    asked = set(query_of(connect.authorize_url).get("scope", "").split())
    done = writes(obs.calls)
    needed = {"/person/update" if section_of(c) in PERSON_SECTIONS else "/activities/update"
              for c in done}
    problems = [f"asked for {s} but never used it" for s in sorted(asked)
                if s in ("/activities/update", "/person/update") and s not in needed]
    problems += [f"PUT without a put code: {inner_path(c)}" for c in done
                 if c["method"] == "PUT" and not has_put_code(c)]
    problems += [f"POST to a put code: {inner_path(c)}" for c in done
                 if c["method"] == "POST" and has_put_code(c)]
    mine = {str(item["put-code"]) for items in obs.record.get("sections", {}).values()
            for item in items if item.get("source-client-id") == obs.client_id}
    problems += [f"PUT to put code {inner_path(c).rsplit('/', 1)[-1]}, not an item this "
                 "client wrote" for c in done if c["method"] == "PUT" and has_put_code(c)
                 and inner_path(c).rsplit("/", 1)[-1] not in mine]
    return check("DM-6", name, not problems,
                 "; ".join(problems) or f"asked {' '.join(sorted(asked))}; "
                 f"{len(done)} write(s), each with the right method",
                 [url_item("the authorize request", connect.authorize_url),
                  calls_item("the site's writes", done)])


def dm_8(obs: Observations) -> dict:
    """A denied authorization and an ORCID failure both explain and give a contact."""
    name = "Denied access and ORCID failures explained, with a contact"
    if not obs.journey.support:
        return check("DM-8", name, None, "the journey names no support contact ('support'), "
                     "so the audit cannot tell whether the error pages show one")
    problems, items = [], []
    for purpose, what in (("deny", "after the researcher denied access"),
                          ("fault", "when ORCID's token endpoint failed (500)")):
        trip = obs.trips.get(purpose)
        view = trip.returned if trip else None
        items += screenshot_item(f"the site's page {what}", view)
        if trip is not None:
            items.append(calls_item(f"calls {what}", trip.calls))
        if view is None:
            problems.append(f"no page came back {what}" +
                            (f" ({trip.error})" if trip and trip.error else ""))
        elif obs.journey.support.lower() not in view.text.lower():
            problems.append(f"no {obs.journey.support!r} on the page {what}")
    return check("DM-8", name, not problems, "; ".join(problems) or
                 f"both pages explain and show {obs.journey.support!r}", items)


def not_observable(rid: str, title: str) -> dict:
    """DM-4, DM-5, DM-7, REV-2: not-checked, with what the team shows instead."""
    reason = NOT_OBSERVABLE if rid != "REV-2" else "the audit ran against the emulator"
    return check(rid, title, None, f"{reason}: {SHOW_INSTEAD[rid]}")
