"""Control calls on researchers and their records (``/_emulator/users``,
``/_emulator/records/...``); the call table is in ``control.py``'s docstring."""

from __future__ import annotations

from typing import TYPE_CHECKING

from webob import Request, Response

from . import duplicates, oauth, records, seed, validation
from .control_input import BadInput, body, choice, error, flag, text
from .errors import ApiError
from .responses import json_response
from .vocabularies import VISIBILITIES

if TYPE_CHECKING:  # pragma: no cover
    from .app import EmulatorApp

_VISIBILITY_FIELDS = ("name_visibility", "biography_visibility", "default_visibility",
                      "email_visibility")
_TEXT_FIELDS = ("credit_name", "biography", "locale")
_FLAG_FIELDS = ("email_verified", "locked", "deactivated")
_EMAIL_KEYS = {"email", "verified", "primary", "visibility"}


def add_user(request: Request, app: EmulatorApp) -> Response:
    """``POST users``: create a record with the optional fields ``records.new_record`` takes."""
    data = body(request)
    given = text(data, "given_names")
    email = text(data, "email")
    password = text(data, "password")
    orcid = text(data, "orcid", required=False)
    if orcid is not None and (not seed.valid_orcid(orcid) or app.state.record(orcid)):
        raise BadInput(f"'orcid' {orcid} is not a valid, unused ORCID iD")
    options = _record_options(data)
    addresses = [email] + [e if isinstance(e, str) else e["email"]
                           for e in options.get("emails", [])]
    for address in addresses:
        if seed.find_user(app.state, address) is not None:
            return error(409, f"a record with email {address} already exists")
    record = seed.create_user(app.state, given, text(data, "family_names", required=False),
                              email, password, orcid=orcid, **options)
    return json_response({"orcid": record.orcid}, 201)


def _record_options(data: dict) -> dict:
    """The optional record fields of ``POST users``, checked."""
    options: dict = {}
    for key in _VISIBILITY_FIELDS:
        options[key] = choice(data, key, VISIBILITIES)
    for key in _TEXT_FIELDS:
        options[key] = text(data, key, required=False)
    for key in _FLAG_FIELDS:
        options[key] = flag(data, key)
    deprecated_to = text(data, "deprecated_to", required=False)
    if deprecated_to is not None and not seed.valid_orcid(deprecated_to):
        raise BadInput(f"'deprecated_to' {deprecated_to} is not a valid ORCID iD")
    options["deprecated_to"] = deprecated_to
    emails = data.get("emails")
    if emails is not None:
        options["emails"] = _emails(emails)
    return {k: v for k, v in options.items() if v is not None}


def _emails(emails) -> list:
    """More addresses: strings (verified) or ``{email, verified, primary, visibility}``."""
    if not isinstance(emails, list):
        raise BadInput("'emails' must be a list of addresses or {email, verified, ...} objects")
    out: list = []
    for entry in emails:
        if isinstance(entry, str) and entry:
            out.append(entry)
            continue
        if not isinstance(entry, dict):
            raise BadInput("each of 'emails' must be an address or an object")
        unknown = set(entry) - _EMAIL_KEYS
        if unknown:
            raise BadInput(f"unknown email field(s) {', '.join(sorted(unknown))}; known: "
                           f"{', '.join(sorted(_EMAIL_KEYS))}")
        checked = {"email": text(entry, "email")}
        for key in ("verified", "primary"):
            if flag(entry, key) is not None:
                checked[key] = entry[key]
        if choice(entry, "visibility", VISIBILITIES) is not None:
            checked["visibility"] = entry["visibility"]
        out.append(checked)
    return out


def records_call(request: Request, app: EmulatorApp, parts: list[str]) -> Response:
    """``records/{orcid}...``: read, delete, edit or add an item, revoke a client."""
    if not parts:
        return error(404, "records/{orcid} expected")
    record = app.state.record(parts[0])
    if record is None:
        return error(404, f"no record {parts[0]}")
    if request.method == "GET" and len(parts) == 1:
        with app.state.lock:
            return json_response(record.to_control_json())
    if request.method == "DELETE" and len(parts) == 3:
        if not parts[2].isdigit():
            raise BadInput("put code must be a number")
        with app.state.lock:
            deleted = record.delete_item_as_user(parts[1], int(parts[2]))
        if not deleted:
            return error(404, f"no {parts[1]} item {parts[2]} on {parts[0]}")
        app.state.notify_record_changed(parts[0])
        return Response(status=204)
    if request.method == "POST" and len(parts) == 3 and parts[1] == "revoke":
        if app.state.client(parts[2]) is None:
            return error(404, f"no client {parts[2]}")
        return json_response({"revoked": oauth.revoke_client_tokens(app.state, parts[0],
                                                                    parts[2])})
    if request.method == "POST" and len(parts) == 3 and parts[1] == "items":
        return _add_item(request, app, record, parts[2])
    if request.method == "PUT" and len(parts) == 3:
        return _edit_item(request, app, record, parts[1], parts[2])
    return error(404, "unknown records call")


def _add_item(request: Request, app: EmulatorApp, record, section: str) -> Response:
    """``POST records/{orcid}/items/{section}`` ``{item, source_client_id?, visibility?}``:
    put an item on the record as the researcher (no client) or as a registered client,
    checked as the member API checks it; 201 ``{"put_code"}``."""
    canonical = records.canonical_section(section)
    if canonical is None:
        return error(404, f"unknown section {section!r}; known: "
                          f"{', '.join(list(records.ACTIVITIES) + list(records.PERSON))}")
    data = body(request)
    item = data.get("item")
    if not isinstance(item, dict):
        raise BadInput("'item' must be the item as a JSON object (the API's JSON shape)")
    client_id = text(data, "source_client_id", required=False)
    client = app.state.client(client_id) if client_id else None
    if client_id and client is None:
        return error(404, f"no client {client_id}")
    visibility = choice(data, "visibility", VISIBILITIES)
    if item.get("put-code") is not None:
        raise BadInput("'item' must not carry a put-code: the emulator assigns it")
    try:
        checked = validation.validate_item(canonical, item)
    except ApiError as exc:
        raise BadInput(f"invalid {section}: {exc.developer}") from None
    content = {k: v for k, v in checked.items() if k not in records.META_KEYS}
    with app.state.lock:
        when = records.now_ms(app.state.now())
        added = records.Item(
            section=canonical, put_code=app.state.new_put_code(), data=content,
            visibility=visibility or checked.get("visibility") or record.default_visibility,
            source_client_id=client_id, source_name=client.name if client else record.full_name,
            created=when, modified=when, keys=duplicates.duplicate_keys(canonical, content))
        record.add(added)
    app.state.notify_record_changed(record.orcid)
    return json_response({"put_code": added.put_code}, 201)


def _edit_item(request: Request, app: EmulatorApp, record, section: str,
               code: str) -> Response:
    """``PUT records/{orcid}/{section}/{put_code}`` ``{item?, visibility?}``: the researcher
    changes an item on ORCID (any source): new content (the API's JSON shape, checked as the
    API checks it) and/or visibility. Its last-modified date moves on (at least 1 ms, so a
    reader comparing dates always sees the change); webhooks fire. 200 with the item."""
    canonical = records.canonical_section(section)
    if canonical is None:
        return error(404, f"unknown section {section!r}")
    if not code.isdigit():
        raise BadInput("put code must be a number")
    data = body(request)
    item = data.get("item")
    visibility = choice(data, "visibility", VISIBILITIES)
    if item is None and visibility is None:
        raise BadInput("give 'item' (the new content) and/or 'visibility'")
    content = None
    if item is not None:
        if not isinstance(item, dict):
            raise BadInput("'item' must be the item as a JSON object (the API's JSON shape)")
        if item.get("put-code") not in (None, int(code)):
            raise BadInput(f"'item' carries put-code {item.get('put-code')}, not {code}")
        try:
            checked = validation.validate_item(canonical, item)
        except ApiError as exc:
            raise BadInput(f"invalid {section}: {exc.developer}") from None
        content = {k: v for k, v in checked.items() if k not in records.META_KEYS}
    with app.state.lock:
        found = record.find(canonical, int(code))
        if found is None:
            return error(404, f"no {section} item {code} on {record.orcid}")
        if content is not None:
            found.data = content
            found.keys = duplicates.duplicate_keys(canonical, content)
            record.reindex(found)
        if visibility is not None:
            found.visibility = visibility
        found.modified = max(records.now_ms(app.state.now()), found.modified + 1)
        record.modified = max(record.modified, found.modified)
        answer = found.to_control_json()
    app.state.notify_record_changed(record.orcid)
    return json_response(answer)
