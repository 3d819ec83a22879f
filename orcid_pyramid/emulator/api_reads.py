"""Reads of the member and public API v3.0 (orcid-facts/member-api.md#endpoints,
orcid-facts/member-api.md#reads): ``GET /v3.0/{orcid}/...``.

``read`` answers a routed, authenticated GET; the bodies come from ``views.py`` and are
filtered by what the caller may see.
"""

from __future__ import annotations

import json
import operator
import re
import secrets

from webob import Response

from . import records, views
from .api_common import MAX_BULK, VIEWS, Caller, item_qname, list_qname, put_code, render
from .errors import ApiError, not_found, unroutable
from .responses import compact_json


def read(record, caller: Caller, rest: list[str], negotiated) -> Response:
    """Answer ``GET /v3.0/{orcid}/{rest...}`` (the route is already checked)."""
    section = rest[0]

    def see_person(visibility: str) -> bool:
        return caller.sees(record, visibility, "person")

    def see_item(item) -> bool:
        area = "activities" if item.section in records.ACTIVITIES else "person"
        return caller.sees(record, item.visibility, area, item.source_client_id)

    if section == "record":
        return render(views.record_json(record, see_item, see_person), VIEWS[section],
                      negotiated)
    if section == "person":
        return render(views.person_json(record, see_item, see_person), VIEWS[section],
                      negotiated)
    if section == "personal-details":
        return render(views.personal_details_json(record, see_item, see_person),
                      VIEWS[section], negotiated)
    if section == "activities":
        return render(views.activities_json(record, see_item), VIEWS[section], negotiated)
    if section == "email":
        return render(views.emails_json(record, lambda v: caller.sees(record, v, "email")),
                      VIEWS[section], negotiated)
    if section == "biography":
        return _read_biography(record, caller, negotiated)
    if section == "summary":
        return _read_summary(record, caller, see_item, negotiated)
    canonical = records.canonical_section(section)
    if section == "works" and len(rest) == 2:
        return _read_bulk(record, rest[1], see_item, caller, negotiated)
    if len(rest) == 1:
        return _read_list(record, canonical, see_item, negotiated)
    item = record.find(canonical, put_code(rest[-1]))
    if item is None:
        raise not_found(f"No {section} with put-code {rest[-1]}")
    _check_visible(caller, item, see_item)
    if len(rest) == 3:  # /{activity}/summary/{put-code}
        return render(views.summary_json(record, item),
                      f"{canonical}:{canonical}-summary", negotiated)
    return render(views.item_json(record, item), item_qname(canonical), negotiated)


#: list reads kept per record (cleared when full): a test run reads few distinct views
_LIST_CACHE_SIZE = 64
_MODIFIED = operator.attrgetter("modified")


def _read_list(record, canonical: str, see_item, negotiated) -> Response:
    """``GET /works``, ``/keywords``, …, the encoded body cached per record.

    A list read depends only on the record's iD and its visible items, so the body is keyed by
    the (put code, version) of each visible item: a write makes a new version (or adds/removes
    an item) and so a new key, and a stale body is never served.
    """
    items = _visible(record.section_items(canonical), see_item)
    # an item's version number is never reused, by it or any other item: it names the item
    # and its content (records.Item.__setattr__)
    key = (canonical, negotiated, tuple([i.version for i in items]))
    cache = record.__dict__.setdefault("list_reads", {})
    body = cache.get(key)
    if body is None:
        if canonical in records.ACTIVITIES and negotiated[1] == "json":
            body = _activity_list_json(record, canonical, see_item, items)
        elif canonical in records.ACTIVITIES:
            data = views.activity_section_json(record, canonical, see_item)
            body = render(data, list_qname(canonical), negotiated).body
        else:
            data = views.person_section_json(record, canonical, see_item)
            body = render(data, list_qname(canonical), negotiated).body
        if len(cache) >= _LIST_CACHE_SIZE:
            cache.clear()
        cache[key] = body
    return Response(body=body, content_type=negotiated[0], charset="UTF-8")


def _visible(items: list, see_item) -> list:
    """``items`` the caller may see: ``see_item`` asked once per visibility and source among
    them, not once per item (a read of a 300-work record asked 300 times, for one or two
    answers; a fifth of its time after a write)."""
    answers: dict = {}
    shown = []
    for item in items:
        kind = (item.section, item.visibility, item.source_client_id)
        seen = answers.get(kind)
        if seen is None:
            seen = answers[kind] = see_item(item)
        if seen:
            shown.append(item)
    return shown


#: stands for an encoded summary in the outer body; the NUL and a per-process nonce make it
#: impossible for any client data (which is inside the summaries) to look the same
_STAND_IN = f"\x00{secrets.token_hex(8)}:"
_STAND_IN_RE = re.compile(re.escape(json.dumps(_STAND_IN)[:-1]) + r'(\d+)"')


def _activity_list_json(record, canonical: str, see_item, items=None) -> bytes:
    """The JSON list read, byte for byte ``compact_json`` of the view.

    Works, fundings, research resources and affiliations: the grouping is kept while no
    item's grouping ids change, and each group's text while none of its items changes, so a
    read after a write to one item of a 300-work record encodes one group, not 300.
    """
    if canonical == "peer-review":
        return _activity_list_json_whole(record, canonical, see_item)
    if items is None:
        items = _visible(record.section_items(canonical), see_item)
    # per item version, once: (summary, grouping ids, (put code, grouping keys), version)
    wanted = ("list-entry", record.orcid)
    entries = []
    for item in items:
        entry = (item.__dict__.get("rendered") or {}).get(wanted)  # Item.cached, inlined
        if entry is None:
            entry = item.cached(wanted, lambda item=item: _entry(record, item))
        entries.append(entry)
    summaries = [(item, entry[0]) for item, entry in zip(items, entries, strict=True)]
    grouping = [entry[1] for entry in entries]
    cache = record.__dict__.setdefault("list_groups", {})
    shape = (canonical, tuple(entry[2] for entry in entries))
    groups = cache.get(shape)
    if groups is None:
        if len(cache) >= _LIST_CACHE_SIZE:
            cache.clear()
        groups = cache[shape] = views.group_indexes(summaries, grouping)
    texts = record.__dict__.setdefault("group_texts", {})
    if len(texts) > 4 * len(groups) + _LIST_CACHE_SIZE:
        texts.clear()
    parts = []
    for group in groups:
        # a group's text is named by its items' versions (never reused, whatever the
        # section): the version itself for a group of one, the most common by far, whose
        # key as a tuple of tuples took a fifth of a read after a write to hash
        key = entries[group[0]][3] if len(group) == 1 else tuple([entries[i][3] for i in group])
        text = texts.get(key)
        if text is None:
            text = texts[key] = _group_json(record, canonical, summaries, grouping,
                                            group).encode()
        parts.append(text)
    latest = compact_json({"value": max(map(_MODIFIED, items))} if items else None)
    name = "group" if canonical in ("work", "funding", "research-resource") \
        else "affiliation-group"
    path = compact_json(f"/{record.orcid}/{records.ACTIVITIES[canonical]}")
    # the groups' texts are kept encoded (ASCII: compact_json escapes the rest), so the
    # body is one join of bytes, not a join, a copy and an encoding of the whole text
    return b"".join((f'{{"last-modified-date":{latest},"{name}":['.encode(), b",".join(parts),
                     f'],"path":{path}}}'.encode()))


def _entry(record, item) -> tuple:
    summary = views.summary_json(record, item)
    found = views.grouping_of(record, [(item, summary)])[0]
    return (summary, found, (item.put_code, tuple(k for k, _m, _e in found)), item.version)


def _group_json(record, canonical: str, summaries, grouping, group: list[int]) -> str:
    """One group's text as ``compact_json`` writes it inside the view."""
    body = views.group_body(summaries, grouping, group)
    texts: list[str] = []

    def show(item, summary) -> str:
        texts.append(item.cached(("summary-text", record.orcid),
                                 lambda: compact_json(summary)))
        return f"{_STAND_IN}{len(texts) - 1}"

    key = f"{canonical}-summary"
    members = [show(i, s) for i, s in body["members"]]
    if canonical in ("work", "funding", "research-resource"):
        data = {"last-modified-date": body["last-modified-date"],
                "external-ids": body["external-ids"], key: members}
    else:
        data = {"last-modified-date": body["last-modified-date"],
                "external-ids": body["external-ids"],
                "summaries": [{key: m} for m in members]}
    parts = _STAND_IN_RE.split(compact_json(data))
    parts[1::2] = [texts[int(n)] for n in parts[1::2]]
    return "".join(parts)


def _activity_list_json_whole(record, canonical: str, see_item) -> bytes:
    """The list read built whole (peer reviews: groups within groups), from each item's
    summary encoded once per version (most of the text) and the small grouping body."""
    fragments: list[str] = []

    def show(item, summary) -> str:
        fragments.append(item.cached(("summary-text", record.orcid),
                                     lambda: compact_json(summary)))
        return f"{_STAND_IN}{len(fragments) - 1}"

    outer = compact_json(views.activity_section_json(record, canonical, see_item, show))
    parts = _STAND_IN_RE.split(outer)
    parts[1::2] = [fragments[int(n)] for n in parts[1::2]]
    return "".join(parts).encode("utf-8")


def _check_visible(caller: Caller, item, see_item) -> None:
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
    body = views.biography_json(record, lambda v: caller.sees(record, v, "person"))
    if body is None:
        raise ApiError(403, 9039 if caller.public_only else 9038, "403 Forbidden: The "
                       "biography is not public and your request doesn't have the required "
                       "scope.")
    return render(body, VIEWS["biography"], negotiated)


def _read_summary(record, caller: Caller, see_item, negotiated) -> Response:
    if caller.client_id is None or caller.public_only:
        raise unroutable(404, "HTTP 404 Not Found: the record summary is on the member API only")
    return render(views.record_summary_json(record, see_item), "summary:record-summary",
                  negotiated)


def _read_bulk(record, codes: str, see_item, caller: Caller, negotiated) -> Response:
    wanted = [c.strip() for c in codes.split(",") if c.strip()]
    if len(wanted) > MAX_BULK:
        raise ApiError(400, 9042, "400 Bad Request: Too many put codes specified: maximum is "
                       f"{MAX_BULK}")
    entries = []
    for text in wanted:
        try:
            item = record.find("work", put_code(text))
            if item is None:
                raise not_found(f"No work with put-code {text}")
            _check_visible(caller, item, see_item)
            entries.append({"work": views.item_json(record, item)})
        except ApiError as err:
            entries.append({"error": err.body()})
    return render({"bulk": entries}, "bulk:bulk", negotiated)
