"""The control API under ``/_emulator/`` (design.md, "Emulator"), JSON in and out.

| call | does |
|---|---|
| ``POST reset`` | forget everything, back to the seed |
| ``GET clients`` | list registered clients (extra, for debugging) |
| ``POST clients`` ``{client_id, client_secret, redirect_uris, member, premium, name}`` | 201 |
| ``POST users`` ``{given_names, family_names, email, password[, orcid, ...]}`` | 201 (below) |
| ``POST authorize`` ``{orcid, client_id, scope, redirect_uri, state[, nonce]}`` | redirect |
| ``GET records/{orcid}`` | the whole record, each item with put code and source |
| ``POST records/{orcid}/items/{section}`` ``{item, source_client_id?, visibility?}`` | 201 |
| ``DELETE records/{orcid}/{section}/{put_code}`` | the user deletes an item (204) |
| ``PUT records/{orcid}/{section}/{put_code}`` ``{item?, visibility?}`` | the user edits it (200) |
| ``POST records/{orcid}/revoke/{client_id}`` | the user revokes the client (``{"revoked": n}``) |
| ``GET|PUT faults`` ``{rate, kinds, seed[, timeout_seconds]}`` | |
| ``GET|PUT latency`` ``{ms[, connect_ms]}`` (``connect_ms``: HTTPS, before each handshake) | |
| ``GET|PUT ratelimit`` ``{"rate_limit": "24/40", "public_rate_limit": "12/40"}`` | null: off |
| ``GET calls`` ``[?since=INDEX|TIME][&limit=N]`` | requests: index, method, path, host, status... |
| ``GET webhooks`` (extra) | registered webhooks and delivery attempts |
| ``GET errors`` (extra) | unexpected exceptions the emulator caught (should be empty) |

``POST users`` answers ``{"orcid"}``. It also takes the optional record fields of
``records.new_record``: ``credit_name``, ``biography``, ``locale`` (strings);
``name_visibility``, ``biography_visibility``, ``default_visibility``, ``email_visibility``
(``public``, ``limited``, ``registered-only``, ``private``); ``email_verified``, ``locked``,
``deactivated`` (true/false); ``deprecated_to`` (the primary record's iD: reads answer
301/9007); ``emails`` (more addresses: strings, verified, or ``{email, verified, primary,
visibility}``; the API only ever shows verified ones).

``POST records/{orcid}/items/{section}`` (201 ``{"put_code"}``) puts data on a record for a
test: ``item`` is the item in the API's JSON shape (checked as the API checks it, no put
code); without ``source_client_id`` the researcher adds it (as in ORCID's UI), with it the
registered client is the source; ``visibility`` defaults to the item's, else the record's
default. Webhooks fire as for any change. Sections as in the API, singular or plural
(``work``, ``employments``, ``keywords``...).

``PUT records/{orcid}/{section}/{put_code}`` (200, the item as ``GET records`` lists it):
the researcher changes an item on ORCID, whatever its source: ``item`` is the new content
(the API's JSON shape, checked as the API checks it), ``visibility`` the new visibility; at
least one of them. The item's and the record's last-modified dates move on (by at least
1 ms); webhooks fire.

``GET faults`` answers ``timeout_seconds`` (how long a ``timeout`` fault holds the request);
``PUT`` takes it (``timeout_s`` is the older spelling, still accepted).

``GET calls`` keeps the newest 10,000 calls since the last reset, oldest first, each with its
``index`` (0 for the first call after a reset; indexes are never reused until the next reset)
and ``time`` (seconds since the epoch). ``since`` is an index (an integer) or a time (a number
with a decimal point, a number from 1,000,000,000 up, or an ISO 8601 date-time): only calls
from there on; ``limit=N``: the oldest N of those. The answer is ``{"calls": [...], "next":
INDEX}``, ``next`` being the index the next call will get (ask ``since=next`` to page). A
request that began before a reset is never listed after it.

Control calls never get faults, latency or rate limits, and are recorded in ``calls`` too.
"""

from __future__ import annotations

import secrets
import string
from datetime import datetime
from typing import TYPE_CHECKING, Any

from webob import Request, Response

from . import authorize, seed
from .control_input import BadInput as _Bad
from .control_input import body as _body
from .control_input import error as _error
from .control_input import text as _text
from .control_records import add_user, records_call
from .faults import FaultConfig
from .responses import json_response

if TYPE_CHECKING:  # pragma: no cover
    from .app import EmulatorApp


def handle_control(request: Request, app: EmulatorApp, path: str) -> Response:
    """Dispatch ``/_emulator/{path}``."""
    parts = [p for p in path.split("/") if p]
    method = request.method
    try:
        route = (method, parts[0] if parts else "")
        if route == ("POST", "reset"):
            app.reset()
            return json_response({"reset": True, "seed": app.seed})
        if route == ("GET", "clients"):
            return json_response({"clients": [_client_json(c) for c in
                                              list(app.state.clients.values())]})
        if route == ("POST", "clients"):
            return _add_client(request, app)
        if route == ("POST", "users"):
            return add_user(request, app)
        if route == ("POST", "authorize"):
            return _authorize(request, app)
        if parts and parts[0] == "records":
            return records_call(request, app, parts[1:])
        if route == ("GET", "faults"):
            return json_response(app.faults.config.as_json())
        if route == ("PUT", "faults"):
            app.faults.configure(FaultConfig.from_json(_body(request)))
            return json_response(app.faults.config.as_json())
        if route[1] == "latency" and method in ("GET", "PUT"):
            return _latency(request, app)
        if route[1] == "ratelimit" and method in ("GET", "PUT"):
            if method == "PUT":
                body = _body(request)
                app.set_rate_limit(body.get("rate_limit", ...),
                                   body.get("public_rate_limit", ...))
            return json_response({"rate_limit": _spec_text(app.rate_specs["member"]),
                                  "public_rate_limit": _spec_text(app.rate_specs["public"])})
        if route == ("GET", "calls"):
            return _calls(request, app)
        if route == ("GET", "webhooks"):
            with app.state.lock:
                hooks = [{"orcid": w.orcid, "callback": w.callback, "client_id": w.client_id}
                         for w in app.state.webhooks.values()]
                deliveries = list(app.state.deliveries)
            return json_response({"webhooks": hooks, "deliveries": deliveries})
        if route == ("GET", "errors"):
            with app.state.lock:
                return json_response({"errors": list(app.state.errors)})
    except (_Bad, ValueError) as exc:
        return _error(400, str(exc))
    return _error(404 if method in ("GET", "POST", "PUT", "DELETE") else 405,
                  f"no control call {method} /_emulator/{path}")


def _spec_text(spec) -> str | None:
    return str(spec) if spec else None


def _client_json(client) -> dict:
    return {"client_id": client.client_id, "name": client.name,
            "redirect_uris": list(client.redirect_uris), "member": client.member,
            "premium": client.premium}


def _add_client(request: Request, app: EmulatorApp) -> Response:
    data = _body(request)
    alphabet = string.ascii_uppercase + string.digits
    client_id = _text(data, "client_id", required=False) or (
        "APP-" + "".join(secrets.choice(alphabet) for _ in range(16)))
    secret = _text(data, "client_secret", required=False) or secrets.token_urlsafe(24)
    uris = data.get("redirect_uris", [])
    if isinstance(uris, str):
        uris = [uris]
    if not isinstance(uris, list) or not all(isinstance(u, str) for u in uris):
        raise _Bad("'redirect_uris' must be a list of strings")
    for flag in ("member", "premium"):
        if not isinstance(data.get(flag, True), bool):
            raise _Bad(f"'{flag}' must be true or false")
    if app.state.client(client_id) is not None:
        return _error(409, f"client {client_id} already exists")
    client = seed.add_client(app.state, client_id, secret,
                             _text(data, "name", required=False) or client_id, uris,
                             member=data.get("member", True), premium=data.get("premium", False))
    body = _client_json(client)
    body["client_secret"] = secret
    return json_response(body, 201)


def _authorize(request: Request, app: EmulatorApp) -> Response:
    data = _body(request)
    orcid = _text(data, "orcid")
    if app.state.record(orcid) is None:
        return _error(404, f"no record {orcid}")
    params = {k: v for k, v in data.items() if isinstance(v, str)}
    try:
        req = authorize.check_authorize(app.state, params)
    except authorize.AuthorizeError as exc:
        body = {"error": exc.error, "error_description": exc.description}
        if exc.redirect:
            body["redirect"] = authorize.redirect_to(
                params["redirect_uri"], params.get("response_type"),
                {"error": exc.error, "error_description": exc.description,
                 "state": params.get("state")})
        return json_response(body, 400)
    return json_response({"redirect": authorize.answer_url(request, app.state, req, orcid,
                                                          app.state.now())})


def _latency(request: Request, app: EmulatorApp) -> Response:
    if request.method == "PUT":
        body = _body(request)
        value = body.get("ms")
        if not _milliseconds(value):
            raise _Bad("'ms' must be a number of milliseconds, 0 or more")
        connect = body.get("connect_ms", app.faults.connect_ms)
        if not _milliseconds(connect):
            raise _Bad("'connect_ms' must be a number of milliseconds, 0 or more")
        app.faults.latency_ms = float(value)
        app.faults.connect_ms = float(connect)
    return json_response({"ms": app.faults.latency_ms, "connect_ms": app.faults.connect_ms})


def _milliseconds(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and 0 <= value < 1e9



#: below this, a whole number given as ``since`` is an index; from it up, epoch seconds
_EPOCH_FLOOR = 1_000_000_000


def _calls(request: Request, app: EmulatorApp) -> Response:
    """``GET calls[?since=INDEX|TIME][&limit=N]`` (see the module docstring)."""
    index, since_time = _since(request.GET.get("since", "").strip())
    limit_text = request.GET.get("limit", "").strip()
    if limit_text and not limit_text.isdigit():
        raise _Bad(f"'limit' must be a whole number, not {limit_text!r}")
    limit = int(limit_text) if limit_text else None
    with app.state.lock:
        calls = [c.as_json() for c in app.state.calls_since(index, since_time, limit)]
        following = app.state.calls_recorded
    return json_response({"calls": calls, "next": following})


def _since(text: str) -> tuple[int, float | None]:
    """(first index, earliest time or None) from ``since``."""
    if not text:
        return 0, None
    if text.isdigit() and int(text) < _EPOCH_FLOOR:
        return int(text), None
    try:
        return 0, float(text)
    except ValueError:
        pass
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise _Bad(f"'since' must be a call index, epoch seconds or an ISO 8601 date-time, "
                   f"not {text!r}") from None
    if when.tzinfo is None:
        raise _Bad(f"'since' {text!r} needs a time zone (e.g. Z)")
    return 0, when.timestamp()
