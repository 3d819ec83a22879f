"""Small readers of ORCID v3.0 JSON items and section names used by the worker and the pull."""

from __future__ import annotations

from ..client.api import ACTIVITY_KINDS

#: singular item path -> plural section path (orcid-facts/member-api.md#endpoints); the
#: client's table
_PLURALS = ACTIVITY_KINDS
_SINGULARS = {plural: singular for singular, plural in _PLURALS.items()}


def section_name(section: str) -> str:
    """The plural section name (``works``) for either form (``work`` or ``works``)."""
    section = section.replace("_", "-")
    return _PLURALS.get(section, section)


def kind_name(section: str) -> str:
    """The singular item name (``work``) for either form."""
    section = section.replace("_", "-")
    return _SINGULARS.get(section, section)


def _value(node):
    if isinstance(node, dict):
        return node.get("value")
    return node


def describe(section: str, payload: dict | None) -> str:
    """A short human title for an item: the work/funding title or the role at the organisation."""
    if not payload:
        return ""
    title = payload.get("title")
    if isinstance(title, dict):
        text = _value(title.get("title"))
        if text:
            return str(text)
    if payload.get("reviewer-role"):  # a peer review: what was reviewed, else its group
        subject = _value((payload.get("subject-name") or {}).get("title"))
        return f"Review of {subject}" if subject else f"Review for {payload.get('review-group-id')}"
    org = (payload.get("organization") or {}).get("name")
    role = payload.get("role-title")
    if org and role:
        return f"{role}, {org}"
    return str(org or role or "")


def self_external_ids(payload: dict | None) -> set[tuple[str, str]]:
    """The item's ``self`` external ids as (type, lower-cased value) pairs."""
    found = set()
    # a peer review's own identifiers are its review-identifiers (its summary's external-ids)
    wrapper = (payload or {}).get("external-ids") or (payload or {}).get("review-identifiers")
    ids = (wrapper or {}).get("external-id") or []
    for ext in ids:
        if (ext.get("external-id-relationship") or "self") != "self":
            continue
        kind = ext.get("external-id-type")
        value = _value(ext.get("external-id-value"))
        if kind and value:
            found.add((str(kind).lower(), str(value).strip().lower()))
    return found


def affiliation_key(payload: dict | None) -> tuple | None:
    """What identifies an affiliation without external ids: organisation, role, start date."""
    if not payload or not payload.get("organization"):
        return None
    start = payload.get("start-date") or {}
    return (
        str((payload.get("organization") or {}).get("name") or "").strip().lower(),
        str(payload.get("role-title") or "").strip().lower(),
        str(payload.get("department-name") or "").strip().lower(),
        tuple(str(_value(start.get(part)) or "") for part in ("year", "month", "day")),
    )


def summaries(section_json: dict | None, section: str) -> list[dict]:
    """The item summaries of a section read (``GET /works`` groups, affiliation groups, …)."""
    if not section_json:
        return []
    found: list[dict] = []
    kind = kind_name(section)
    groups = (section_json.get("group") or []) + (section_json.get("affiliation-group") or [])
    for group in groups:
        for key, value in group.items():
            if key.endswith("-summary") and isinstance(value, list):
                found.extend(value)
            elif key == "peer-review-group" and isinstance(value, list):
                # peer reviews are grouped twice: by group id, then by review identifiers
                for inner in value:
                    found.extend(inner.get("peer-review-summary") or [])
            elif key == "summaries" and isinstance(value, list):
                # affiliation groups wrap each summary: {"employment-summary": {...}}
                for wrapper in value:
                    inner = wrapper.get(f"{kind}-summary") if isinstance(wrapper, dict) else None
                    if inner is None and isinstance(wrapper, dict) and len(wrapper) == 1:
                        inner = next(iter(wrapper.values()))
                    if isinstance(inner, dict):
                        found.append(inner)
    for key, value in section_json.items():
        if (key.endswith("-summary") or key in _PERSON_LISTS) and isinstance(value, list):
            found.extend(v for v in value if isinstance(v, dict))
    return found


#: the list member of each person section read (``GET /keywords`` -> ``{"keyword": [...]}``)
_PERSON_LISTS = {"other-name", "keyword", "researcher-url", "external-identifier", "address"}


def person_key(section: str, payload: dict | None) -> tuple | None:
    """What identifies a person item (they carry no ``self`` external ids): the keyword or
    other name, the URL, the identifier's type and value, the country."""
    if not isinstance(payload, dict):
        return None
    section = section_name(section)

    def text(node) -> str:
        return str(_value(node) or "").strip().lower()

    if section in ("keywords", "other-names"):
        key = (text(payload.get("content")),)
    elif section == "researcher-urls":
        key = (text(payload.get("url")),)
    elif section == "external-identifiers":
        key = (text(payload.get("external-id-type")), text(payload.get("external-id-value")))
    elif section in ("address", "addresses"):
        key = (text(payload.get("country")),)
    else:
        return None
    return key if all(key) else None


def put_code_of(summary: dict) -> int | None:
    """A summary's put code as an int; None when ORCID's read holds none or an unusable one
    (a garbled answer must not crash the worker or the scheduled read)."""
    value = summary.get("put-code") if isinstance(summary, dict) else None
    if isinstance(value, bool) or not isinstance(value, int | str):
        return None
    text = str(value).strip()
    return int(text) if text.isdigit() and int(text) > 0 else None


def source_client_id(summary: dict) -> str | None:
    """The client id (``APP-…``) that created an item, from its ``source``."""
    source = summary.get("source") or {}
    client = source.get("source-client-id") or {}
    return client.get("path") or (str(client.get("uri") or "").rsplit("/", 1)[-1] or None)


def last_modified(node: dict | None) -> int | None:
    """The epoch-ms ``last-modified-date`` of a section or an item, if present."""
    if not node:
        return None
    value = _value(node.get("last-modified-date"))
    return int(value) if value is not None else None
