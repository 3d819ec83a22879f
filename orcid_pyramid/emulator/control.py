"""The control API under ``/_emulator/`` (design.md, "Emulator"), JSON in and out.

| call | does |
|---|---|
| ``POST reset`` | forget everything, back to the seed |
| ``GET clients`` | list registered clients (extra, for debugging) |
| ``POST clients`` ``{client_id, client_secret, redirect_uris, member, premium, name}`` | 201 |
| ``POST users`` ``{given_names, family_names, email, password[, orcid]}`` | 201 ``{"orcid"}`` |
| ``POST authorize`` ``{orcid, client_id, scope, redirect_uri, state[, nonce]}`` | redirect |
| ``GET records/{orcid}`` | the whole record, each item with put code and source |
| ``DELETE records/{orcid}/{section}/{put_code}`` | the user deletes an item (204) |
| ``POST records/{orcid}/revoke/{client_id}`` | the user revokes the client (``{"revoked": n}``) |
| ``GET|PUT faults`` ``{rate, kinds, seed[, timeout_s]}`` · ``GET|PUT latency`` ``{ms}`` | |
| ``GET|PUT ratelimit`` ``{"rate_limit": "24/40" or null}`` (extra) | |
| ``GET calls`` (``?since=N`` skips the first N) | every request: method, path, host, status... |
| ``GET webhooks`` (extra) | registered webhooks and delivery attempts |
| ``GET errors`` (extra) | unexpected exceptions the emulator caught (should be empty) |

Control calls never get faults, latency or rate limits, and are recorded in ``calls`` too.
"""

from __future__ import annotations

import json
import secrets
import string
from typing import TYPE_CHECKING

from webob import Request, Response

from . import oauth, seed
from .faults import FaultConfig
from .responses import add_query, json_response

if TYPE_CHECKING:  # pragma: no cover
    from .app import EmulatorApp


def _error(status: int, message: str) -> Response:
    return json_response({"error": message}, status)


class _Bad(Exception):
    pass


def _body(request: Request) -> dict:
    if not request.body:
        return {}
    try:
        data = json.loads(request.body)
    except (ValueError, UnicodeDecodeError):
        raise _Bad("the body is not valid JSON") from None
    if not isinstance(data, dict):
        raise _Bad("the body must be a JSON object")
    return data


def _text(data: dict, key: str, required: bool = True) -> str | None:
    value = data.get(key)
    if value is None or value == "":
        if required:
            raise _Bad(f"'{key}' is required")
        return None
    if not isinstance(value, str):
        raise _Bad(f"'{key}' must be a string")
    return value


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
            return _add_user(request, app)
        if route == ("POST", "authorize"):
            return _authorize(request, app)
        if parts and parts[0] == "records":
            return _records(request, app, parts[1:])
        if route == ("GET", "faults"):
            return json_response(app.faults.config.as_json())
        if route == ("PUT", "faults"):
            app.faults.configure(FaultConfig.from_json(_body(request)))
            return json_response(app.faults.config.as_json())
        if route[1] == "latency" and method in ("GET", "PUT"):
            return _latency(request, app)
        if route[1] == "ratelimit" and method in ("GET", "PUT"):
            if method == "PUT":
                app.set_rate_limit(_body(request).get("rate_limit"))
            return json_response({"rate_limit": str(app.rate_spec) if app.rate_spec else None})
        if route == ("GET", "calls"):
            since = request.GET.get("since", "0")
            start = int(since) if since.isdigit() else 0
            with app.state.lock:
                calls = [c.as_json() for c in app.state.calls[start:]]
            return json_response({"calls": calls})
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


def _add_user(request: Request, app: EmulatorApp) -> Response:
    data = _body(request)
    given = _text(data, "given_names")
    email = _text(data, "email")
    password = _text(data, "password")
    orcid = _text(data, "orcid", required=False)
    if orcid is not None and (not seed.valid_orcid(orcid) or app.state.record(orcid)):
        raise _Bad(f"'orcid' {orcid} is not a valid, unused ORCID iD")
    if seed.find_user(app.state, email) is not None:
        return _error(409, f"a record with email {email} already exists")
    record = seed.create_user(app.state, given, _text(data, "family_names", required=False),
                              email, password, orcid=orcid)
    return json_response({"orcid": record.orcid}, 201)


def _authorize(request: Request, app: EmulatorApp) -> Response:
    data = _body(request)
    orcid = _text(data, "orcid")
    if app.state.record(orcid) is None:
        return _error(404, f"no record {orcid}")
    params = {k: v for k, v in data.items() if isinstance(v, str)}
    try:
        req = oauth.check_authorize(app.state, params)
    except oauth.AuthorizeError as exc:
        body = {"error": exc.error, "error_description": exc.description}
        if exc.redirect:
            body["redirect"] = add_query(params["redirect_uri"], {
                "error": exc.error, "error_description": exc.description,
                "state": params.get("state")})
        return json_response(body, 400)
    code = oauth.issue_code(app.state, req, orcid, app.state.now())
    return json_response({"redirect": add_query(req.redirect_uri,
                                                {"code": code, "state": req.state})})


def _records(request: Request, app: EmulatorApp, parts: list[str]) -> Response:
    if not parts:
        return _error(404, "records/{orcid} expected")
    record = app.state.record(parts[0])
    if record is None:
        return _error(404, f"no record {parts[0]}")
    if request.method == "GET" and len(parts) == 1:
        with app.state.lock:
            return json_response(record.to_control_json())
    if request.method == "DELETE" and len(parts) == 3:
        if not parts[2].isdigit():
            raise _Bad("put code must be a number")
        with app.state.lock:
            deleted = record.delete_item_as_user(parts[1], int(parts[2]))
        if not deleted:
            return _error(404, f"no {parts[1]} item {parts[2]} on {parts[0]}")
        app.state.notify_record_changed(parts[0])
        return Response(status=204)
    if request.method == "POST" and len(parts) == 3 and parts[1] == "revoke":
        if app.state.client(parts[2]) is None:
            return _error(404, f"no client {parts[2]}")
        return json_response({"revoked": oauth.revoke_client_tokens(app.state, parts[0],
                                                                    parts[2])})
    return _error(404, "unknown records call")


def _latency(request: Request, app: EmulatorApp) -> Response:
    if request.method == "PUT":
        value = _body(request).get("ms")
        if not isinstance(value, int | float) or isinstance(value, bool) or value < 0:
            raise _Bad("'ms' must be a number of milliseconds, 0 or more")
        app.faults.latency_ms = float(value)
    return json_response({"ms": app.faults.latency_ms})

