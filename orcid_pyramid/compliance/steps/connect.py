"""Steps: signing in, connecting, the callback's failure paths, disconnecting (WebTest)."""

from __future__ import annotations

import pytest
from pytest_bdd import given, then, when

from ..journey import Journey, _text, issued_tokens, link_of
from ..site import local_path, query_params

DENIED = {"error": "access_denied", "error_description": "User denied access"}


def _journey(site, researcher) -> Journey:
    journey = Journey(site=site, researcher=researcher, app=site.testapp())
    if site.has_call_record:
        journey.mark = len(site.sandbox_calls())
    journey.sign_in()
    return journey


def _record_connect(journey: Journey, evidence) -> None:
    auth = journey.authorize
    evidence.add("authorize_url", "Where the site sent the researcher (ORCID's authorize URL)",
                 {"url": auth.url.split("?")[0], "parameters": auth.params})
    site = journey.site
    if not site.has_call_record:
        return
    token_calls = [c for c in site.sandbox_calls(journey.mark)
                   if c["path"].endswith("/oauth/token")]
    source = "the sandbox received" if site.independent_record else "the site made (call log)"
    evidence.add("token_endpoint", f"The token exchange {source} (URI and host)",
                 [{k: c.get(k) for k in ("method", "host", "path", "status")}
                  for c in token_calls])


@given("a researcher is signed in to the site", target_fixture="journey")
def _(site, researcher):
    return _journey(site, researcher)


@given("a researcher has connected their ORCID iD", target_fixture="journey")
def _(site, researcher, evidence):
    journey = _journey(site, researcher)
    journey.connect()
    _record_connect(journey, evidence)
    return journey


@when("a researcher connects their ORCID iD", target_fixture="journey")
def _(site, researcher, evidence):
    journey = _journey(site, researcher)
    journey.connect()
    _record_connect(journey, evidence)
    return journey


@when("the researcher connects their ORCID iD")
def _(journey, evidence):
    journey.connect()
    _record_connect(journey, evidence)


@when("the researcher starts connecting their ORCID iD", target_fixture="authorize")
def _(journey, evidence):
    auth = journey.start_connect()
    evidence.add("authorize_url", "Where the site sent the researcher (ORCID's authorize URL)",
                 {"url": auth.url.split("?")[0], "parameters": auth.params})
    return auth


@when("the callback arrives with an iD in its query but no authorization code")
def _(journey):
    journey.start_connect()
    state = journey.authorize.state or ""
    intruder = "0000-0002-9079-593X"
    journey.response = journey.app.get(
        journey.site.path("orcid.callback"),
        {"state": state, "orcid": intruder, "name": "Someone Else"}, status="*")


@when("the researcher denies access on ORCID")
def _(journey, evidence):
    journey.start_connect()
    site = journey.site
    if site.sandbox is None and site.orcid_sign_in is not None:
        # the live sandbox: the researcher presses "Deny access" on ORCID's page
        redirect = site.orcid_sign_in(journey.authorize.url, journey.researcher, True)
        evidence.add("denied", "ORCID's redirect after 'Deny access' (parameters)",
                     {k: v for k, v in query_params(redirect).items() if k != "state"})
        journey.response = journey.callback(redirect)
        return
    params = dict(DENIED, state=journey.authorize.state or "")
    journey.response = journey.app.get(site.path("orcid.callback"), params, status="*")


@when("the callback arrives with a state that was never issued")
def _(journey):
    journey.start_connect()
    journey.approve(state="forged-state-0123456789abcdefghijklmnop")
    journey.callback()


@when("ORCID is down when the code is exchanged")
def _(journey):
    if journey.site.sandbox is None:
        pytest.skip("an ORCID outage can only be staged on the emulator")
    journey.start_connect()
    journey.approve()
    journey.site.sandbox.set_faults(1.0, ["503"], seed=1)
    try:
        journey.callback()
    finally:
        journey.site.sandbox.set_faults(0.0)


@when("the researcher connects their ORCID iD twice with the same state")
def _(journey):
    journey.connect()
    journey.first_response = journey.response
    journey.callback()  # the very same redirect, replayed


@when("the researcher asks to connect again")
def _(journey):
    journey.mark = len(journey.site.sandbox_calls()) if journey.site.has_call_record else 0
    journey.response = journey.app.get(journey.site.path("orcid.connect"), status="*")


@when("the researcher disconnects their ORCID iD")
def _(journey, evidence):
    response = journey.disconnect()
    evidence.add("disconnect", "What the researcher saw after disconnecting",
                 {"status": response.status, "page_title": _title(response)})


@when("the researcher opens their ORCID panel")
def _(journey):
    journey.open("orcid.panel")


@when("the researcher revokes the site's access on ORCID")
def _(journey, evidence):
    site = journey.site
    if site.sandbox is not None:
        site.sandbox.revoke(journey.researcher.orcid, site.settings.client_id)
        return
    # the live sandbox: the suite revokes the stored token at ORCID, which leaves the site
    # exactly where a researcher's "revoke access" in ORCID's account settings leaves it
    from ..live import revoke_stored_token

    evidence.add("revocation", "The suite revoked the site's token at ORCID",
                 {"status": revoke_stored_token(site, journey.researcher)})


# -- outcomes ------------------------------------------------------------------------------
@then("the site stores the iD that ORCID issued the token for")
def _(journey, evidence):
    link = link_of(journey.site, journey.researcher.user_id)
    assert link is not None, "no ORCID link was stored for the researcher"
    evidence.add("stored_id", "The stored iD and where it came from",
                 {"user_id": link.user_id, "orcid": link.orcid})
    assert link.orcid == journey.researcher.orcid
    tokens = issued_tokens(journey.site, link.orcid)
    if journey.site.sandbox_state is not None:
        assert tokens, "the sandbox issued no token for the stored iD"


@then("the site stores no iD for the researcher")
def _(journey, evidence):
    link = link_of(journey.site, journey.researcher.user_id)
    evidence.add("callback", "The site's answer to a callback carrying an iD but no code",
                 {"status": journey.response.status})
    assert link is None, f"an iD was stored from the callback's query: {link.orcid}"
    assert journey.response.status_int < 500, "the site answered with a server error"


@then("the researcher sees an explanation and the support contact")
def _(journey, evidence):
    response = journey.response
    support = journey.site.settings.support_email
    evidence.add("error_page", "The page the researcher saw",
                 {"status": response.status, "title": _title(response),
                  "support_contact_shown": support in response.text})
    assert 400 <= response.status_int < 600 and response.status_int != 500, response.status
    assert "Traceback" not in response.text
    assert support and support in response.text, "the page does not name the support contact"
    assert link_of(journey.site, journey.researcher.user_id) is None, "a link was stored anyway"


@then("the second callback is refused and no second token is requested")
def _(journey, evidence):
    first, second = journey.first_response, journey.response
    token_calls = [c for c in journey.site.sandbox_calls(journey.mark)
                   if c["path"].endswith("/oauth/token")]
    evidence.add("replay", "A replayed callback (same code and state)",
                 {"first": first.status, "second": second.status,
                  "token_requests": len(token_calls)})
    assert first.status_int in (302, 303)
    assert len(token_calls) == 1, f"{len(token_calls)} token requests for one authorization"
    if second.status_int in (302, 303):
        # a researcher who is connected may be told so instead of seeing an error page
        # (a reload of the callback); the state was still not used again: no token request
        page = journey.app.get(local_path(second.headers["Location"]), status="*")
        assert "already connected" in _text(page), \
            f"the replayed state was accepted: {second.status}"
    else:
        assert 400 <= second.status_int < 500, f"the replayed state answered {second.status}"


@then("the site does not send the researcher to ORCID again")
def _(journey, evidence):
    response = journey.response
    location = response.headers.get("Location", "")
    evidence.add("reconnect", "Asking to connect with a live permission",
                 {"status": response.status, "location": location})
    authorize = journey.site.settings.base_url + "/oauth/authorize"
    assert response.status_int in (302, 303), f"the connect page was shown: {response.status}"
    assert not location.startswith(authorize), "the researcher was sent to ORCID again"
    assert "data-authorize-url" not in response.text


def _title(response) -> str:
    import re

    match = re.search(r"<title>(.*?)</title>", response.text or "", re.S)
    return match.group(1).strip() if match else ""


@then("no page of the ORCID flow offers a field to type an iD")
def _(journey, evidence):
    import re

    pages = {"panel": journey.open("orcid.panel").text}
    pages["connect"] = journey.app.get(journey.site.path("orcid.connect"), status="*").text
    pages["callback error"] = journey.app.get(journey.site.path("orcid.callback"),
                                              status="*").text
    typed = {}
    for name, text in pages.items():
        fields = re.findall(r"<(?:input|textarea|select)\b[^>]*>", text, re.I)
        visible = [f for f in fields if not re.search(r'type="?(hidden|submit|button)', f, re.I)]
        if visible:
            typed[name] = visible
    evidence.add("no_typed_ids", "Form fields on the add-on's pages a user could type into",
                 {name: typed.get(name, []) for name in pages})
    assert not typed, f"fields a user could type an iD into: {typed}"


@then("the connect page signs the browser out of ORCID before going to ORCID")
def _(journey, authorize, evidence):
    settings = journey.site.settings
    page = journey.response
    signout = authorize.signout_url or ""
    evidence.add("signout_step", "The connect page's sign-out step",
                 {"status": page.status, "signout_url": signout,
                  "script": "orcid-signout.js" in page.text})
    assert page.status_int == 200, "the site went straight to ORCID (no sign-out step)"
    assert signout.startswith(settings.base_url + "/userStatus.json") and (
        "logUserOut=true" in signout) or signout == settings.base_url + "/signout", (
        f"no ORCID sign-out URL on the connect page: {signout!r}")
    assert "orcid-signout.js" in page.text, "the page does not run the sign-out step"


@when("someone opens the site's list of people")
def _(journey):
    journey.response = journey.app.get("/people", status="*")
    assert journey.response.status_int == 200, journey.response.status


@when("the callback arrives without the state the site sent")
def _(journey):
    journey.start_connect()
    redirect = journey.approve()
    stripped = "&".join(part for part in redirect.split("?", 1)[1].split("&")
                        if not part.startswith("state="))
    journey.callback(redirect.split("?", 1)[0] + "?" + stripped)
