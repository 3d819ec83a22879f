"""Best practices and the Collect & Connect elements, judged from outside.

Same inputs and outputs as :mod:`.verdicts`. The state checks rest on the replay the driver
made: a fresh code sent to the site's callback with a state the site already used; a site
whose state is single-use refuses it without exchanging the code.
"""

from __future__ import annotations

from .drive import Observations
from .evidence import (
    calls_item,
    check,
    has_put_code,
    inner_path,
    is_api_call,
    is_token_call,
    screenshot_item,
    url_item,
)
from .pages import query_of

PREFILL = ("given_names", "family_names", "email")
#: shortest state the audit calls unguessable (~96 bits in URL-safe base64)
MIN_STATE = 16


def bp_1(obs: Observations) -> dict:
    """Pre-fill; state present, unguessable and single-use."""
    name = "Pre-filled authorize request; state present, unguessable, single-use"
    trips = [t for t in obs.trips.values() if t.authorize_url]
    connect = obs.trips.get("connect")
    if connect is None or not connect.authorize_url:
        return check("BP-1", name, None, "the site never sent the browser to ORCID")
    problems = []
    asked = query_of(connect.authorize_url)
    if not any(asked.get(key) for key in PREFILL):
        problems.append("nothing pre-filled (given_names, family_names, email)")
    states = [query_of(t.authorize_url).get("state", "") for t in trips]
    if not all(states):
        problems.append("an authorize request without state")
    elif min(len(s) for s in states) < MIN_STATE or len(set(states)) < len(states):
        problems.append(f"state guessable (shorter than {MIN_STATE} characters or repeated)")
    replay = obs.replay
    items = [url_item("the authorize request", connect.authorize_url)]
    if replay is None or replay.error:
        problems_or_none = None if not problems else False
        return check("BP-1", name, problems_or_none, "; ".join(problems) or
                     "the state could not be replayed: " + (replay.error if replay else ""),
                     items)
    taken = [c for c in replay.calls if is_token_call(c)]
    if taken:
        problems.append("a used state was accepted again: the site exchanged the code sent "
                        "with it")
    items += [calls_item("calls after replaying a used state with a fresh code", replay.calls),
              *screenshot_item("the site's answer to the replayed state", replay.returned)]
    crossed = obs.crossed
    if crossed is not None and not crossed.error:
        if any(is_token_call(c) for c in crossed.calls):
            problems.append("a state issued to one browser session was accepted from another "
                            "(not bound to the session)")
        items.append(calls_item("calls after another browser session delivered the state",
                                crossed.calls))
    return check("BP-1", name, not problems, "; ".join(problems) or
                 f"pre-filled {', '.join(k for k in PREFILL if asked.get(k))}; "
                 f"{len(states)} states, each of {min(len(s) for s in states)}+ characters, "
                 "a replayed one refused" + ("" if crossed is None or crossed.error else
                                            ", one from another session refused"), items)


def bp_2(obs: Observations) -> dict:
    """Every trip to ORCID after the first sign-in asked the researcher to sign in again."""
    name = "Signed out of ORCID before connecting"
    reached = [t for t in obs.trips.values() if t.shown]
    if len(reached) < 2:
        return check("BP-2", name, None, "the browser reached ORCID's pages fewer than twice")
    later = reached[1:]
    skipped = [t.purpose for t in later if "signin" not in t.shown]
    items = [{"kind": "pages", "caption": "ORCID pages shown on each trip",
              "data": {t.purpose: t.shown for t in reached}}]
    return check("BP-2", name, not skipped,
                 "an ORCID session left in the browser was used without signing in again "
                 f"({', '.join(skipped)})" if skipped else
                 "ORCID asked the researcher to sign in on every trip", items)


def bp_3(obs: Observations) -> dict:
    """Disconnect revokes the grant at ORCID."""
    name = "Disconnect revokes the grant at ORCID"
    phase = obs.phases.get("disconnect")
    if phase is None or not phase.ran:
        return check("BP-3", name, None, "the journey has no 'disconnect' steps")
    revoked = [c for c in phase.calls if inner_path(c) == "/oauth/revoke" and c["status"] == 200]
    again = obs.trips.get("connect-again")
    alive = again is not None and again.callback_url and "consent" not in again.shown and \
        "code" in query_of(again.callback_url)
    problems = ([phase.error] if phase.error else []) + \
        ([] if revoked else ["no revocation at ORCID (POST /oauth/revoke) on disconnect"]) + \
        (["the grant was still alive afterwards (ORCID did not ask again)"] if alive else [])
    return check("BP-3", name, not problems, "; ".join(problems) or "revoked at ORCID",
                 [calls_item("calls on disconnect", phase.calls),
                  *[i for v in phase.views for i in screenshot_item("after disconnect", v)]])


def bp_4(obs: Observations) -> dict:
    """A connected researcher is not sent to ORCID again."""
    name = "Existing permission checked before asking again"
    trip = obs.trips.get("while-connected")
    if trip is None:
        return check("BP-4", name, None, "the connect did not complete")
    if not trip.offered:
        return check("BP-4", name, True, "the connect control is not offered while connected")
    sent = [c for c in trip.calls if inner_path(c) == "/oauth/authorize"]
    return check("BP-4", name, not sent, "a connected researcher was sent to ORCID again"
                 if sent else "connect while connected did not go to ORCID",
                 [calls_item("calls when connecting while connected", trip.calls)])


def _sync(rid: str, name: str):
    """BP-5 and CC-SYNC: the update is a PUT to the item's put code, never a second POST."""
    def judge(obs: Observations) -> dict:
        phase = obs.phases.get("update")
        if phase is None or not phase.ran:
            return check(rid, name, None, "the journey has no 'update' steps")
        api = [c for c in phase.calls if is_api_call(c)]
        puts = [c for c in api if c["method"] == "PUT" and has_put_code(c) and c["status"] < 300]
        posts = [c for c in api if c["method"] == "POST"]
        problems = ([phase.error] if phase.error else []) + \
            ([f"{len(posts)} POST(s) on update: a second copy"] if posts else []) + \
            ([] if puts else ["no PUT to a put code on update"])
        return check(rid, name, not problems, "; ".join(problems) or
                     f"{len(puts)} PUT(s) to the put code", [calls_item("calls on update", api)])
    return judge


def display(rid: str, name: str):
    """BP-6 and CC-DISPLAY: the icon and the full https iD URI, linked, on every page listed."""
    def judge(obs: Observations) -> dict:
        phase = obs.phases.get("display")
        if phase is None or not phase.ran:
            return check(rid, name, None, "the journey lists no 'display' pages")
        missing = [v.label for v in phase.views if not v.shows_full_id(obs.orcid)]
        items = [{"kind": "pages", "caption": "iD links on the display pages",
                  "data": [v.as_evidence() for v in phase.views]}]
        items += [i for v in phase.views for i in screenshot_item(f"display page {v.url}", v)]
        return check(rid, name, not missing and bool(phase.views),
                     f"no linked full iD URI with the iD icon on {', '.join(missing)}"
                     if missing else "icon and full https iD URI, linked, on every page", items)
    return judge


def cc_auth(obs: Observations) -> dict:
    """The iD came through OAuth and the site shows it."""
    name = "Authenticated iD collected"
    connect = obs.trips.get("connect")
    tokens = [c for c in (connect.calls if connect else []) if is_token_call(c)]
    if not any(c["status"] == 200 for c in tokens):
        return check("CC-AUTH", name, False, "no successful code exchange on connect",
                     [calls_item("token calls on connect", tokens)])
    seen = [v.label for v in obs.site_views() if obs.orcid in v.text or any(
        obs.orcid in (link.get("href") or "") for link in v.links)]
    if not seen:
        return check("CC-AUTH", name, None, "the code exchange succeeded but no page showed "
                     "the iD, so the audit cannot tell it was kept")
    return check("CC-AUTH", name, True, f"exchanged through OAuth; shown on {seen[0]}",
                 [calls_item("token calls on connect", tokens)])


def cc_collect(obs: Observations) -> dict:
    """The site read the record with the researcher's permission."""
    reads = [c for c in obs.calls if is_api_call(c) and c["method"] == "GET"
             and c.get("host") == "api" and c["status"] == 200 and obs.orcid in c["path"]]
    return check("CC-COLLECT", "The site reads the record", bool(reads),
                 f"{len(reads)} read(s) of the record" if reads else
                 "the site never read the record through the member API",
                 [calls_item("reads of the record", reads)])


def cc_connect(obs: Observations) -> dict:
    """The site added an item to the record."""
    phase = obs.phases.get("write")
    name = "The site writes to the record"
    if phase is None or not phase.ran:
        return check("CC-CONNECT", name, None, "the journey has no 'write' steps")
    added = [c for c in phase.calls if is_api_call(c) and c["method"] == "POST"
             and c["status"] == 201]
    return check("CC-CONNECT", name, bool(added) and not phase.error,
                 phase.error or (f"{len(added)} item(s) added" if added else
                                 "no item added to the record (no POST answered 201)"),
                 [calls_item("calls on write", phase.calls)])


bp_5 = _sync("BP-5", "Updates through the put code")
cc_sync = _sync("CC-SYNC", "A change on the site reaches ORCID")
bp_6 = display("BP-6", "ORCID's branding: iD icon and full https iD URI")
cc_display = display("CC-DISPLAY", "Authenticated iD displayed")
