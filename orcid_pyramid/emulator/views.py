"""The read views of a record (orcid-facts/member-api.md#endpoints, orcid-facts/member-api.md#reads,
orcid-facts/bodies.md#the-works-summary): what ``GET /v3.0/{orcid}/...`` returns, in ORCID's JSON
shape, from a ``records.Record``.

Every view takes the caller's filters (``can_see(item)``, ``can_see_visibility(str)``) so that
visibility stays the API's decision. Works, fundings and research resources are grouped by
shared ``self``/``version-of`` external ids; affiliations by ``affiliation-group``.

Speed: an item's full and summary renderings are built once per item version
(``Item.cached``; any change to an item makes a new version) and shared by later reads, so
the dicts these views return must be treated as read-only.
"""

from __future__ import annotations

from .duplicates import normalize_id
from .records import ACTIVITIES, PERSON, SANDBOX_HOST, Item, Record

_SUMMARY_KEYS = {
    "work": ("title", "external-ids", "url", "type", "publication-date", "journal-title"),
    "funding": ("title", "external-ids", "url", "type", "start-date", "end-date", "organization"),
    "research-resource": ("proposal",),
    "peer-review": ("reviewer-role", "external-ids", "review-url", "review-type",
                    "completion-date", "review-group-id", "convening-organization"),
}
_AFFILIATION_KEYS = ("department-name", "role-title", "start-date", "end-date", "organization",
                     "url", "external-ids")
_GROUPING = ("self", "version-of")


def with_normalized(value):
    """``value`` with ORCID's transient normalised value on every external id.

    Copy on write: only the containers on the way to an external id are new; every other
    part is ``value``'s own (a bulk answer renders 100 works in full, and copying each one
    whole was a quarter of the emulator's time for the bulk). The result is shared, like
    the renderings it is cached in: do not mutate it, nor ``value`` after this call.
    """
    return _normalized(value)


def _normalized(value):
    """:func:`with_normalized`, one container."""
    kind = type(value)
    if kind is dict or (kind is not list and isinstance(value, dict)):
        out = _children_normalized(value, value.items(), dict)
        if "external-id-type" in value and "external-id-value" in value:
            if out is value:
                out = dict(value)
            out["external-id-normalized"] = {
                "value": normalize_id(value["external-id-type"],
                                      str(value["external-id-value"])),
                "transient": True}
        return out
    if kind is list or isinstance(value, list):
        return _children_normalized(value, enumerate(value), list)
    return value


def _children_normalized(value, children, copy):
    """``value``, or a shallow ``copy`` of it when a child container changed. Strings, numbers
    and None are passed over by their exact type before any ``isinstance`` (most members of
    an item are strings), which halved the walk's time in a bulk answer."""
    out = None
    for key, entry in children:
        entry_kind = type(entry)
        if entry_kind is str or entry_kind is int or entry is None:
            continue
        if entry_kind is dict or entry_kind is list or isinstance(entry, dict | list):
            new = _normalized(entry)
            if new is not entry:
                if out is None:
                    out = copy(value)
                out[key] = new
    return value if out is None else out


def item_json(record: Record, item: Item) -> dict:
    """The full item as a read returns it (shared: do not mutate)."""
    return item.cached(("item", record.orcid),
                       lambda: with_normalized(item.to_json(record.orcid)))


def summary_json(record: Record, item: Item) -> dict:
    """The ``{section}-summary`` of an item, the fields ORCID's summary types have (shared:
    do not mutate)."""
    return item.cached(("summary", record.orcid), lambda: _build_summary(record, item))


def _build_summary(record: Record, item: Item) -> dict:
    full = item.to_json(record.orcid)
    if item.section == "peer-review":
        full["external-ids"] = full.get("review-identifiers")
        full["completion-date"] = full.get("review-completion-date")
    keys = _SUMMARY_KEYS.get(item.section, _AFFILIATION_KEYS)
    out = {k: full[k] for k in ("created-date", "last-modified-date", "source")}
    out.update({k: full.get(k) for k in keys})
    if item.section == "research-resource":
        out["proposal"] = full.get("proposal")
    out.update({k: full[k] for k in ("put-code", "path", "visibility", "display-index")})
    return with_normalized(out)


def _grouping_ids(record: Record, item: Item, summary: dict) -> tuple:
    """(group key, mark, external id) of each self/version-of id of a summary, per version."""
    def build() -> tuple:
        out = []
        for ext in _ids(summary):
            if ext.get("external-id-relationship") in _GROUPING:
                kind = ext.get("external-id-type")
                key = (kind, normalize_id(kind, str(ext.get("external-id-value"))))
                mark = (kind, (ext.get("external-id-normalized") or {}).get("value"))
                out.append((key, mark, ext))
        return tuple(out)
    return item.cached(("grouping", record.orcid), build)


def _group(record: Record, summaries: list[tuple[Item, dict]]) -> list[dict]:
    """Merge summaries that share a self/version-of external id (normalised): union-find.
    Each group's ``members`` are its (item, summary) pairs, oldest first."""
    grouping = grouping_of(record, summaries)
    return [group_body(summaries, grouping, group)
            for group in group_indexes(summaries, grouping)]


def group_body(summaries, grouping, group: list[int]) -> dict:
    """One group: its latest change, its distinct external ids and its ``members``."""
    ids, seen = [], set()
    for index in group:
        for _key, mark, ext in grouping[index]:
            if mark not in seen:
                seen.add(mark)
                ids.append(ext)
    return {"last-modified-date": {"value": max(summaries[i][0].modified for i in group)},
            "external-ids": {"external-id": ids},
            "members": [summaries[i] for i in group]}


def grouping_of(record: Record, summaries) -> list[tuple]:
    """Each summary's grouping ids (cached per item version)."""
    return [_grouping_ids(record, item, summary) for item, summary in summaries]


def group_indexes(summaries, grouping) -> list[list[int]]:
    """The groups as lists of indexes into ``summaries``, oldest group first."""
    parent = list(range(len(summaries)))

    def root(index: int) -> int:
        while parent[index] != index:
            parent[index] = parent[parent[index]]
            index = parent[index]
        return index

    owner: dict[tuple, int] = {}
    for index, found in enumerate(grouping):
        for key, _mark, _ext in found:
            if key in owner:
                parent[root(index)] = root(owner[key])
            else:
                owner[key] = index
    members: dict[int, list[int]] = {}
    for index in range(len(summaries)):
        members.setdefault(root(index), []).append(index)
    # the indexes follow put-code order, so a group's first index is its oldest item
    return sorted(members.values(), key=lambda g: summaries[g[0]][0].put_code)


def _ids(summary: dict) -> list:
    if "proposal" in summary:
        return ((summary.get("proposal") or {}).get("external-ids") or {}).get("external-id") or []
    return (summary.get("external-ids") or {}).get("external-id") or []


def _as_is(_item: Item, summary: dict) -> dict:
    return summary


def activity_section_json(record: Record, section: str, can_see, show=_as_is) -> dict:
    """``GET /works``, ``/employments``, …: the visible items' summaries, grouped.

    ``show(item, summary)`` is what stands for each summary in the body (the summary itself
    by default; the list read passes stand-ins for text it has encoded already).
    """
    items = [i for i in record.section_items(section) if can_see(i)]
    summaries = [(i, summary_json(record, i)) for i in items]
    body: dict = {"last-modified-date": _latest(items)}
    key = f"{section}-summary"
    if section == "peer-review":
        by_group: dict[str, list] = {}
        for item, summary in summaries:
            by_group.setdefault(summary.get("review-group-id") or "", []).append((item, summary))
        groups = []
        for group_id, members in by_group.items():
            inner = [{"last-modified-date": g["last-modified-date"],
                      "external-ids": g["external-ids"],
                      key: [show(i, s) for i, s in g["members"]]}
                     for g in _group(record, members)]
            groups.append({"last-modified-date": {"value": max(i.modified for i, _ in members)},
                           "external-ids": {"external-id": [{
                               "external-id-type": "peer-review", "external-id-value": group_id,
                               "external-id-url": None, "external-id-relationship": None}]},
                           "peer-review-group": inner})
        body["group"] = groups
    elif section in ("work", "funding", "research-resource"):
        body["group"] = [{"last-modified-date": g["last-modified-date"],
                          "external-ids": g["external-ids"],
                          key: [show(i, s) for i, s in g["members"]]}
                         for g in _group(record, summaries)]
    else:
        body["affiliation-group"] = [
            {"last-modified-date": g["last-modified-date"], "external-ids": g["external-ids"],
             "summaries": [{key: show(i, s)} for i, s in g["members"]]}
            for g in _group(record, summaries)]
    body["path"] = f"/{record.orcid}/{ACTIVITIES[section]}"
    return body


def _latest(items) -> dict | None:
    return {"value": max(i.modified for i in items)} if items else None


def person_section_json(record: Record, section: str, can_see) -> dict:
    """``GET /keywords``, ``/other-names``, …: the visible items, in full."""
    items = [i for i in record.section_items(section) if can_see(i)]
    return {"last-modified-date": _latest(items), PERSON[section]: [item_json(record, i)
                                                                   for i in items],
            "path": f"/{record.orcid}/{section}"}


def emails_json(record: Record, can_see_visibility) -> dict:
    """``GET /email``: verified addresses the caller may see (orcid-facts/member-api.md#reads)."""
    emails = [{"created-date": {"value": record.created},
               "last-modified-date": {"value": record.modified}, "source": None,
               "email": e.email, "path": None, "visibility": e.visibility, "verified": True,
               "primary": e.primary, "put-code": None}
              for e in record.emails if e.verified and can_see_visibility(e.visibility)]
    return {"last-modified-date": {"value": record.modified} if emails else None,
            "email": emails, "path": f"/{record.orcid}/email"}


def name_json(record: Record, can_see_visibility) -> dict | None:
    """The name, or None when the caller may not see it."""
    if not can_see_visibility(record.name_visibility):
        return None
    return {"created-date": {"value": record.created},
            "last-modified-date": {"value": record.modified},
            "given-names": {"value": record.given_names},
            "family-name": {"value": record.family_names} if record.family_names else None,
            "credit-name": {"value": record.credit_name} if record.credit_name else None,
            "source": None, "visibility": record.name_visibility, "path": record.orcid}


def biography_json(record: Record, can_see_visibility) -> dict | None:
    """The biography, or None when absent or not visible."""
    if not record.biography or not can_see_visibility(record.biography_visibility):
        return None
    return {"created-date": {"value": record.created},
            "last-modified-date": {"value": record.modified}, "content": record.biography,
            "visibility": record.biography_visibility, "path": f"/{record.orcid}/biography"}


def personal_details_json(record: Record, can_see, can_see_visibility) -> dict:
    """``GET /personal-details``: name, other names, biography."""
    return {"last-modified-date": {"value": record.modified},
            "name": name_json(record, can_see_visibility),
            "other-names": person_section_json(record, "other-names", can_see),
            "biography": biography_json(record, can_see_visibility),
            "path": f"/{record.orcid}/personal-details"}


def person_json(record: Record, can_see, can_see_visibility) -> dict:
    """``GET /person``."""
    section = {s: person_section_json(record, s, can_see) for s in PERSON}
    return {"last-modified-date": {"value": record.modified},
            "name": name_json(record, can_see_visibility),
            "other-names": section["other-names"],
            "biography": biography_json(record, can_see_visibility),
            "researcher-urls": section["researcher-urls"],
            "emails": emails_json(record, can_see_visibility),
            "addresses": section["address"], "keywords": section["keywords"],
            "external-identifiers": section["external-identifiers"],
            "path": f"/{record.orcid}/person"}


def activities_json(record: Record, can_see) -> dict:
    """``GET /activities``: every activity section's summaries."""
    body: dict = {"last-modified-date": {"value": record.modified}}
    for section in sorted(ACTIVITIES, key=lambda s: ACTIVITIES[s]):
        body[ACTIVITIES[section]] = activity_section_json(record, section, can_see)
    body["path"] = f"/{record.orcid}/activities"
    return body


def record_json(record: Record, can_see, can_see_visibility) -> dict:
    """``GET /record``: identifier, preferences, history, person, activities."""
    return {
        "orcid-identifier": {"uri": f"https://{SANDBOX_HOST}/{record.orcid}",
                             "path": record.orcid, "host": SANDBOX_HOST},
        "preferences": {"locale": record.locale},
        "history": {"creation-method": "API", "completion-date": None,
                    "submission-date": {"value": record.created},
                    "last-modified-date": {"value": record.modified}, "claimed": True,
                    "source": None, "deactivation-date": None,
                    "verified-email": any(e.verified for e in record.emails),
                    "verified-primary-email": any(e.verified and e.primary
                                                  for e in record.emails),
                    "visibility": "public"},
        "person": person_json(record, can_see, can_see_visibility),
        "activities-summary": activities_json(record, can_see),
        "path": f"/{record.orcid}",
    }


def _brief(item: Item) -> dict:
    data = item.data
    org = data.get("organization") or {}
    # summary-3.0.xsd spells this type "invited-postition"; ORCID's own schema wins.
    kind = "invited-postition" if item.section == "invited-position" else item.section
    return {"put-code": item.put_code, "type": kind,
            "organization-name": org.get("name"), "role": data.get("role-title"),
            "url": (data.get("url") or {}).get("value"), "start-date": data.get("start-date"),
            "end-date": data.get("end-date"), "validated": item.source_client_id is not None}


def record_summary_json(record: Record, can_see) -> dict:
    """``GET /summary`` (summary_3.0): counts, and brief affiliations; "validated" items are
    those a client (not the researcher) asserted."""
    def visible(*sections):
        return [i for s in sections for i in record.section_items(s) if can_see(i)]

    def counts(section):
        items = visible(section)
        validated = sum(1 for i in items if i.source_client_id)
        return {"self-asserted-count": len(items) - validated, "validated-count": validated}

    def briefs(key, *sections):
        items = visible(*sections)
        return {"count": len(items), key: [_brief(i) for i in items]}

    reviews = visible("peer-review")
    return {
        "created-date": {"value": record.created},
        "last-modified-date": {"value": record.modified},
        "credit-name": record.display_name,
        "orcid-identifier": {"uri": f"https://{SANDBOX_HOST}/{record.orcid}",
                             "path": record.orcid, "host": SANDBOX_HOST},
        "external-identifiers": {"external-identifier": [
            {"put-code": i.put_code, "external-id-type": i.data.get("external-id-type"),
             "external-id-value": i.data.get("external-id-value"),
             "external-id-url": (i.data.get("external-id-url") or {}).get("value"),
             "validated": i.source_client_id is not None}
            for i in visible("external-identifiers")]},
        "employments": briefs("employment", "employment"),
        "professional-activities": briefs("professional-activity", "distinction",
                                          "invited-position", "membership", "service"),
        "fundings": counts("funding"), "works": counts("work"),
        "peer-reviews": {"peer-review-publication-grants": len(
            {i.data.get("review-group-id") for i in reviews}),
            "self-asserted-count": sum(1 for i in reviews if not i.source_client_id),
            "total": len(reviews)},
        "education-qualifications": briefs("education-qualification", "education",
                                           "qualification"),
        "research-resources": counts("research-resource"),
        "email-domains": None,  # the XSD wants at least one domain; the emulator has none
    }
