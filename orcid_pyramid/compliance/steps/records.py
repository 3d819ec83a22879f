"""Steps: items written to the researcher's record, what the sandbox received, the call log."""

from __future__ import annotations

import re

import pytest
from pytest_bdd import given, parsers, then, when

from .. import records as helpers
from ..journey import calls_of, issued_tokens, known_tokens, link_of

WORK_KEY = helpers.WORK_KEY


@when(parsers.parse("the site sends a {kind} to the researcher's ORCID record"))
@given(parsers.parse("the site sends a {kind} to the researcher's ORCID record"))
def _(journey, kind, evidence):
    counts = helpers.send(journey.site, journey.researcher, kind, helpers.builder(kind))
    evidence.add("sync", f"The worker sent the {kind}", counts)
    _remember_put_code(journey, kind)


def _remember_put_code(journey, kind: str) -> None:
    item = helpers.item_of(journey.site, journey.researcher.user_id, kind)
    if item is not None and item.put_code:
        journey.put_codes[kind] = item.put_code


@when("the work is changed on the site and sent again")
def _(journey, evidence):
    work = helpers.builder("work", title=helpers.CHANGED_TITLE)
    counts = helpers.send(journey.site, journey.researcher, "work", work)
    evidence.add("sync", "The worker sent the changed work", counts)
    _remember_put_code(journey, "work")


@when("the work is removed on the site")
def _(journey, evidence):
    counts = helpers.remove(journey.site, journey.researcher, "work")
    evidence.add("sync", "The worker removed the work", counts)


@when("the researcher deletes the work on ORCID")
def _(journey):
    item = helpers.item_of(journey.site, journey.researcher.user_id, "work")
    assert item is not None and item.put_code, "the work has no put code to delete"
    journey.site.sandbox.delete_item(journey.researcher.orcid, "work", item.put_code)


@given("a researcher whose ORCID record holds a work from another source")
def _(site, researcher):
    if site.sandbox is None:
        pytest.skip("items from another source are staged through the emulator")
    helpers.other_source_adds_work(site, researcher.orcid)


@when("the researcher adds a work on ORCID from another source")
def _(journey):
    helpers.other_source_adds_work(journey.site, journey.researcher.orcid)


@when("the site reads the researcher's ORCID record", target_fixture="collected")
def _(journey, evidence):
    collected = helpers.collect(journey.site, journey.researcher)
    evidence.add("collect", "Works the site imported from the researcher's record",
                 [work.title for work in collected])
    return collected


@when("the site reads the changes on the researcher's ORCID record", target_fixture="collected")
def _(journey, evidence):
    result = helpers.pull(journey.site)
    evidence.add("pull", "What the scheduled read saw", {"users": result.users,
                 "changed": result.changed, "deleted": result.deleted,
                 "errors": result.errors})
    return helpers.collect(journey.site, journey.researcher)


# -- outcomes --------------------------------------------------------------------------------
@then("every member API call went to a /v3.0/ URL")
def _(journey, evidence):
    calls = [c for c in helpers.site_calls(journey) if c["host"] in ("api", "pub")
             and not c["path"].endswith("/oauth/token")]
    evidence.add("api_version", "Member API paths the sandbox received",
                 sorted({re.sub(r"\d{4}-\d{4}-\d{4}-\d{3}[\dX]", "{orcid}", c["path"])
                         for c in calls}))
    assert calls, "the site made no member API call"
    stale = [c["path"] for c in calls if "/v3.0/" not in c["path"] and "/webhook/" not in c["path"]]
    assert not stale, f"calls outside /v3.0/: {stale}"


@then("the sandbox received the token exchange, the work and the revocation")
def _(journey, evidence):
    calls = helpers.site_calls(journey)
    summary = [f"{c['method']} {c['host']} {c['path']} -> {c['status']}" for c in calls]
    evidence.add("flow", "Every request the sandbox received from the site, in order", summary)
    assert any(c["path"].endswith("/oauth/token") and c["status"] == 200 for c in calls)
    assert any(c["method"] == "POST" and re.search(r"/works?$", c["path"])
               and 200 <= int(c["status"] or 0) < 300 for c in calls), "ORCID took no work"
    assert any(c["path"].endswith("/oauth/revoke") and c["status"] == 200 for c in calls)


@then("the evidence documents every call the site made to ORCID")
def _(journey, evidence):
    calls = helpers.server_side_calls(journey)
    evidence.add("https_calls", "Every call the site's server made to the sandbox (the "
                 "sandbox's own record: method, host, path, status)",
                 [{k: c.get(k) for k in ("method", "host", "path", "status")} for c in calls])
    rows = calls_of(journey.site)
    evidence.add("call_log", "The site's call log (method, URL, status, duration)",
                 [{"method": r.method, "url": r.url, "status": r.status,
                   "duration_ms": r.duration_ms} for r in rows])
    assert calls and all(c["status"] for c in calls)


@then("the site stores the work's put code and the content it sent")
def _(journey, evidence):
    item = helpers.item_of(journey.site, journey.researcher.user_id, "work")
    assert item is not None, "no put-code registry row for the work"
    remote = helpers.remote_items(journey.site, journey.researcher.orcid, "work")
    evidence.add("put_code", "The stored put code and the record's", {
        "orcid": item.orcid, "section": item.section, "put_code": item.put_code,
        "content_hash": item.content_hash, "on_record": [r["put-code"] for r in remote]})
    assert item.orcid == journey.researcher.orcid
    on_record = [r["put-code"] for r in remote]
    assert len(on_record) == 1, f"{len(on_record)} copies of the work on the record"
    assert item.put_code == on_record[0], (
        f"the site stored put code {item.put_code}, ORCID issued {on_record[0]}")
    assert item.content_hash, "the content sent was not recorded"


@then("the work was added with a POST without a put code")
def _(journey):
    posts = helpers.work_calls(journey, "POST")
    assert posts, "the work was never POSTed"
    assert all(not re.search(r"/work/\d+$", c["path"]) for c in posts)


@then("the change was a PUT to the work's put code")
def _(journey, evidence):
    put_code = journey.put_codes.get("work")
    puts = helpers.work_calls(journey, "PUT")
    posts = helpers.work_calls(journey, "POST")
    evidence.add("update", "How the change reached ORCID",
                 {"put_code": put_code,
                  "PUT": [c["path"] for c in puts], "POST": [c["path"] for c in posts]})
    assert put_code, "the site stored no put code for the work"
    assert any(c["path"].endswith(f"/work/{put_code}") for c in puts), "no PUT to the put code"
    assert len(posts) == 1, f"the work was POSTed {len(posts)} times"


@then("the removal was a DELETE of the work's put code")
def _(journey):
    deletes = helpers.work_calls(journey, "DELETE")
    put_code = journey.put_codes.get("work")
    assert deletes and deletes[-1]["path"].endswith(f"/work/{put_code}")
    assert helpers.remote_items(journey.site, journey.researcher.orcid, "work") == []


@then("every call the sandbox received from the site is in the call log")
def _(journey, evidence):
    if not journey.site.independent_record:
        _calls_the_actions_needed_are_logged(journey, evidence)
        return
    expected = helpers.server_side_calls(journey)
    rows = calls_of(journey.site)
    logged = [(r.method, r.url) for r in rows]
    missing = [f"{c['method']} {c['path']}" for c in expected
               if not any(m == c["method"] and url.split("?")[0].endswith(c["path"])
                          for m, url in logged)]
    evidence.add("call_log", "Call-log rows next to the sandbox's own record",
                 {"sandbox": len(expected), "logged": [f"{m} {u} -> {r.status} "
                                                       f"({r.duration_ms} ms)"
                                                       for (m, u), r in zip(logged, rows,
                                                                            strict=True)]})
    assert expected, "the sandbox received nothing from the site"
    assert not missing, f"calls missing from the log: {missing}"
    assert all(r.status is not None and r.duration_ms is not None for r in rows)


def _calls_the_actions_needed_are_logged(journey, evidence) -> None:
    """Against the live sandbox there is no record of ORCID's to compare with: the calls the
    scenario's actions cannot have done without (the token exchange, the work's POST) must be
    in the log, each with its answer's status and its duration."""
    site, orcid = journey.site, journey.researcher.orcid
    rows = calls_of(site)
    needed = {"the token exchange": ("POST", site.settings.token_url),
              "the work's POST": ("POST", f"{site.settings.api_url}/v3.0/{orcid}/work")}
    missing = [name for name, (method, url) in needed.items()
               if not any(r.method == method and r.url.split("?")[0].rstrip("s") == url
                          for r in rows)]
    evidence.add("call_log", "Call-log rows (the live sandbox keeps no record the suite can "
                 "read: the calls the scenario needed must be there)",
                 {"needed": {name: " ".join(call) for name, call in needed.items()},
                  "logged": [f"{r.method} {r.url} -> {r.status} ({r.duration_ms} ms)"
                             for r in rows]})
    assert rows, "the call log is empty"
    assert not missing, f"calls missing from the log: {missing}"
    assert all(r.status is not None and r.duration_ms is not None for r in rows)


@then("no token or secret appears in the call log")
def _(journey):
    site = journey.site
    secrets = [site.settings.client_secret] + known_tokens(site)
    rows = calls_of(site)
    assert rows, "the call log is empty"
    leaks = [r.id for r in rows for text in (r.url, r.request_body, r.response_body, r.error)
             if text and any(secret and secret in text for secret in secrets)]
    assert not leaks, f"secrets in call-log rows {sorted(set(leaks))}"


@then("the token is revoked at ORCID")
def _(journey, evidence):
    calls = [c for c in helpers.site_calls(journey) if c["path"].endswith("/oauth/revoke")]
    evidence.add("revoke", "Revocation calls the sandbox received",
                 [{k: c[k] for k in ("method", "path", "status")} for c in calls])
    assert calls and all(c["status"] == 200 for c in calls), "the token was not revoked"
    live = [t for t in issued_tokens(journey.site, journey.researcher.orcid) if not t.revoked]
    assert not live, f"{len(live)} token(s) still live at ORCID"


@then("the site keeps no token, put code or call log of the researcher")
def _(journey, evidence):
    site, user_id = journey.site, journey.researcher.user_id
    link = link_of(site, user_id)
    items = helpers.items_of(site, user_id)
    calls = [r for r in calls_of(site, user_id) if not r.url.endswith("/oauth/revoke")]
    evidence.add("removal", "What the site still holds about the researcher",
                 {"link": bool(link), "put_codes": len(items), "call_log_rows": len(calls)})
    assert link is None and not items and not calls


@then("the researcher's record holds the work once")
def _(journey):
    mine = helpers.remote_items(journey.site, journey.researcher.orcid, "work")
    assert len(mine) == 1, f"{len(mine)} copies of the work on the record"


@then(parsers.parse("the researcher's ORCID record holds the {kind} with the site as its source"))
def _(journey, kind, evidence):
    mine = helpers.remote_items(journey.site, journey.researcher.orcid, kind)
    evidence.add("record", f"The {kind} on the researcher's record",
                 [{"put-code": i.get("put-code"), "source": helpers.source_of(i)} for i in mine])
    assert mine, f"no {kind} from the site on the record"


@then("the researcher's ORCID record holds the changed work")
def _(journey):
    titles = [helpers.title_of(i) for i in
              helpers.remote_items(journey.site, journey.researcher.orcid, "work")]
    assert helpers.CHANGED_TITLE in titles, f"the record holds {titles}"


@then("the work is not on the researcher's ORCID record")
def _(journey):
    assert helpers.remote_items(journey.site, journey.researcher.orcid, "work") == []


@then("the researcher's ORCID panel shows the work as deleted on ORCID")
def _(journey, evidence):
    item = helpers.item_of(journey.site, journey.researcher.user_id, "work")
    page = journey.open("orcid.panel")
    row = re.search(r"<tr>(?:(?!</tr>).)*" + re.escape(item.title if item else "?")
                    + r"(?:(?!</tr>).)*</tr>", page.text, re.S)
    evidence.add("item_status", "The work's status on the panel",
                 {"status": item.status if item else None,
                  "row": re.sub(r"<[^>]+>|\s+", " ", row.group(0)).strip() if row else None})
    assert item is not None and item.status == "deleted_on_orcid"
    assert row and "deleted" in row.group(0).lower(), "the panel does not say it was deleted"


@then("the import page pre-fills the profile with the names on the researcher's ORCID record")
def _(journey, evidence):
    import html

    response = journey.response
    assert response.status_int == 200, f"the import answered {response.status}"
    given, family = helpers.record_names(journey.site, journey.researcher)
    block = re.search(r'id="prefill"[^>]*>(.*?)</dl>', response.text, re.S)
    shown = re.findall(r"<dd>(.*?)</dd>", block.group(1), re.S) if block else []
    shown = [html.unescape(value).strip() for value in shown]
    evidence.add("prefill", "The profile fields the site filled from the record, next to the "
                 "names on the record", {"record": [given, family], "pre-filled": shown[:2]})
    assert given, "the record shows no given names to pre-fill with"
    assert shown[:2] == [given, family or "not shown on ORCID"], (
        f"the site pre-filled {shown[:2]}, the record holds {[given, family]}")


@then("the site has the work from the researcher's record")
def _(collected):
    assert helpers.OTHER_TITLE in [work.title for work in collected]


@then("the record was read with the researcher's /read-limited permission")
def _(journey):
    link = link_of(journey.site, journey.researcher.user_id)
    assert link is not None and "/read-limited" in link.scope.split()
    reads = [c for c in helpers.site_calls(journey) if c["method"] == "GET" and c["host"] == "api"
             and journey.researcher.orcid in c["path"]]
    assert reads, "the site did not read the member API"


@then("the researcher's ORCID panel says the connection no longer works")
def _(journey, evidence):
    page = journey.open("orcid.panel")
    link = link_of(journey.site, journey.researcher.user_id)
    support = journey.site.settings.support_email
    alert = re.search(r'role="alert"[^>]*>(.*?)</', page.text, re.S)
    evidence.add("revoked_panel", "The panel after ORCID refused the token",
                 {"link_status": link.status if link else None,
                  "alert": alert.group(1).strip() if alert else None,
                  "support_contact_shown": bool(support and support in page.text)})
    assert link is not None and link.status == "revoked", "the revoked token went unnoticed"
    assert alert, "the panel shows no alert"
    assert support and support in page.text, "the panel does not name the support contact"
