"""The seven ORCID 3.0 affiliation types, which share one shape (``common:affiliation``)."""

from __future__ import annotations

from dataclasses import dataclass

from .base import OrcidItem
from .common import (
    ExternalId,
    FuzzyDate,
    OrcidValidationError,
    check_date_range,
    check_external_ids,
    check_text,
    check_url,
    compact,
    external_ids_from_json,
    external_ids_to_json,
    normalize_external_ids,
    value_of,
    wrap,
)
from .organization import Organization


@dataclass(frozen=True)
class Affiliation(OrcidItem):
    """Base of the affiliation types: an organization (with a ROR, Ringgold, GRID or
    FundRef id), department, role, start/end dates (an end date needs a start date),
    URL and external ids. Use one of the subclasses (``Employment``, ``Education``, ...).
    """

    organization: Organization
    department_name: str | None = None
    role_title: str | None = None
    start_date: FuzzyDate | None = None
    end_date: FuzzyDate | None = None
    url: str | None = None
    external_ids: tuple[ExternalId, ...] = ()

    def _normalize(self) -> None:
        self._set(
            "external_ids",
            normalize_external_ids(f"{self.section}.external_ids", self.external_ids),
        )
        if isinstance(self.organization, Organization):
            self._set("organization", self.organization.normalized())
        self._set("start_date", FuzzyDate.coerce(self.start_date, f"{self.section}.start_date"))
        self._set("end_date", FuzzyDate.coerce(self.end_date, f"{self.section}.end_date"))

    def _validate_content(self) -> None:
        name = self.section
        if not self.section:
            raise OrcidValidationError("affiliation", "use a concrete type such as Employment")
        if not isinstance(self.organization, Organization):
            raise OrcidValidationError(
                f"{name}.organization", "an affiliation needs an organization"
            )
        self.organization.check(f"{name}.organization")
        check_text(f"{name}.department_name", self.department_name, max_len=4000)
        check_text(f"{name}.role_title", self.role_title, max_len=4000)
        check_date_range(f"{name}.", self.start_date, self.end_date)
        check_url(f"{name}.url", self.url)
        check_external_ids(f"{name}.external_ids", self.external_ids)

    def content_json(self) -> dict:
        """ORCID 3.0 affiliation JSON, members in the order of ORCID's samples."""
        return compact(
            [
                ("department-name", self.department_name),
                ("role-title", self.role_title),
                ("start-date", self.start_date.to_json() if self.start_date else None),
                ("end-date", self.end_date.to_json() if self.end_date else None),
                ("organization", self.organization.to_json() if self.organization else None),
                ("url", wrap(self.url)),
                (
                    "external-ids",
                    external_ids_to_json(self.external_ids) if self.external_ids else None,
                ),
            ]
        )

    @classmethod
    def _fields_from_json(cls, data: dict) -> dict:
        return {
            "organization": Organization.from_json(data.get("organization")),
            "department_name": data.get("department-name"),
            "role_title": data.get("role-title"),
            "start_date": FuzzyDate.from_json(data.get("start-date")),
            "end_date": FuzzyDate.from_json(data.get("end-date")),
            "url": value_of(data.get("url")),
            "external_ids": external_ids_from_json(data.get("external-ids")),
        }


@dataclass(frozen=True)
class Employment(Affiliation):
    """An employment."""

    section = "employment"
    read_section = "employments"


@dataclass(frozen=True)
class Education(Affiliation):
    """An education."""

    section = "education"
    read_section = "educations"


@dataclass(frozen=True)
class Distinction(Affiliation):
    """A distinction (award, honour)."""

    section = "distinction"
    read_section = "distinctions"


@dataclass(frozen=True)
class InvitedPosition(Affiliation):
    """An invited position (visiting role)."""

    section = "invited-position"
    read_section = "invited-positions"


@dataclass(frozen=True)
class Membership(Affiliation):
    """A membership of a society or association."""

    section = "membership"
    read_section = "memberships"


@dataclass(frozen=True)
class Qualification(Affiliation):
    """A qualification (professional certification)."""

    section = "qualification"
    read_section = "qualifications"


@dataclass(frozen=True)
class Service(Affiliation):
    """A service (committee, board, review panel)."""

    section = "service"
    read_section = "services"


AFFILIATION_TYPES: tuple[type[Affiliation], ...] = (
    Employment,
    Education,
    Distinction,
    InvitedPosition,
    Membership,
    Qualification,
    Service,
)
