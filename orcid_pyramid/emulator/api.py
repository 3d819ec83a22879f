"""ORCID's member (``api``) and public (``pub``) API v3.0 over a record store.

``handle_api`` is the one entry point (``app.py`` calls it for ``/v3.0/...``). It negotiates
the content type, authenticates the bearer token, routes to a read or a write, and renders
ORCID's bodies and errors (api-facts §3, §4, §14). All work happens under ``state.lock``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from webob import Request, Response

from . import codec, records, validation
from .errors import (
    ApiError,
    TokenError,
    error_xml,
    missing_scope,
    not_found,
    not_source,
    unroutable,
    wrong_record,
)
from .scopes import expand

MAX_BODY = 1024 * 1024
MAX_BULK = 100
ORCID_RE = re.compile(r"^\d{4}-\d{4}-\d{4}-\d{3}[\dX]$")
#: what ORCID produces, with its server weights (qs): no Accept or */* gives XML (§3.1)
PRODUCED = (("application/vnd.orcid+xml", 5, "xml"), ("application/vnd.orcid+json", 4, "json"),
            ("application/orcid+xml", 3, "xml"), ("application/orcid+json", 2, "json"),
            ("application/xml", 1, "xml"), ("application/json", 1, "json"))
CONSUMED = {ctype: fmt for ctype, _qs, fmt in PRODUCED}
READ_LIMITED = {"activities": "/activities/read-limited", "person": "/person/read-limited"}


@dataclass
class Caller:
    """Who is calling: the token's client and record, and what it may see."""

    client_id: str | None
    orcid: str | None
    scopes: frozenset[str]
    public_only: bool

    def sees(self, record: records.Record, visibility: str, area: str = "activities",
             source: str | None = None) -> bool:
        """ORCID's read filter (§3.3): own items always; limited needs read-limited."""
        if source and not self.public_only and source == self.client_id:
            return True
        if visibility == "public":
            return True
        if self.public_only or self.orcid != record.orcid:
            return False
        if visibility == "limited":
            return "/read-limited" in self.scopes or READ_LIMITED[area] in self.scopes
        return visibility == "private" and area == "email" and "/email/read-private" in self.scopes


def negotiate(accept: str | None) -> tuple[str, str] | None:
    """(content type, "xml"|"json") for an Accept header; None when nothing fits (406)."""
    if not accept or not accept.strip():
        return PRODUCED[0][0], PRODUCED[0][2]
    ranges = []
    for part in accept.split(","):
        media, *params = [p.strip() for p in part.split(";")]
        q = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if media:
            ranges.append((media.lower(), q))
    best, best_score = None, 0.0
    for ctype, qs, fmt in PRODUCED:
        main = ctype.split("/")[0]
        matches = [(2 if m == ctype else 1 if m == f"{main}/*" else 0, q) for m, q in ranges
                   if m in (ctype, f"{main}/*", "*/*")]
        if not matches:
            continue
        q = max(matches)[1]
        if q > 0 and q * qs > best_score:
            best, best_score = (ctype, fmt), q * qs
    return best


def render(data: dict, qname: str, negotiated: tuple[str, str], status: int = 200) -> Response:
    """A body in the negotiated format (XML from the JSON shape through the codec)."""
    ctype, fmt = negotiated
    body = json.dumps(data).encode("utf-8") if fmt == "json" else codec.to_xml(data, qname)
    return Response(body=body, status=status, content_type=ctype, charset="UTF-8")


def error_response(err: ApiError, negotiated: tuple[str, str] | None) -> Response:
    """ORCID's five-key error; with no acceptable type, XML without a Content-Type (§3.1)."""
    if negotiated is None:
        response = Response(body=error_xml(err.body()), status=err.status)
        response.headers.pop("Content-Type", None)
    elif negotiated[1] == "json":
        response = Response(body=json.dumps(err.body()).encode("utf-8"), status=err.status,
                            content_type=negotiated[0], charset="UTF-8")
    else:
        response = Response(body=error_xml(err.body()), status=err.status,
                            content_type=negotiated[0], charset="UTF-8")
    response.headers.update(err.headers)
    return response


def bearer(request: Request) -> str | None:
    """The bearer token of the Authorization header, or None."""
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() or None if scheme.lower() == "bearer" else None


def authenticate(request: Request, state, host: str, orcid: str) -> Caller:
    """The caller behind the bearer token; TokenError/ApiError when it may not call (§4.1)."""
    raw = bearer(request)
    if raw is None:
        if host == "pub" and request.method == "GET":
            return Caller(None, None, frozenset({"/read-public"}), public_only=True)
        raise ApiError(403, 9014, "403 Forbidden: Full authentication is required to access "
                       "this resource: send an access token (Authorization: Bearer)")
    token = state.find_token(raw)
    if token is None:
        raise TokenError(raw)
    if not token.live(state.now()):
        # ORCID quirk kept on purpose: a revoked token still deletes (issue, api-facts).
        expired = state.now() >= token.expires_at
        if not (token.revoked and not expired and request.method == "DELETE"):
            raise TokenError(raw)
    if token.orcid is not None and token.orcid != orcid:
        raise wrong_record()
    return Caller(token.client_id, token.orcid, expand(token.scopes),
                  public_only=host == "pub" or token.orcid is None)


def handle_api(request: Request, state, host: str, path: str) -> Response:
    """Answer one member/public API v3.0 request; ``path`` starts with ``/v3.0/``."""
    negotiated = negotiate(request.headers.get("Accept"))
    try:
        if negotiated is None:
            raise unroutable(406, "HTTP 406 Not Acceptable: "
                                  f"{request.headers.get('Accept')}")
        with state.lock:
            response, changed = _dispatch(request, state, host, path, negotiated)
            if changed:
                state.notify_record_changed(changed)
        return response
    except ApiError as err:
        return error_response(err, negotiated)
    except TokenError as err:
        response = Response(body=json.dumps(err.body()).encode("utf-8"), status=401,
                            content_type="application/json", charset="UTF-8")
        response.headers["WWW-Authenticate"] = ('Bearer realm="ORCID T2 API", '
                                                'error="invalid_token"')
        return response


# --- routing -----------------------------------------------------------------------------------

#: read-only views: path segment -> root element
_VIEWS = {"record": "record:record", "person": "person:person",
          "activities": "activities:activities-summary",
          "personal-details": "personal-details:personal-details",
          "biography": "personal-details:biography", "email": "email:emails"}


def _item_qname(section: str) -> str:
    element = records.PERSON.get(section, section)
    return f"{element}:{element}"


def _list_qname(section: str) -> str:
    if section in records.ACTIVITIES:
        return f"activities:{records.ACTIVITIES[section]}"
    element = records.PERSON[section]
    return f"{element}:{'addresses' if section == 'address' else section}"


def _dispatch(request: Request, state, host: str, path: str, negotiated):
    """(response, iD of a changed record or None)."""
    parts = [p for p in path.split("/") if p][1:]  # drop "v3.0"
    if not parts or not ORCID_RE.match(parts[0]):
        raise unroutable(404, f"HTTP 404 Not Found ({path})")
    orcid, rest = parts[0], parts[1:] or ["record"]
    _check_route(rest, request.method, path)
    record = state.record(orcid)
    if record is None:
        raise not_found(f"ORCID iD {orcid} not found")
    _check_record_state(request, host, record)
    caller = authenticate(request, state, host, orcid)
    if request.method == "GET":
        return _read(record, caller, rest, negotiated), None
    if host == "pub":
        raise unroutable(405, "HTTP 405 Method Not Allowed: the public API is read-only")
    response, changed = _write(request, state, record, caller, rest, negotiated)
    return response, orcid if changed else None


def _check_record_state(request: Request, host: str, record) -> None:
    """Deprecated 301/9007 (Location: the primary record), locked 409/9018, deactivated
    409/9044 (OrcidSecurityManagerImpl.checkProfile, api-facts §3.4)."""
    if record.deprecated_to:
        prefix = f"/{host}" if request.path_info.startswith(f"/{host}/") else ""
        raise ApiError(301, 9007, "301 Moved Permanently: This account is deprecated. Please "
                       f"refer to account: {record.deprecated_to}",
                       headers={"Location": f"{request.application_url}{prefix}/v3.0/"
                                            f"{record.deprecated_to}"})
    if record.locked:
        raise ApiError(409, 9018, "409 Conflict: The ORCID record is locked and cannot be "
                       "edited or read.")
    if record.deactivated:
        raise ApiError(409, 9044, "409 Conflict: The ORCID record is deactivated.")


def _check_route(rest: list[str], method: str, path: str) -> None:
    """404 for a path the API does not have, 405 for a method it does not take (9001)."""
    section, length = rest[0], len(rest)
    if section in _VIEWS or section == "summary":
        allowed = ("GET",) if length == 1 else None
    elif section == "works":  # summaries, bulk POST, bulk read
        allowed = {1: ("GET", "POST"), 2: ("GET",)}.get(length)
    elif section in records.ACTIVITIES.values():
        allowed = ("GET",) if length == 1 else None
    elif section in records.ACTIVITIES:
        allowed = {1: ("POST",), 2: ("GET", "PUT", "DELETE")}.get(length)
        if length == 3 and rest[1] == "summary":
            allowed = ("GET",)
    elif section in records.PERSON:
        allowed = {1: ("GET", "POST"), 2: ("GET", "PUT", "DELETE")}.get(length)
    else:
        allowed = None
    if allowed is None:
        raise unroutable(404, f"HTTP 404 Not Found ({path})")
    if method not in allowed:
        raise unroutable(405, f"HTTP 405 Method Not Allowed ({method} {path})")


def _put_code(text: str) -> int:
    if not text.isdigit():
        raise ApiError(400, 9034, f"400 Bad Request: Invalid put-code {text!r}: it must be a "
                       "number")
    return int(text)


# --- reads -------------------------------------------------------------------------------------

def _read(record, caller: Caller, rest: list[str], negotiated) -> Response:
    section = rest[0]
    person = {"visibility": lambda v: caller.sees(record, v, "person")}
    see_person = person["visibility"]

    def see_item(item) -> bool:
        area = "activities" if item.section in records.ACTIVITIES else "person"
        return caller.sees(record, item.visibility, area, item.source_client_id)

    if section == "record":
        return render(records.record_json(record, see_item, see_person), _VIEWS[section],
                      negotiated)
    if section == "person":
        return render(records.person_json(record, see_item, see_person), _VIEWS[section],
                      negotiated)
    if section == "personal-details":
        return render(records.personal_details_json(record, see_item, see_person),
                      _VIEWS[section], negotiated)
    if section == "activities":
        return render(records.activities_json(record, see_item), _VIEWS[section], negotiated)
    if section == "email":
        return render(records.emails_json(record, lambda v: caller.sees(record, v, "email")),
                      _VIEWS[section], negotiated)
    if section == "biography":
        return _read_biography(record, caller, negotiated)
    if section == "summary":
        return _read_summary(record, caller, see_item, negotiated)
    canonical = records.canonical_section(section)
    if section == "works" and len(rest) == 2:
        return _read_bulk(record, rest[1], see_item, caller, negotiated)
    if len(rest) == 1:
        if canonical in records.ACTIVITIES:
            body = records.activity_section_json(record, canonical, see_item)
        else:
            body = records.person_section_json(record, canonical, see_item)
        return render(body, _list_qname(canonical), negotiated)
    item = record.find(canonical, _put_code(rest[-1]))
    if item is None:
        raise not_found(f"No {section} with put-code {rest[-1]}")
    _check_visible(record, caller, item, see_item)
    if len(rest) == 3:  # /{activity}/summary/{put-code}
        return render(records.summary_json(record, item),
                      f"{canonical}:{canonical}-summary", negotiated)
    return render(records.item_json(record, item), _item_qname(canonical), negotiated)


def _check_visible(record, caller: Caller, item, see_item) -> None:
    if see_item(item):
        return
    if caller.public_only:
        raise ApiError(403, 9039, "403 Forbidden: The item is not public and cannot be "
                       "accessed with the Public API.")
    if item.visibility == "private":
        raise ApiError(403, 9013, "403 Forbidden: The item is private and you are not the "
                       "source of it.")
    raise ApiError(403, 9038, "409 Conflict: The item has a limited or private visibility and "
                   "your request doesn't have the required scope.")


def _read_biography(record, caller: Caller, negotiated) -> Response:
    if not record.biography:
        raise ApiError(404, 9041, "404 Not Found: The biography was not found.")
    body = records.biography_json(record, lambda v: caller.sees(record, v, "person"))
    if body is None:
        raise ApiError(403, 9039 if caller.public_only else 9038, "403 Forbidden: The "
                       "biography is not public and your request doesn't have the required "
                       "scope.")
    return render(body, _VIEWS["biography"], negotiated)


def _read_summary(record, caller: Caller, see_item, negotiated) -> Response:
    if caller.client_id is None or caller.public_only:
        raise unroutable(404, "HTTP 404 Not Found: the record summary is on the member API only")
    return render(records.record_summary_json(record, see_item), "summary:record-summary",
                  negotiated)


def _read_bulk(record, codes: str, see_item, caller: Caller, negotiated) -> Response:
    wanted = [c.strip() for c in codes.split(",") if c.strip()]
    if len(wanted) > MAX_BULK:
        raise ApiError(400, 9042, "400 Bad Request: Too many put codes specified: maximum is "
                       f"{MAX_BULK}")
    entries = []
    for text in wanted:
        try:
            item = record.find("work", _put_code(text))
            if item is None:
                raise not_found(f"No work with put-code {text}")
            _check_visible(record, caller, item, see_item)
            entries.append({"work": records.item_json(record, item)})
        except ApiError as err:
            entries.append({"error": err.body()})
    return render({"bulk": entries}, "bulk:bulk", negotiated)


# --- writes ------------------------------------------------------------------------------------

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


def _write(request: Request, state, record, caller: Caller, rest: list[str], negotiated):
    section = rest[0]
    canonical = records.canonical_section(section) or "work"
    scope = "/activities/update" if canonical in records.ACTIVITIES else "/person/update"
    if scope not in caller.scopes:
        raise missing_scope(scope)
    if caller.orcid != record.orcid:
        raise wrong_record()
    if section == "works":
        return _bulk_post(request, state, record, caller, negotiated)
    qname = _item_qname(canonical)
    if request.method == "POST":
        item = _create(state, record, caller, canonical, read_body(request, qname))
        response = Response(status=201)
        response.headers.pop("Content-Type", None)
        response.headers["Location"] = (f"{request.application_url}/orcid-api-web/v3.0/"
                                        f"{record.orcid}/{section}/{item.put_code}")
        return response, True
    put_code = _put_code(rest[1])
    if request.method == "PUT":
        item = _update(state, record, caller, canonical, put_code, read_body(request, qname))
        return render(records.item_json(record, item), qname, negotiated), True
    item = _own_item(record, caller, canonical, put_code)
    record.remove(canonical, item.put_code)
    response = Response(status=204)
    response.headers.pop("Content-Type", None)
    return response, True


def _own_item(record, caller: Caller, section: str, put_code: int):
    item = record.find(section, put_code)
    if item is None:
        raise not_found(f"No {section} with put-code {put_code}")
    if item.source_client_id != caller.client_id:
        raise_not_source(section)
    return item


def raise_not_source(section: str) -> None:
    """403/9010 naming the kind of item."""
    raise not_source(records.PERSON.get(section, section).replace("-", " "))


def _check_duplicates(record, caller: Caller, section: str, content: dict,
                      skip: int | None = None) -> None:
    own = [i for i in record.section_items(section)
           if i.source_client_id == caller.client_id and i.put_code != skip]
    if section in records.ACTIVITIES:
        clash = validation.find_duplicate(section, content, [(i.put_code, i.keys) for i in own])
        if clash is not None:
            raise validation.duplicate_error(clash)
        return
    keys = _PERSON_IDENTITY[section]

    def identity(data):
        return tuple(json.dumps(data.get(k), sort_keys=True).lower() for k in keys)

    for other in own:
        if identity(other.data) == identity(content):
            raise ApiError(409, 9030, "409 Conflict: The element is duplicated: you already "
                           f"added it, see put-code {other.put_code}.")


def _create(state, record, caller: Caller, section: str, data: dict):
    if data.get("put-code") is not None:
        raise ApiError(400, 9024, "400 Bad Request: Put-code is included when not expected. "
                       "When posting new activities, the put code should be omitted.")
    data = validation.validate_item(section, data)
    content = {k: v for k, v in data.items() if k not in _META}
    _check_duplicates(record, caller, section, content)
    now = records.now_ms(state.now())
    client = state.client(caller.client_id)
    item = records.Item(section=section, put_code=state.new_put_code(), data=content,
                        visibility=data.get("visibility") or record.default_visibility,
                        source_client_id=caller.client_id,
                        source_name=client.name if client else str(caller.client_id),
                        created=now, modified=now,
                        keys=validation.duplicate_keys(section, content))
    record.add(item)
    return item


def _update(state, record, caller: Caller, section: str, put_code: int, data: dict):
    body_code = data.get("put-code")
    if str(body_code) != str(put_code):
        raise ApiError(400, 9019, f"400 Bad Request: The put code in the URL was {put_code} "
                       f"whereas the one in the body was {body_code}.")
    item = _own_item(record, caller, section, put_code)
    data = validation.validate_item(section, data)
    if data.get("visibility") not in (None, item.visibility):
        raise ApiError(403, 9035, "403 Forbidden: The visibility of the item can't be "
                       f"changed through the API (it is {item.visibility}).")
    content = {k: v for k, v in data.items() if k not in _META}
    _check_duplicates(record, caller, section, content, skip=put_code)
    item.data = content
    item.keys = validation.duplicate_keys(section, content)
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
            out.append({"work": records.item_json(record, item)})
            created = True
        except ApiError as err:
            out.append({"error": err.body()})
    return render({"bulk": out}, "bulk:bulk", negotiated), created
