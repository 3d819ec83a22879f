"""Writes of the member API v3.0 (orcid-facts/member-api.md#writes,
orcid-facts/member-api.md#validation, orcid-facts/bodies.md): POST, PUT and DELETE of items.

``write`` answers a routed, authenticated write. ORCID sets the source, dates, path and
visibility; the content is checked by ``validation.py`` and stored in the JSON shape.
"""

from __future__ import annotations

import json

from webob import Request, Response

from . import codec, duplicates, records, scopes, validation, views
from .api_common import CONSUMED, MAX_BODY, MAX_BULK, Caller, item_qname, put_code, render
from .errors import ApiError, missing_scope, not_found, not_source, unroutable, wrong_record

_META = {"put-code", "path", "visibility", "source", "created-date", "last-modified-date",
         "display-index"}
#: person sections: what makes two items from one source the same (409/9030)
_PERSON_IDENTITY = {"other-names": ("content",), "keywords": ("content",),
                    "researcher-urls": ("url",), "address": ("country",),
                    "external-identifiers": ("external-id-type", "external-id-value")}


def read_body(request: Request, qname: str) -> dict:
    """The request body in the JSON shape: 415 for a wrong type, 9047/9020 when malformed."""
    ctype = (request.content_type or "").lower()
    fmt = CONSUMED.get(ctype)
    if fmt is None:
        raise unroutable(415, f"HTTP 415 Unsupported Media Type: {ctype or 'no Content-Type'}"
                              "; send application/vnd.orcid+json or application/vnd.orcid+xml")
    raw = request.body
    if len(raw) > MAX_BODY:
        raise ApiError(413, 9001, "413 Request Entity Too Large: the body is over 1 MB")
    if fmt == "xml":
        try:
            return codec.parse_xml(raw, qname)
        except codec.CodecError as exc:
            raise ApiError(400, 9020, "400 Bad Request: Invalid incoming message. Full "
                           f"validation error: {exc}") from exc
    try:
        data = json.loads(raw.decode("utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise ApiError(400, 9047, f"400 Bad Request: Invalid JSON: {exc}") from exc
    try:
        codec.check_json(data, qname)
    except codec.CodecError as exc:
        raise ApiError(400, 9047, f"400 Bad Request: Invalid JSON: {exc}") from exc
    return data


def write(request: Request, state, record, caller: Caller, rest: list[str],
          negotiated) -> tuple[Response, bool]:
    """Answer a POST/PUT/DELETE on ``/v3.0/{orcid}/{rest...}``: (response, record changed)."""
    section = rest[0]
    canonical = records.canonical_section(section) or "work"
    scope = "/activities/update" if canonical in records.ACTIVITIES else "/person/update"
    if not scopes.may_write(caller.scopes, scope, canonical):
        raise missing_scope(scope)
    if caller.orcid != record.orcid:
        raise wrong_record()
    if section == "works":
        return _bulk_post(request, state, record, caller, negotiated)
    qname = item_qname(canonical)
    if request.method == "POST":
        item = _create(state, record, caller, canonical, read_body(request, qname))
        response = Response(status=201)
        response.headers.pop("Content-Type", None)
        response.headers["Location"] = (f"{request.application_url}/orcid-api-web/v3.0/"
                                        f"{record.orcid}/{section}/{item.put_code}")
        return response, True
    code = put_code(rest[1])
    if request.method == "PUT":
        item = _update(state, record, caller, canonical, code, read_body(request, qname))
        return render(views.item_json(record, item), qname, negotiated), True
    item = _own_item(record, caller, canonical, code)
    record.remove(canonical, item.put_code)
    response = Response(status=204)
    response.headers.pop("Content-Type", None)
    return response, True


def _own_item(record, caller: Caller, section: str, code: int):
    item = record.find(section, code)
    if item is None:
        raise not_found(f"No {section} with put-code {code}")
    if item.source_client_id != caller.client_id:
        raise_not_source(section)
    return item


def raise_not_source(section: str) -> None:
    """403/9010 naming the kind of item."""
    raise not_source(records.PERSON.get(section, section).replace("-", " "))


def _check_duplicates(record, caller: Caller, section: str, content: dict,
                      skip: int | None = None) -> frozenset:
    """409 when ``content`` clashes with one of the caller's items; returns its duplicate
    keys (activities) so the caller stores them without computing them twice."""
    if section in records.ACTIVITIES:
        keys = duplicates.duplicate_keys(section, content)
        # the record's index of (source, key): no scan of every item per write
        clash = record.find_duplicate(section, caller.client_id, keys, skip=skip)
        if clash is not None:
            raise duplicates.duplicate_error(clash)
        return keys
    own = [i for i in record.section_items(section)
           if i.source_client_id == caller.client_id and i.put_code != skip]
    keys = _PERSON_IDENTITY[section]

    def identity(data):
        return tuple(json.dumps(data.get(k), sort_keys=True).lower() for k in keys)

    for other in own:
        if identity(other.data) == identity(content):
            raise ApiError(409, 9030, "409 Conflict: The element is duplicated: you already "
                           f"added it, see put-code {other.put_code}.")
    return duplicates.duplicate_keys(section, content)


def _create(state, record, caller: Caller, section: str, data: dict):
    if data.get("put-code") is not None:
        raise ApiError(400, 9024, "400 Bad Request: Put-code is included when not expected. "
                       "When posting new activities, the put code should be omitted.")
    data = validation.validate_item(section, data)
    content = {k: v for k, v in data.items() if k not in _META}
    keys = _check_duplicates(record, caller, section, content)
    now = records.now_ms(state.now())
    client = state.client(caller.client_id)
    item = records.Item(section=section, put_code=state.new_put_code(), data=content,
                        visibility=data.get("visibility") or record.default_visibility,
                        source_client_id=caller.client_id,
                        source_name=client.name if client else str(caller.client_id),
                        created=now, modified=now, keys=keys)
    record.add(item)
    return item


def _update(state, record, caller: Caller, section: str, code: int, data: dict):
    body_code = data.get("put-code")
    if str(body_code) != str(code):
        shown = "null" if body_code is None else body_code  # as ORCID's Java prints it
        raise ApiError(400, 9019, f"400 Bad Request: The put code in the URL was {code} "
                       f"whereas the one in the body was {shown}.")
    item = _own_item(record, caller, section, code)
    data = validation.validate_item(section, data)
    if data.get("visibility") not in (None, item.visibility):
        raise ApiError(403, 9035, "403 Forbidden: The visibility of the item can't be "
                       f"changed through the API (it is {item.visibility}).")
    content = {k: v for k, v in data.items() if k not in _META}
    keys = _check_duplicates(record, caller, section, content, skip=code)
    item.data = content
    item.keys = keys
    record.reindex(item)
    item.modified = max(records.now_ms(state.now()), item.created)
    record.modified = max(record.modified, item.modified)
    return item


def _bulk_post(request: Request, state, record, caller: Caller, negotiated):
    data = read_body(request, "bulk:bulk")
    entries = data.get("bulk")
    if not isinstance(entries, list):
        raise ApiError(400, 9020, "400 Bad Request: Invalid incoming message. Full validation "
                       "error: a bulk body is {\"bulk\": [{\"work\": {...}}, ...]}")
    if len(entries) > MAX_BULK:
        raise ApiError(413, 9001, "413 Request Entity Too Large: You are allowed to add up to "
                       f"{MAX_BULK} elements per request.")
    out, created = [], False
    for entry in entries:
        try:
            work = entry.get("work") if isinstance(entry, dict) else None
            if not isinstance(work, dict):
                raise ApiError(400, 9020, "400 Bad Request: Invalid incoming message. Full "
                               "validation error: each bulk element must be a work")
            item = _create(state, record, caller, "work", work)
            out.append({"work": views.item_json(record, item)})
            created = True
        except ApiError as err:
            out.append({"error": err.body()})
    return render({"bulk": out}, "bulk:bulk", negotiated), created
