"""Steps of the ``@breach`` scenarios that need more than the other step modules offer: a
code-exchange failure ORCID words itself (DM-8), a refused state (BP-1), an id_token from
another sign-in (CC-AUTH), a work shared only with trusted organizations (CC-COLLECT), every
place the iD appears (CC-DISPLAY), writes ORCID accepts (CC-CONNECT) and the call log an
administrator reads (REV-2)."""

from __future__ import annotations

import html
import json
import re

import pytest
from pytest_bdd import given, then, when

from .. import records as helpers
from ..journey import calls_of, link_of
from ..site import Researcher, demo_sign_in
from .common import GREEN, icon_text, loopback_ok
from .target import DEMO_PASSWORD

#: the demo's administrator (``orcid.admin``): the account a reviewer gets to read the call log
DEMO_ADMIN = Researcher("admin", "Ada", "Admin", "admin@example.org",
                        site_password=DEMO_PASSWORD)
#: the nonce of a sign-in that is not the researcher's current one
OTHER_NONCE = "nonce-of-another-sign-in-0123456789"
TRUSTED_TITLE = "A Report Shared With Trusted Organizations"
WRITE_METHODS = ("POST", "PUT", "DELETE")


def _token_requests(journey) -> list[dict]:
    return [c for c in helpers.site_calls(journey) if c["path"].endswith("/oauth/token")]


def _visible_text(page_html: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>|\s+", " ", page_html)).strip()


# -- DM-8: ORCID fails in its own words ------------------------------------------------------
@when("ORCID answers the code exchange with an error of its own", target_fixture="orcid_answer")
def _(journey):
    import requests

    site = journey.site
    journey.start_connect()
    journey.approve()
    site.sandbox.set_faults(1.0, ["500"], seed=1)
    try:
        journey.callback()
        # what ORCID answers any code exchange just now, seen first hand (not through the
        # site's call log): the words the researcher must not be shown
        answer = requests.post(site.settings.token_url, data={
            "client_id": site.settings.client_id, "grant_type": "authorization_code",
            "code": "compliance-probe"}, headers={"Accept": "application/json"}, timeout=10)
    finally:
        site.sandbox.set_faults(0.0)
    return answer.text


@then("the page shows none of ORCID's own error text")
def _(journey, orcid_answer, evidence):
    try:
        data = json.loads(orcid_answer)
    except ValueError:
        data = {}
    raw = [str(data[key]) for key in ("developer-message", "user-message", "more-info",
                                      "error_description") if data.get(key)]
    shown = _visible_text(journey.response.text)
    evidence.add("raw_error", "ORCID's own words in its answer, and whether the page shows "
                 "them", {text: text in shown for text in raw})
    assert raw, f"ORCID's answer carries no message to look for: {orcid_answer[:200]!r}"
    leaked = [text for text in raw if text in shown]
    assert not leaked, f"the page passes on ORCID's raw error: {leaked}"


# -- BP-1: a state the site never issued -----------------------------------------------------
@then("the callback is refused before any token is requested")
def _(journey, evidence):
    response = journey.response
    requests_made = _token_requests(journey)
    evidence.add("forged_state", "The site's answer to a callback with a state it never issued",
                 {"status": response.status, "token_requests": len(requests_made)})
    assert 400 <= response.status_int < 500, f"the callback answered {response.status}"
    assert not requests_made, "the code was exchanged although the state was never issued"
    assert link_of(journey.site, journey.researcher.user_id) is None, "a link was stored"


# -- CC-AUTH: an id_token from another sign-in -----------------------------------------------
@when("ORCID's answer carries an id_token issued for another sign-in")
def _(journey):
    authorize = journey.start_connect()
    params = authorize.params
    if "openid" not in params.get("scope", "").split():
        pytest.skip("the site does not ask for openid: its sign-ins carry no id_token")
    # the researcher approves, but the code's id_token is bound to another sign-in's nonce
    journey.callback_url = journey.site.sandbox.authorize(
        journey.researcher.orcid, params["client_id"], params["scope"], params["redirect_uri"],
        authorize.state, OTHER_NONCE)
    journey.callback()


@then("the site refuses the sign-in and stores no iD for the researcher")
def _(journey, evidence):
    response = journey.response
    link = link_of(journey.site, journey.researcher.user_id)
    evidence.add("id_token_refused", "The site's answer when the id_token belongs to another "
                 "sign-in (its nonce is not the one the site sent)",
                 {"status": response.status, "token_requests": len(_token_requests(journey)),
                  "stored_orcid": link.orcid if link else None})
    assert link is None, f"the iD {link.orcid} was stored from an unverified id_token"
    assert 400 <= response.status_int < 500, f"the callback answered {response.status}"


# -- CC-COLLECT: what only trusted organizations may read ------------------------------------
@given("a researcher whose ORCID record holds a work shared only with trusted organizations")
def _(site, researcher):
    if site.sandbox is None:
        pytest.skip("items from another source are staged through the emulator")
    other = site.sandbox.add_client(name="A trusted organization", member=True)
    work = {"title": {"title": {"value": TRUSTED_TITLE}}, "type": "report",
            "external-ids": {"external-id": [{"external-id-type": "doi",
                                              "external-id-value": "10.5555/trusted-0001",
                                              "external-id-relationship": "self"}]}}
    site.sandbox.add_item(researcher.orcid, "work", work, source_client_id=other["client_id"],
                          visibility="limited")


@when("the researcher imports their works on the site's import page")
def _(journey, evidence):
    page = journey.app.get("/import", status="*")
    assert page.status_int == 200, f"the import page answered {page.status}"
    form = next((f for f in page.forms.values() if (f.action or "").endswith("/import")), None)
    if form is None:
        problem = re.search(r'role="alert"[^>]*>(.*?)</', page.text, re.S)
        pytest.fail("the import page offers no import: "
                    + (problem.group(1).strip() if problem else "no form"))
    journey.response = form.submit(status="*")
    evidence.add("import", "The site's import page after the researcher pressed import",
                 {"status": journey.response.status,
                  "imported": re.findall(r"<tr><td>(.*?)</td>", journey.response.text)})


@then("the import page lists the work shared with trusted organizations")
def _(journey):
    response = journey.response
    assert response.status_int == 200, f"the import answered {response.status}"
    imported = [html.unescape(title) for title in re.findall(r"<tr><td>(.*?)</td>",
                                                             response.text)]
    assert TRUSTED_TITLE in imported, f"the site imported {imported}"


# -- CC-DISPLAY: every place the researcher appears ------------------------------------------
@when("someone opens every page where the researcher appears", target_fixture="pages")
def _(journey):
    pages = {"ORCID panel": journey.site.path("orcid.panel"), "profile": "/profile",
             "people": "/people"}
    opened = {}
    for name, path in pages.items():
        response = journey.app.get(path, status="*")
        assert response.status_int == 200, f"the {name} page answered {response.status}"
        opened[name] = response.text
    return opened


@then("every mention of the iD is its full https URI, linked, with the green iD icon")
def _(journey, pages, evidence):
    orcid = journey.researcher.orcid
    uri = journey.site.settings.id_uri(orcid)
    anchor = re.compile(r'<a[^>]*href="' + re.escape(uri) + r'"[^>]*>(.*?)</a>', re.S)
    bare = re.compile(re.escape(orcid) + "|" + re.escape(orcid.replace("-", "")))
    found = {}
    for name, text in pages.items():
        linked = [a for a in anchor.findall(text) if uri in _visible_text(a)
                  and (icon := re.search(r'<img[^>]*src="([^"]+)"', a))
                  and GREEN in icon_text(journey, icon.group(1)).lower()]
        rest = anchor.sub(" ", text)
        found[name] = {"linked_with_icon": len(linked),
                       "bare": [m.group(0) for m in bare.finditer(_visible_text(rest))]}
    evidence.add("display_everywhere", "How each page where the researcher appears shows the "
                 "iD", {"uri": uri, "pages": found})
    unlinked = [name for name, seen in found.items() if not seen["linked_with_icon"]]
    shown_bare = [name for name, seen in found.items() if seen["bare"]]
    assert not unlinked, f"no linked iD with the green icon on: {unlinked}"
    assert not shown_bare, f"the iD shown without its icon and full URI on: {shown_bare}"


# -- CC-CONNECT: what ORCID accepts ----------------------------------------------------------
@then("the permission the researcher granted lets the site write activities")
def _(journey, evidence):
    link = link_of(journey.site, journey.researcher.user_id)
    assert link is not None, "the researcher is not connected"
    evidence.add("write_permission", "The permission ORCID granted the site",
                 {"scope": link.scope})
    assert link.covers(["/activities/update"]), (
        f"the granted scope {link.scope!r} does not let the site write activities")


@then("ORCID accepted every item the site wrote")
def _(journey, evidence):
    orcid = journey.researcher.orcid
    writes = [c for c in helpers.site_calls(journey) if c["method"] in WRITE_METHODS
              and c["host"] == "api" and f"/{orcid}/" in c["path"]]
    evidence.add("writes", "The site's writes to the record and ORCID's answers",
                 [f"{c['method']} {c['path']} -> {c['status']}" for c in writes])
    assert writes, "the site wrote nothing to the record"
    refused = [f"{c['method']} {c['path']} -> {c['status']}" for c in writes
               if not 200 <= int(c["status"] or 0) < 300]
    assert not refused, f"ORCID refused the site's writes: {refused}"


# -- REV-2: the call log a reviewer reads ----------------------------------------------------
@when("an administrator opens the site's ORCID call log")
def _(journey, site):
    if site.kind not in ("demo", "live"):  # --orcid-live runs the demo too
        pytest.skip("the administrator account is the demo's")
    admin = site.testapp()
    demo_sign_in(admin, DEMO_ADMIN)
    journey.response = admin.get(site.path("orcid.admin.calls"), status="*")


@then("the call log page shows the token exchange URI and every call the site made, "
      "tokens redacted")
def _(journey, evidence):
    from ..journey import known_tokens

    site = journey.site
    page = journey.response
    text = html.unescape(page.text)
    rows = calls_of(site)
    exchanges = [r.url for r in rows if r.url.endswith("/oauth/token")]
    expected = helpers.server_side_calls(journey)
    missing = [f"{c['method']} {c['path']}" for c in expected if c["path"] not in text]
    secrets = [site.settings.client_secret] + known_tokens(site)
    evidence.add("admin_call_log", "The call log an administrator (a reviewer's account) reads",
                 {"status": page.status, "token_exchange_uris": exchanges,
                  "urls": [r.url for r in rows], "missing": missing})
    assert page.status_int == 200, f"the call log answered {page.status}"
    assert expected, "the sandbox received nothing from the site"
    assert exchanges and all(url in text for url in exchanges), (
        "the call log page does not show the token exchange URI")
    assert not missing, f"calls the sandbox received that the call log page lacks: {missing}"
    assert all(loopback_ok(site.settings, r.url) for r in rows), "a call was not HTTPS"
    assert not any(secret and secret in text for secret in secrets), "a token is on the page"
