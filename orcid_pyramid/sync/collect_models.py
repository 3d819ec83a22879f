"""Typed objects for what Collect reads from an ORCID record, and the parser of the record.

Everything here tolerates what real records hold: a private name (``null``), no family name,
no visible email, empty sections, and items entered by the user or by other clients that our
write rules would refuse (they are parsed leniently).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from .builders import (
    AFFILIATION_TYPES,
    Address,
    Affiliation,
    ExternalId,
    Funding,
    FuzzyDate,
    Keyword,
    OrcidItem,
    OrcidValidationError,
    OtherName,
    PersonExternalIdentifier,
    ResearcherUrl,
    Work,
)
from .builders.base import lenient, meta_from_json
from .builders.common import external_ids_from_json, value_of

log = logging.getLogger("orcid_pyramid.sync.collect")


@dataclass(frozen=True)
class WorkSummary:
    """One work as listed in ``/works``: the summary fields plus put code and source."""

    put_code: int | None
    title: str | None
    type: str | None
    external_ids: tuple[ExternalId, ...] = ()
    url: str | None = None
    publication_date: FuzzyDate | None = None
    journal_title: str | None = None
    visibility: str | None = None
    source_client_id: str | None = None
    source_orcid: str | None = None
    source_name: str | None = None
    display_index: int = 0

    @classmethod
    def from_json(cls, data: dict) -> WorkSummary:
        """Parse a ``work-summary`` object."""
        meta = meta_from_json(data)
        title = data.get("title") or {}
        try:
            display_index = int(data.get("display-index") or 0)
        except (TypeError, ValueError):
            display_index = 0
        return cls(
            put_code=meta["put_code"],
            title=value_of(title.get("title")),
            type=data.get("type"),
            external_ids=external_ids_from_json(data.get("external-ids")),
            url=value_of(data.get("url")),
            publication_date=FuzzyDate.from_json(data.get("publication-date")),
            journal_title=value_of(data.get("journal-title")),
            visibility=meta["visibility"],
            source_client_id=meta["source_client_id"],
            source_orcid=meta["source_orcid"],
            source_name=meta["source_name"],
            display_index=display_index,
        )

    def to_work(self) -> Work:
        """A :class:`Work` with the summary's content and source, without the put code
        (another source's put code is of no use to the host: it may not update that item)."""
        with lenient():
            return Work(
                title=self.title,
                type=self.type,
                external_ids=self.external_ids,
                url=self.url,
                publication_date=self.publication_date,
                journal_title=self.journal_title,
                visibility=self.visibility,
                source_client_id=self.source_client_id,
                source_orcid=self.source_orcid,
                source_name=self.source_name,
            )


@dataclass(frozen=True)
class Email:
    """An email address on the record (ORCID only ever returns verified ones)."""

    address: str
    primary: bool = False
    verified: bool = False
    visibility: str | None = None


@dataclass(frozen=True)
class OrcidProfile:
    """What a ``/read-limited`` token could see of one record, as typed objects."""

    orcid: str
    given_names: str | None = None
    family_names: str | None = None
    credit_name: str | None = None
    biography: str | None = None
    emails: tuple[Email, ...] = ()
    other_names: tuple[OtherName, ...] = ()
    keywords: tuple[Keyword, ...] = ()
    researcher_urls: tuple[ResearcherUrl, ...] = ()
    external_identifiers: tuple[PersonExternalIdentifier, ...] = ()
    addresses: tuple[Address, ...] = ()
    work_groups: tuple[tuple[WorkSummary, ...], ...] = ()
    fundings: tuple[Funding, ...] = ()
    affiliations: dict[str, tuple[Affiliation, ...]] = field(default_factory=dict)

    @property
    def works(self) -> tuple[WorkSummary, ...]:
        """Every work summary, all groups flattened."""
        return tuple(summary for group in self.work_groups for summary in group)

    @property
    def primary_email(self) -> str | None:
        """The primary email if visible, else the first visible one, else None."""
        for email in self.emails:
            if email.primary:
                return email.address
        return self.emails[0].address if self.emails else None

    def affiliations_of(self, section: str) -> tuple[Affiliation, ...]:
        """The affiliations of one type (``"employment"``, ``"education"``, ...)."""
        return self.affiliations.get(section, ())

    @property
    def employments(self) -> tuple[Affiliation, ...]:
        """The record's employments."""
        return self.affiliations_of("employment")

    @property
    def educations(self) -> tuple[Affiliation, ...]:
        """The record's educations."""
        return self.affiliations_of("education")


# -- the record parser -------------------------------------------------------------------------


def _items(cls: type[OrcidItem], nodes: Any) -> tuple:
    """Parse a list of items leniently, skipping (and logging) entries that are not items."""
    found = []
    for node in nodes or ():
        try:
            found.append(cls.from_json(node, strict=False))
        except OrcidValidationError as exc:
            log.warning("skipped an unreadable %s on the record: %s", cls.section, exc)
    return tuple(found)


def _section(container: Any, key: str, inner: str) -> list:
    section = container.get(key) if isinstance(container, dict) else None
    if not isinstance(section, dict):
        return []
    nodes = section.get(inner)
    return nodes if isinstance(nodes, list) else []


def _emails(person: dict) -> tuple[Email, ...]:
    found = []
    for node in _section(person, "emails", "email"):
        if isinstance(node, dict) and node.get("email"):
            found.append(
                Email(
                    address=node["email"],
                    primary=bool(node.get("primary")),
                    verified=bool(node.get("verified")),
                    visibility=node.get("visibility"),
                )
            )
    return tuple(found)


def _work_groups(activities: dict) -> tuple[tuple[WorkSummary, ...], ...]:
    groups = []
    for group in _section(activities, "works", "group"):
        summaries = tuple(
            WorkSummary.from_json(node)
            for node in (group or {}).get("work-summary") or ()
            if isinstance(node, dict)
        )
        if summaries:
            groups.append(summaries)
    return tuple(groups)


def _fundings(activities: dict) -> tuple[Funding, ...]:
    nodes = []
    for group in _section(activities, "fundings", "group"):
        nodes.extend((group or {}).get("funding-summary") or ())
    return _items(Funding, nodes)


def _affiliations(activities: dict) -> dict[str, tuple[Affiliation, ...]]:
    found = {}
    for cls in AFFILIATION_TYPES:
        nodes = []
        for group in _section(activities, cls.read_section, "affiliation-group"):
            for summary in (group or {}).get("summaries") or ():
                nodes.append((summary or {}).get(f"{cls.section}-summary"))
        found[cls.section] = _items(cls, [n for n in nodes if n is not None])
    return found


def profile_from_record(data: dict, orcid: str | None = None) -> OrcidProfile:
    """Build an :class:`OrcidProfile` from a ``/record`` JSON answer (v3.0)."""
    if not isinstance(data, dict):
        raise OrcidValidationError("record", "expected the record as a JSON object")
    identifier = data.get("orcid-identifier") or {}
    person = data.get("person") or {}
    activities = data.get("activities-summary") or {}
    name = person.get("name") or {}
    biography = person.get("biography") or {}
    return OrcidProfile(
        orcid=identifier.get("path") or orcid,
        given_names=value_of(name.get("given-names")),
        family_names=value_of(name.get("family-name")),
        credit_name=value_of(name.get("credit-name")),
        biography=biography.get("content"),
        emails=_emails(person),
        other_names=_items(OtherName, _section(person, "other-names", "other-name")),
        keywords=_items(Keyword, _section(person, "keywords", "keyword")),
        researcher_urls=_items(
            ResearcherUrl, _section(person, "researcher-urls", "researcher-url")
        ),
        external_identifiers=_items(
            PersonExternalIdentifier,
            _section(person, "external-identifiers", "external-identifier"),
        ),
        addresses=_items(Address, _section(person, "addresses", "address")),
        work_groups=_work_groups(activities),
        fundings=_fundings(activities),
        affiliations=_affiliations(activities),
    )
