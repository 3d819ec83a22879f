"""Typed ORCID 3.0 items: build, validate, and render them as ORCID JSON or XML.

Every item is a frozen dataclass that checks ORCID's rules when it is built (raising
:class:`OrcidValidationError` naming the field) and offers ``section`` (the API path kind),
``to_json()``, ``to_xml()``, ``content_hash()`` and ``from_json()``::

    work = Work(title="On ORCID", type="journal-article",
                external_ids=[ExternalId("doi", "10.1000/182")],
                publication_date="2021-05")
    api.create(work.section, work.to_json())
"""

from __future__ import annotations

from typing import Any

from .affiliation import (
    AFFILIATION_TYPES,
    Affiliation,
    Distinction,
    Education,
    Employment,
    InvitedPosition,
    Membership,
    Qualification,
    Service,
)
from .base import OrcidItem
from .common import ExternalId, FuzzyDate, OrcidValidationError
from .funding import Funding
from .organization import Contributor, DisambiguatedOrganization, Organization
from .peer_review import PeerReview
from .person import (
    PERSON_TYPES,
    Address,
    Keyword,
    OtherName,
    PersonExternalIdentifier,
    ResearcherUrl,
)
from .work import Citation, Work

ITEM_TYPES: dict[str, type[OrcidItem]] = {
    cls.section: cls for cls in (Work, Funding, PeerReview, *AFFILIATION_TYPES, *PERSON_TYPES)
}
"""The builder class for each API section (``"work"``, ``"employment"``, ``"keywords"``...)."""


def item_class(section: str) -> type[OrcidItem]:
    """The builder class for an API section; plural read sections are accepted too."""
    cls = ITEM_TYPES.get(section)
    if cls is None:
        cls = next((c for c in ITEM_TYPES.values() if c.read_section == section), None)
    if cls is None:
        raise OrcidValidationError("section", f"{section!r} is not an ORCID item section")
    return cls


def item_from_json(section: str, data: Any, *, strict: bool = True) -> OrcidItem:
    """Parse ORCID JSON of the item kind named by ``section``."""
    return item_class(section).from_json(data, strict=strict)


__all__ = [
    "AFFILIATION_TYPES",
    "ITEM_TYPES",
    "PERSON_TYPES",
    "Address",
    "Affiliation",
    "Citation",
    "Contributor",
    "DisambiguatedOrganization",
    "Distinction",
    "Education",
    "Employment",
    "ExternalId",
    "Funding",
    "FuzzyDate",
    "InvitedPosition",
    "Keyword",
    "Membership",
    "OrcidItem",
    "OrcidValidationError",
    "Organization",
    "OtherName",
    "PeerReview",
    "PersonExternalIdentifier",
    "Qualification",
    "ResearcherUrl",
    "Service",
    "Work",
    "item_class",
    "item_from_json",
]
