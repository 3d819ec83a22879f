"""ORCID's duplicate rule for activities (orcid-facts/member-api.md#writes, ActivityValidator):
409/9021.

Two items from the same source clash when they share an external id (type, normalised value)
with the same relationship, unless both are ``part-of``. ``normalize_id`` is also what the
read views print as ``external-id-normalized`` and group summaries by.
"""

from __future__ import annotations

import re

from .errors import ApiError

_DOI_PREFIX = re.compile(r"^(https?://(dx\.)?doi\.org/|doi:)", re.I)


def normalize_id(id_type: str, value: str) -> str:
    """ORCID's normalised external id value (lower case, DOI prefixes stripped)."""
    value = (value or "").strip().lower()
    if (id_type or "").lower() == "doi":
        value = _DOI_PREFIX.sub("", value)
    return value


def external_ids(section: str, data: dict) -> list[dict]:
    """The external ids of an item, wherever its section keeps them."""
    if section == "peer-review":
        holder = data.get("review-identifiers")
    elif section == "research-resource":
        holder = (data.get("proposal") or {}).get("external-ids")
    else:
        holder = data.get("external-ids")
    return list((holder or {}).get("external-id") or [])


def plain_text(value) -> str:
    """The text of a plain or ``{"value": ...}`` JSON member."""
    if isinstance(value, dict):
        value = value.get("value")
    return value.strip() if isinstance(value, str) else ("" if value is None else str(value))


def duplicate_keys(section: str, data: dict) -> frozenset:
    """What the duplicate rule compares: (type, normalised value, relationship), part-of left
    out (two items clash when they share a key: same id and relationship, not both part-of)."""
    keys = set()
    for ext in external_ids(section, data):
        relationship = ext.get("external-id-relationship")
        if relationship != "part-of":
            kind = ext.get("external-id-type")
            keys.add((kind, normalize_id(kind, plain_text(ext.get("external-id-value"))),
                      relationship))
    return frozenset(keys)


def find_duplicate(section: str, data: dict, own_items) -> int | None:
    """The put code of an item from the same source with a clashing external id, or None.

    ``own_items`` are (put_code, duplicate_keys) pairs of the same client in the same section,
    without the item being updated (ActivityValidator, orcid-facts/member-api.md#writes).
    """
    mine = duplicate_keys(section, data)
    for put_code, keys in own_items:
        if mine & keys:
            return put_code
    return None


def duplicate_error(put_code: int) -> ApiError:
    """409/9021, naming the existing item's put code as ORCID does."""
    return ApiError(409, 9021, "409 Conflict: You have already added this activity (matched by "
                    f"external identifiers), please see element with put-code {put_code}. If you "
                    "are trying to edit the item, please use PUT instead of POST.")
