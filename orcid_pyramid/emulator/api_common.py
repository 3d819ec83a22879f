"""What the member API's reads and writes share: the caller, content types and rendering.

``api.py`` authenticates and routes; ``api_reads.py`` and ``api_writes.py`` answer. They all
use the names here, which import nothing of the API modules (no import cycle).
"""

from __future__ import annotations

from dataclasses import dataclass

from webob import Response

from . import codec, records
from .errors import ApiError
from .responses import compact_json

MAX_BODY = 1024 * 1024
MAX_BULK = 100
#: what ORCID produces, with its server weights (qs): no Accept or */* gives XML
#: (orcid-facts/member-api.md#content-types)
PRODUCED = (("application/vnd.orcid+xml", 5, "xml"), ("application/vnd.orcid+json", 4, "json"),
            ("application/orcid+xml", 3, "xml"), ("application/orcid+json", 2, "json"),
            ("application/xml", 1, "xml"), ("application/json", 1, "json"))
CONSUMED = {ctype: fmt for ctype, _qs, fmt in PRODUCED}
READ_LIMITED = {"activities": "/activities/read-limited", "person": "/person/read-limited"}
#: read-only views: path segment -> root element
VIEWS = {"record": "record:record", "person": "person:person",
         "activities": "activities:activities-summary",
         "personal-details": "personal-details:personal-details",
         "biography": "personal-details:biography", "email": "email:emails"}


@dataclass
class Caller:
    """Who is calling: the token's client and record, and what it may see."""

    client_id: str | None
    orcid: str | None
    scopes: frozenset[str]
    public_only: bool

    def sees(self, record: records.Record, visibility: str, area: str = "activities",
             source: str | None = None) -> bool:
        """ORCID's read filter (orcid-facts/member-api.md#reads): own items always; limited needs
        read-limited."""
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
    body = compact_json(data).encode("utf-8") if fmt == "json" else codec.to_xml(data, qname)
    return Response(body=body, status=status, content_type=ctype, charset="UTF-8")


def put_code(text: str) -> int:
    """A put code from a path segment; 400/9034 when it is not a number."""
    if not text.isdigit():
        raise ApiError(400, 9034, f"400 Bad Request: Invalid put-code {text!r}: it must be a "
                       "number")
    return int(text)


def item_qname(section: str) -> str:
    """The root element of one item of a section (canonical name), e.g. ``work:work``."""
    element = records.PERSON.get(section, section)
    return f"{element}:{element}"


def list_qname(section: str) -> str:
    """The root element of a section's list read, e.g. ``activities:works``."""
    if section in records.ACTIVITIES:
        return f"activities:{records.ACTIVITIES[section]}"
    element = records.PERSON[section]
    return f"{element}:{'addresses' if section == 'address' else section}"
