"""ORCID's rules for items written through the member API (orcid-facts/member-api.md#writes,
orcid-facts/member-api.md#validation, orcid-facts/bodies.md#vocabularies).

``validate_item`` checks one incoming item (JSON shape) and returns it normalised (work type
aliases resolved, value wrappers added where ORCID's JSON has them); failures raise
``ApiError`` with ORCID's status and error code. The 409/9021 rule is in ``duplicates.py``.
"""

from __future__ import annotations

import datetime
import re

from .duplicates import external_ids
from .duplicates import plain_text as _text
from .errors import invalid
from .vocabularies import (
    AFFILIATIONS,
    CITATION_TYPES,
    DISAMBIGUATION_SOURCES,
    EXTERNAL_ID_TYPES,
    FUNDING_ROLES,
    FUNDING_TYPES,
    LANGUAGE_CODES,
    PEER_REVIEW_ROLES,
    PEER_REVIEW_TYPES,
    RELATIONSHIPS,
    VISIBILITIES,
    WORK_ROLES,
    WORK_TYPE_ALIASES,
    WORK_TYPES,
)

_CREDIT_ROLE = re.compile(r"^https?://credit\.niso\.org/contributor-roles/[a-z-]+/?$")
_ORCID_PATH = re.compile(r"^(\d{4}-){3}\d{3}[\dX]$")


def _wrap(data: dict, *keys: str) -> None:
    # ORCID's JSON wraps these in {"value": ...}; accept a bare string as ORCID's parser does.
    for key in keys:
        if isinstance(data.get(key), (str, int)):
            data[key] = {"value": str(data[key])}


def check_date(date, field: str) -> None:
    """A fuzzy date: year (4 digits, 1900-2100), optional 2-digit month and day, real (9049)."""
    if date is None:
        return
    parts = [_text((date or {}).get(k)) for k in ("year", "month", "day")]
    year, month, day = parts
    ok = bool(re.fullmatch(r"\d{4}", year)) and 1900 <= int(year) <= 2100
    ok = ok and (not month or bool(re.fullmatch(r"\d{2}", month)))
    ok = ok and (not day or (bool(month) and bool(re.fullmatch(r"\d{2}", day))))
    if ok:
        try:
            datetime.date(int(year), int(month or 1), int(day or 1))
        except ValueError:
            ok = False
    if not ok:
        raise invalid(9049, f"Invalid date in {field}: {'-'.join(p for p in parts if p)}")


def _check_ids(section: str, data: dict, required: bool, need_self: bool) -> None:
    ids = external_ids(section, data)
    if not ids:
        if required:
            raise invalid(9023, "External identifiers are required")
        return
    for ext in ids:
        _wrap(ext, "external-id-url")
        id_type = _text(ext.get("external-id-type"))
        if not id_type or not _text(ext.get("external-id-value")):
            raise invalid(9020, "external-id-type and external-id-value are required")
        if id_type not in EXTERNAL_ID_TYPES:
            raise invalid(9020, f"Invalid external-id-type: {id_type}")
        relationship = ext.get("external-id-relationship")
        if relationship not in RELATIONSHIPS:
            raise invalid(9020, f"Invalid external-id-relationship: {relationship}")
    if need_self and not any(e.get("external-id-relationship") == "self" for e in ids):
        raise invalid(9023, "A work must have at least one external identifier with "
                            "relationship 'self'")


def _check_org(org, field: str) -> None:
    if not isinstance(org, dict) or not _text(org.get("name")):
        raise invalid(9046, f"{field} is missing or invalid: it needs a name")
    disambiguated = org.get("disambiguated-organization")
    if not isinstance(disambiguated, dict):
        raise invalid(9045, f"{field} needs a disambiguated-organization")
    source = _text(disambiguated.get("disambiguation-source"))
    ident = _text(disambiguated.get("disambiguated-organization-identifier"))
    if source not in DISAMBIGUATION_SOURCES or not ident:
        raise invalid(9045, f"Invalid disambiguated-organization in {field}: source "
                            f"{source or 'missing'}, identifier {ident or 'missing'}")


def _check_title(holder, field: str = "title") -> None:
    title = (holder or {}).get("title") if isinstance(holder, dict) else None
    if not _text(title):
        raise invalid(9022, f"The {field} is required")


def _check_span(data: dict) -> None:
    check_date(data.get("start-date"), "start-date")
    check_date(data.get("end-date"), "end-date")
    if data.get("end-date") and not data.get("start-date"):
        raise invalid(9050, "An end-date requires a start-date")


def _check_contributors(data: dict, roles: frozenset) -> None:
    for contributor in (data.get("contributors") or {}).get("contributor") or []:
        orcid = (contributor.get("contributor-orcid") or {}).get("path")
        if orcid is not None and not _ORCID_PATH.match(str(orcid)):
            raise invalid(9020, f"Invalid contributor-orcid path {orcid!r}")
        attributes = contributor.get("contributor-attributes") or {}
        role = attributes.get("contributor-role")
        if role is not None and role not in roles and not _CREDIT_ROLE.match(str(role)):
            raise invalid(9058, f"Invalid contributor-role {role!r}")
        sequence = attributes.get("contributor-sequence")
        if sequence is not None and sequence not in ("first", "additional"):
            raise invalid(9020, f"Invalid contributor-sequence {sequence!r}")
        _wrap(contributor, "credit-name", "contributor-email")


def _check_language(code, field: str) -> None:
    if code is not None and code not in LANGUAGE_CODES:
        raise invalid(9020, f"Invalid {field} {code!r}")


def _work(data: dict) -> None:
    _check_title(data.get("title"))
    work_type = data.get("type")
    work_type = WORK_TYPE_ALIASES.get(work_type, work_type)
    if work_type not in WORK_TYPES:
        raise invalid(9037, f"Invalid work type {work_type!r}, valid values are: "
                            + ", ".join(sorted(WORK_TYPES)))
    data["type"] = work_type
    check_date(data.get("publication-date"), "publication-date")
    _check_ids("work", data, required=True, need_self=True)
    citation = data.get("citation")
    if citation is not None:
        if citation.get("citation-type") not in CITATION_TYPES:
            raise invalid(9020, f"Invalid citation-type {citation.get('citation-type')!r}")
        if not _text(citation.get("citation-value")):
            raise invalid(9020, "A citation needs a citation-value")
    _check_language(data.get("language-code"), "language-code")
    translated = (data.get("title") or {}).get("translated-title")
    if isinstance(translated, dict):
        _check_language(translated.get("language-code"), "translated-title language-code")
    _wrap(data, "country")
    if data.get("country") and not re.fullmatch(r"[A-Z]{2}", _text(data["country"])):
        raise invalid(9020, "country must be an ISO 3166 alpha-2 code")
    _check_contributors(data, WORK_ROLES)
    _wrap(data, "url", "journal-title")


def _funding(data: dict) -> None:
    if data.get("type") not in FUNDING_TYPES:
        raise invalid(9037, f"Invalid funding type {data.get('type')!r}, valid values are: "
                            + ", ".join(sorted(FUNDING_TYPES)))
    _check_title(data.get("title"))
    _check_ids("funding", data, required=True, need_self=False)
    amount = data.get("amount")
    if amount is not None:
        if not _text(amount) or not isinstance(amount, dict) or not amount.get("currency-code"):
            raise invalid(9020, "A funding amount requires a value and a currency-code")
    _check_span(data)
    _check_org(data.get("organization"), "organization")
    _check_contributors(data, FUNDING_ROLES)
    _wrap(data, "url", "organization-defined-type")


def _affiliation(data: dict) -> None:
    _check_span(data)
    _check_org(data.get("organization"), "organization")
    _check_ids("employment", data, required=False, need_self=False)
    _wrap(data, "url")


def _peer_review(data: dict) -> None:
    _check_ids("peer-review", data, required=True, need_self=False)
    for key in ("reviewer-role", "review-type", "review-group-id", "review-completion-date"):
        if not data.get(key) or (isinstance(data.get(key), str) and not _text(data.get(key))):
            raise invalid(9020, f"{key} is required")
    for key, allowed in (("reviewer-role", PEER_REVIEW_ROLES),
                         ("review-type", PEER_REVIEW_TYPES)):
        if _text(data.get(key)) not in allowed:
            raise invalid(9037, f"Invalid {key} {data.get(key)!r}, valid values are: "
                          + ", ".join(sorted(allowed)))
    subject = data.get("subject-external-identifier")
    if subject is not None:
        _wrap(subject, "external-id-url")
        kind, value = subject.get("external-id-type"), subject.get("external-id-value")
        if not _text(kind) or not _text(value):
            raise invalid(9020, "subject-external-identifier needs a type and a value")
    check_date(data.get("review-completion-date"), "review-completion-date")
    org = data.get("convening-organization")
    if not isinstance(org, dict) or not _text(org.get("name")):
        raise invalid(9046, "convening-organization is missing or invalid")
    _wrap(data, "review-url", "subject-url", "subject-container-name")


def _research_resource(data: dict) -> None:
    proposal = data.get("proposal")
    if not isinstance(proposal, dict):
        raise invalid(9020, "proposal is required")
    _check_title(proposal.get("title"))
    _check_ids("research-resource", data, required=True, need_self=False)
    hosts = (proposal.get("hosts") or {}).get("organization") or []
    if not hosts:
        raise invalid(9046, "proposal hosts need at least one organization")
    for org in hosts:
        _check_org(org, "host organization")
    _check_span(proposal)
    _wrap(proposal, "url")
    for resource in data.get("resource-item") or []:
        _wrap(resource, "url")
        if not _text(resource.get("resource-name")):
            raise invalid(9020, "resource-name is required")


def _person(section: str, data: dict) -> None:
    if section in ("other-names", "keywords"):
        if not _text(data.get("content")):
            raise invalid(9020, "content is required")
    elif section == "researcher-urls":
        _wrap(data, "url")
        if not _text(data.get("url")):
            raise invalid(9020, "url is required")
    elif section == "external-identifiers":
        _wrap(data, "external-id-url")
        if not _text(data.get("external-id-type")) or not _text(data.get("external-id-value")):
            raise invalid(9020, "external-id-type and external-id-value are required")
        if data.get("external-id-relationship", "self") not in RELATIONSHIPS:
            raise invalid(9020, "Invalid external-id-relationship")
    elif section == "address":
        _wrap(data, "country")
        if not re.fullmatch(r"[A-Z]{2}", _text(data.get("country"))):
            raise invalid(9020, "country must be an ISO 3166 alpha-2 code")


def validate_item(section: str, data) -> dict:
    """Check one item of ``section`` (canonical name); return it normalised or raise."""
    if not isinstance(data, dict):
        raise invalid(9020, f"The body must be a {section} object")
    visibility = data.get("visibility")
    if visibility is not None and visibility not in VISIBILITIES:
        raise invalid(9020, f"Invalid visibility {visibility!r}")
    if section == "work":
        _work(data)
    elif section == "funding":
        _funding(data)
    elif section in AFFILIATIONS:
        _affiliation(data)
    elif section == "peer-review":
        _peer_review(data)
    elif section == "research-resource":
        _research_resource(data)
    else:
        _person(section, data)
    return data
