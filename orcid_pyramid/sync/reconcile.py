"""Find the put code of an item we may already have created (a POST whose answer was lost).

A worker can die, or a connection can drop, after ORCID stored a POSTed item but before we
recorded its put code. Posting again would create a duplicate (or a 409 for works), so before
re-posting we read the section and adopt the put code of the item this client created with
the same ``self`` external ids (for affiliations without ids: same organisation, role,
department and start date; for person items: same keyword, name, URL, identifier or country).

The same match runs before the first POST of any item that is not a work (a work is matched
by ORCID itself: 409): after a disconnect forgot the put codes, reconnecting and pushing again
adopts what this client wrote before instead of adding a copy.
"""

from __future__ import annotations

from .payload import (
    affiliation_key,
    person_key,
    put_code_of,
    section_name,
    self_external_ids,
    source_client_id,
    summaries,
)


def match_put_code(section_json: dict | None, section: str, payload: dict | None,
                   client_id: str | None, taken: set[int] | frozenset = frozenset()) -> int | None:
    """The put code of this client's item in ``section_json`` that matches ``payload``.

    ``taken`` holds put codes already mapped to other local objects: they are never adopted.
    """
    wanted_person = person_key(section, payload)
    wanted_ids = self_external_ids(payload) if wanted_person is None else set()
    wanted_affiliation = affiliation_key(payload) if not wanted_ids else None
    if not wanted_ids and wanted_affiliation is None and wanted_person is None:
        return None
    for summary in summaries(section_json, section):
        if client_id and source_client_id(summary) not in (client_id, None):
            continue
        put_code = put_code_of(summary)
        if put_code is None or put_code in taken:
            continue
        if wanted_ids and wanted_ids & self_external_ids(summary):
            return put_code
        if wanted_affiliation is not None and affiliation_key(summary) == wanted_affiliation:
            return put_code
        if wanted_person is not None and person_key(section, summary) == wanted_person:
            return put_code
    return None


def reconcile(api, section: str, payload: dict | None, client_id: str | None,
              taken: set[int] | frozenset = frozenset()) -> int | None:
    """Read ``section`` from the record through ``api`` and return the matching put code."""
    return match_put_code(api.read(section_name(section)), section, payload, client_id, taken)


#: what ORCID adds to a stored item on its own, never part of what we sent
#: (orcid-facts/bodies.md#what-a-read-adds-to-what-was-written)
_ORCID_OWN = frozenset({"created-date", "last-modified-date", "source", "put-code", "path",
                        "visibility", "display-index", "external-id-normalized",
                        "external-id-normalized-error"})


def _empty(value) -> bool:
    if value is None or value == "" or value == [] or value == {}:
        return True
    if isinstance(value, dict):
        return all(_empty(v) for k, v in value.items() if k not in _ORCID_OWN)
    return False


def same_content(stored, wanted) -> bool:
    """Does ORCID's stored item hold exactly what we would send (``wanted``)?

    Used when a POST's answer was lost and the item was adopted: when the content matches,
    nothing needs a PUT. Fields ORCID fills in itself are ignored, and a missing field
    equals an empty one (ORCID answers ``null`` for fields never set); anything else that
    differs, including a field only one side has, is a difference.
    """
    if isinstance(wanted, dict) and isinstance(stored, dict):
        keys = (set(wanted) | set(stored)) - _ORCID_OWN
        return all(same_content(stored.get(k), wanted.get(k)) for k in keys)
    if _empty(wanted) and _empty(stored):
        return True
    if isinstance(wanted, list) and isinstance(stored, list):
        return len(wanted) == len(stored) and all(
            same_content(s, w) for s, w in zip(stored, wanted, strict=True))
    return wanted == stored
