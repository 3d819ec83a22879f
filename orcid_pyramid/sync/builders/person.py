"""ORCID 3.0 person items: other names, keywords, researcher URLs, external identifiers,
addresses (written with the ``/person/update`` scope)."""

from __future__ import annotations

from dataclasses import dataclass

from .base import OrcidItem
from .common import (
    ExternalId,
    OrcidValidationError,
    check_country,
    check_text,
    check_url,
    compact,
    value_of,
    wrap,
)


@dataclass(frozen=True)
class _TextItem(OrcidItem):
    """A person item that is one piece of text (``content``), at most 255 characters."""

    content: str

    def _validate_content(self) -> None:
        check_text(f"{self.section}.content", self.content, max_len=255, required=True)

    def content_json(self) -> dict:
        """``{"content": ...}``."""
        return {"content": self.content}

    @classmethod
    def _fields_from_json(cls, data: dict) -> dict:
        return {"content": data.get("content")}


@dataclass(frozen=True)
class OtherName(_TextItem):
    """Another name the researcher is known by."""

    section = "other-names"
    read_section = "other-names"


@dataclass(frozen=True)
class Keyword(_TextItem):
    """A keyword describing the researcher's work."""

    section = "keywords"
    read_section = "keywords"


@dataclass(frozen=True)
class ResearcherUrl(OrcidItem):
    """A link to the researcher's page elsewhere, with an optional name."""

    section = "researcher-urls"
    read_section = "researcher-urls"

    url: str
    name: str | None = None

    def _validate_content(self) -> None:
        check_url("researcher-urls.url", self.url, required=True)
        check_text("researcher-urls.name", self.name, max_len=350)

    def content_json(self) -> dict:
        """``{"url-name": ..., "url": {"value": ...}}``."""
        return compact([("url-name", self.name), ("url", wrap(self.url))])

    @classmethod
    def _fields_from_json(cls, data: dict) -> dict:
        return {"url": value_of(data.get("url")), "name": data.get("url-name")}


@dataclass(frozen=True)
class PersonExternalIdentifier(OrcidItem):
    """An identifier of the person in another system (Scopus Author ID, ResearcherID...).

    Unlike activity external ids the type is free text; ORCID requires the URL.
    """

    section = "external-identifiers"
    read_section = "external-identifiers"

    type: str
    value: str
    url: str
    relationship: str = "self"

    def _validate_content(self) -> None:
        field = "external-identifiers"
        ExternalId(self.type, self.value, self.relationship, self.url).check(
            field, known_types=False
        )
        if self.url is None:
            raise OrcidValidationError(f"{field}.url", "a person external identifier needs a URL")

    def content_json(self) -> dict:
        """One ``external-identifier`` object."""
        return ExternalId(self.type, self.value, self.relationship, self.url).to_json()

    @classmethod
    def _fields_from_json(cls, data: dict) -> dict:
        eid = ExternalId.from_json(data)
        return {
            "type": eid.type,
            "value": eid.value,
            "url": eid.url,
            "relationship": eid.relationship,
        }


@dataclass(frozen=True)
class Address(OrcidItem):
    """A country the researcher is associated with."""

    section = "address"
    read_section = "address"

    country: str

    def _normalize(self) -> None:
        if isinstance(self.country, str):
            self._set("country", self.country.upper())

    def _validate_content(self) -> None:
        if self.country is None:
            raise OrcidValidationError("address.country", "is required")
        check_country("address.country", self.country)

    def content_json(self) -> dict:
        """``{"country": {"value": "CA"}}``."""
        return {"country": wrap(self.country)}

    @classmethod
    def _fields_from_json(cls, data: dict) -> dict:
        return {"country": value_of(data.get("country"))}


PERSON_TYPES: tuple[type[OrcidItem], ...] = (
    OtherName,
    Keyword,
    ResearcherUrl,
    PersonExternalIdentifier,
    Address,
)
