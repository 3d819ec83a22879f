"""``MemberApi``: reads and writes on one ORCID record through the member API v3.0 (JSON).

Every URL is ``{api_url}/v3.0/{orcid}/...`` (checklist REV-1); every body is
``application/vnd.orcid+json``. Status codes follow orcid-facts/member-api.md#writes: single POST
201 with the put code as the last path segment of ``Location`` (which may carry ORCID's internal
``/orcid-api-web/`` path or ``http://``, so it is never rebuilt into a URL), bulk POST 200, PUT 200
with the item, DELETE 204. Failures raise the client's errors; bulk calls return per-item errors in
place.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import msgspec
import requests

from .endpoints import Endpoints
from .errors import OrcidApiError, OrcidMalformedResponse, OrcidUsageError
from .http import Transport
from .mapping import error_from_body

if TYPE_CHECKING:  # pragma: no cover
    from .oauth import OrcidClient

MEDIA_TYPE = "application/vnd.orcid+json"
BULK_LIMIT = 100

#: Activity item kinds (singular path for items, plural for the section summary).
ACTIVITY_KINDS = {
    "work": "works",
    "funding": "fundings",
    "employment": "employments",
    "education": "educations",
    "distinction": "distinctions",
    "invited-position": "invited-positions",
    "membership": "memberships",
    "qualification": "qualifications",
    "service": "services",
    "peer-review": "peer-reviews",
    "research-resource": "research-resources",
}
#: Person sections use the same path for the section and its items.
PERSON_KINDS = ("other-names", "keywords", "researcher-urls", "external-identifiers", "address")
READ_ONLY_SECTIONS = (
    "record", "summary", "person", "personal-details", "biography", "email", "activities",
)
SECTIONS = frozenset((*READ_ONLY_SECTIONS, *ACTIVITY_KINDS.values(), *PERSON_KINDS))
_ITEM_ALIASES = {
    **{plural: singular for singular, plural in ACTIVITY_KINDS.items()},
    "other-name": "other-names",
    "keyword": "keywords",
    "researcher-url": "researcher-urls",
    "external-identifier": "external-identifiers",
    "addresses": "address",
}


def item_kind(kind: str) -> str:
    """The API path segment for items of ``kind`` (``"works"`` -> ``"work"``)."""
    kind = _ITEM_ALIASES.get(kind, kind)
    if kind not in ACTIVITY_KINDS and kind not in PERSON_KINDS:
        known = ", ".join(sorted((*ACTIVITY_KINDS, *PERSON_KINDS)))
        raise OrcidUsageError(f"unknown ORCID item kind {kind!r}; known kinds: {known}")
    return kind


def parse_json(response: requests.Response, *, what: str = "answer") -> Any:
    """The JSON body of ``response`` or :class:`OrcidMalformedResponse`."""
    try:
        return json.loads(response.content.decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        raise OrcidMalformedResponse(
            f"ORCID's {what} is not valid JSON", status=response.status_code
        ) from None


def put_code_from_location(location: str | None) -> int:
    """The put code: the last path segment of a ``Location`` header."""
    segment = urlsplit(location or "").path.rstrip("/").rsplit("/", 1)[-1]
    if not segment.isdigit():
        raise OrcidMalformedResponse(f"ORCID's Location header has no put code: {location!r}")
    return int(segment)


def _put_code(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise OrcidUsageError(f"a put code must be a positive integer, got {value!r}")
    text = str(value).strip()
    if not text.isdigit() or int(text) <= 0:
        raise OrcidUsageError(f"a put code must be a positive integer, got {value!r}")
    return int(text)


def _answered_put_code(value: Any) -> int:
    # a put code ORCID sent us: a bad one is ORCID's malformed answer, not our usage error
    try:
        return _put_code(value)
    except OrcidUsageError:
        raise OrcidMalformedResponse(f"ORCID answered an invalid put code: {value!r}") from None


class MemberApi:
    """The member API for one record and one access token (from :meth:`OrcidClient.member`)."""

    def __init__(
        self,
        transport: Transport,
        endpoints: Endpoints,
        access_token: str,
        orcid: str,
        log_context: Mapping[str, Any] | None = None,
        owner: OrcidClient | None = None,
    ) -> None:
        self._transport = transport
        self._endpoints = endpoints
        self._token = access_token
        self.orcid = orcid
        self.log_context = dict(log_context or {})
        self._owner = owner

    def __repr__(self) -> str:
        return f"<MemberApi {self.orcid}>"

    def _call(self, method: str, path: str, *, expect=(200,), body: Any = None,
              data: bytes | None = None):
        headers = {"Accept": MEDIA_TYPE, "Authorization": f"Bearer {self._token}"}
        if body is not None:
            data = json.dumps(body).encode("utf-8")
        if data is not None:
            headers["Content-Type"] = MEDIA_TYPE
        return self._transport.request(
            method, self._endpoints.api_record_url(self.orcid, path), kind="api",
            expect=expect, headers=headers, data=data, secrets=[self._token],
            log_context=self.log_context, rate_limited=True,
        )

    # -- reads ---------------------------------------------------------------------------

    def read(self, section: str) -> dict[str, Any]:
        """A section summary (``record``, ``person``, ``works``, ``employments``, ...)."""
        if section not in SECTIONS:
            known = ", ".join(sorted(SECTIONS))
            raise OrcidUsageError(f"unknown ORCID section {section!r}; known sections: {known}")
        return self._json(self._call("GET", section), section)

    def read_item(self, kind: str, put_code: int) -> dict[str, Any]:
        """One item by put code (``work``, ``employment``, ``funding``, ``keywords``, ...)."""
        kind = item_kind(kind)
        return self._json(self._call("GET", f"{kind}/{_put_code(put_code)}"), kind)

    def read_works(self, put_codes: Iterable[int]) -> list[dict[str, Any]]:
        """Full works for ``put_codes``, in order, ≤100 per call (larger lists are split).

        Each entry is the work, or ``{"error": {...}}`` (ORCID's error for that put code).
        """
        codes = [_put_code(pc) for pc in put_codes]
        results: list[dict[str, Any]] = []
        for chunk in _chunks(codes, BULK_LIMIT):
            data = self._json(self._call("GET", "works/" + ",".join(map(str, chunk))), "works")
            entries = data.get("bulk")
            if not isinstance(entries, list) or len(entries) != len(chunk):
                raise OrcidMalformedResponse("ORCID's bulk read answer does not match the request")
            for entry in entries:
                if isinstance(entry, dict) and isinstance(entry.get("work"), dict):
                    results.append(entry["work"])
                elif isinstance(entry, dict) and isinstance(entry.get("error"), dict):
                    results.append({"error": entry["error"]})
                else:
                    raise OrcidMalformedResponse("ORCID's bulk read answer has an unknown entry")
        return results

    # -- writes --------------------------------------------------------------------------

    def create(self, kind: str, item: Mapping[str, Any]) -> int:
        """POST a new item; returns its put code (from the ``Location`` header)."""
        kind = item_kind(kind)
        response = self._call("POST", kind, expect=(201,), body=_item(item))
        return put_code_from_location(response.headers.get("Location"))

    def create_works(self, items: Sequence[Mapping[str, Any]]) -> list[int | OrcidApiError]:
        """Bulk POST works (≤100 a call); per item, in order: its put code or its error.

        An item is a dict, or a :class:`JsonText` (the work already written as JSON, sent as
        it stands)."""
        works = [_json_text(i) for i in items]
        results: list[int | OrcidApiError] = []
        redactor = self._transport.redactor.with_secrets([self._token])
        for chunk in _chunks(works, BULK_LIMIT):
            # the body written around the works' own JSON text (json.dumps would write the
            # same text from the dicts: its separators are ", " and ": ")
            body = '{"bulk": [' + ", ".join('{"work": ' + w + "}" for w in chunk) + "]}"
            response = self._call("POST", "works", data=body.encode("utf-8"))
            entries = _bulk_entries(response)
            if len(entries) != len(chunk):
                raise OrcidMalformedResponse("ORCID's bulk answer does not match the request")
            for entry in entries:
                if entry.work is not None and entry.work.put_code is not None:
                    results.append(_answered_put_code(entry.work.put_code))
                elif isinstance(entry.error, dict):
                    results.append(error_from_body(entry.error, None, redactor,
                                                   url=response.url, method="POST"))
                else:
                    raise OrcidMalformedResponse("ORCID's bulk answer has an unknown entry")
        return results

    def update(self, kind: str, put_code: int, item: Mapping[str, Any]) -> dict[str, Any]:
        """PUT an item to its put code (the body's ``put-code`` is set to match)."""
        kind = item_kind(kind)
        put_code = _put_code(put_code)
        body = {**_item(item), "put-code": put_code}
        response = self._call("PUT", f"{kind}/{put_code}", body=body)
        return self._json(response, kind) if response.content else {}

    def delete(self, kind: str, put_code: int) -> None:
        """DELETE an item (404 :class:`OrcidNotFound` when it is already gone)."""
        kind = item_kind(kind)
        self._call("DELETE", f"{kind}/{_put_code(put_code)}", expect=(200, 204))

    @staticmethod
    def _json(response: requests.Response, what: str) -> dict[str, Any]:
        data = parse_json(response, what=f"{what} answer")
        if not isinstance(data, dict):
            raise OrcidMalformedResponse(f"ORCID's {what} answer is not a JSON object")
        return data


class _AnsweredWork(msgspec.Struct):
    """What the client reads of a work in a bulk answer: its put code (the rest, ORCID's copy
    of the work with its dates and source, is skipped unread)."""

    put_code: Any = msgspec.field(name="put-code", default=None)


class _BulkEntry(msgspec.Struct):
    work: _AnsweredWork | None = None
    error: Any = None


class _BulkAnswer(msgspec.Struct):
    bulk: list[_BulkEntry]


#: a bulk answer read for its put codes and errors alone: ORCID answers each work of a bulk
#: with its whole copy (some 77 kB for 100 works), and decoding all of it with ``json`` cost
#: 0.39 ms of CPU against 0.06 this way (``benchmarks/bench_client_calls.py``), on the way
#: from an answer to the researcher's next bulk, where ten threads' answers come together
_BULK_ANSWER = msgspec.json.Decoder(_BulkAnswer)


def _bulk_entries(response: requests.Response) -> list[_BulkEntry]:
    """The entries of a bulk answer, or :class:`OrcidMalformedResponse`."""
    try:
        return _BULK_ANSWER.decode(response.content).bulk
    except msgspec.ValidationError:
        raise OrcidMalformedResponse("ORCID's bulk answer does not match the request",
                                     status=response.status_code) from None
    except msgspec.DecodeError:
        raise OrcidMalformedResponse("ORCID's works answer is not valid JSON",
                                     status=response.status_code) from None


class JsonText(Mapping):
    """An item already written as JSON text (one JSON object), for :meth:`MemberApi.create_works`:
    the client sends the text as it stands, where a dict is written out with ``json.dumps``
    (content stored as JSON in a database need not be parsed only to be written again).

    It is a read-only mapping too, parsed on first use, so code that looks into the items it
    is given (a site's own client, a test's) sees the dict it always saw."""

    __slots__ = ("_data", "text")

    def __init__(self, text: str) -> None:
        if not isinstance(text, str) or not text.lstrip().startswith("{"):
            raise OrcidUsageError(f"JsonText holds one JSON object, got {str(text)[:40]!r}")
        self.text = text
        self._data: dict[str, Any] | None = None

    def _parsed(self) -> dict[str, Any]:
        if self._data is None:
            data = json.loads(self.text)
            if not isinstance(data, dict):
                raise OrcidUsageError(f"JsonText holds one JSON object, got {self.text[:40]!r}")
            self._data = data
        return self._data

    def __getitem__(self, key: str) -> Any:
        return self._parsed()[key]

    def __iter__(self):
        return iter(self._parsed())

    def __len__(self) -> int:
        return len(self._parsed())

    def __repr__(self) -> str:
        return f"JsonText({self.text[:60]!r})"


def _json_text(item: Mapping[str, Any]) -> str:
    if isinstance(item, JsonText):
        return item.text
    return json.dumps(_item(item))


def _item(item: Mapping[str, Any]) -> dict[str, Any]:
    if not isinstance(item, Mapping):
        raise OrcidUsageError(f"an ORCID item must be a JSON object (dict), got {type(item)}")
    return dict(item)


def _chunks(values: Sequence[Any], size: int) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start:start + size]
