"""Organizations (with ROR/Ringgold/GRID/FundRef disambiguation) and contributors."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ...client.orcid_id import is_valid_orcid
from . import vocab
from .common import (
    OrcidValidationError,
    check_choice,
    check_country,
    check_text,
    compact,
    value_of,
    wrap,
)

# ORCID's XSD only accepts contributor iD URIs on an orcid.org host (sandbox.orcid.org, ...)
_ORCID_HOST = re.compile(r"([a-z0-9-]+\.)*orcid\.org")


@dataclass(frozen=True)
class DisambiguatedOrganization:
    """An organization's identifier in ROR, Ringgold, GRID or FundRef."""

    identifier: str
    source: str

    def normalized(self) -> DisambiguatedOrganization:
        """Upper-case the source and write a bare ROR id (``05qwgg493``) as its URL."""
        source = self.source.upper() if isinstance(self.source, str) else self.source
        identifier = (
            self.identifier.strip() if isinstance(self.identifier, str) else self.identifier
        )
        if source == "ROR" and isinstance(identifier, str) and "/" not in identifier:
            identifier = "https://ror.org/" + identifier
        return DisambiguatedOrganization(identifier, source)

    def check(self, field: str) -> None:
        """Check the source and that the identifier has that source's form."""
        check_choice(
            f"{field}.source",
            self.source,
            vocab.DISAMBIGUATION_SOURCES,
            what="disambiguation source",
        )
        check_text(f"{field}.identifier", self.identifier, max_len=500, required=True)
        pattern, example = vocab.DISAMBIGUATED_ID_FORMS[self.source]
        if not pattern.fullmatch(self.identifier):
            raise OrcidValidationError(
                f"{field}.identifier",
                f"{self.identifier!r} is not a {self.source} identifier (like {example!r})",
            )

    def to_json(self) -> dict:
        """The ``disambiguated-organization`` object."""
        return {
            "disambiguated-organization-identifier": self.identifier,
            "disambiguation-source": self.source,
        }


@dataclass(frozen=True)
class Organization:
    """An organization: name, address and (required by ORCID for writes) its identifier."""

    name: str
    city: str | None = None
    region: str | None = None
    country: str | None = None
    disambiguated: DisambiguatedOrganization | None = None

    def normalized(self) -> Organization:
        """Upper-case the country and normalize the disambiguated id."""
        country = self.country.upper() if isinstance(self.country, str) else self.country
        disambiguated = self.disambiguated
        if isinstance(disambiguated, DisambiguatedOrganization):
            disambiguated = disambiguated.normalized()
        return Organization(self.name, self.city, self.region, country, disambiguated)

    def check(self, field: str) -> None:
        """ORCID's rules 9046 (organization) and 9045 (disambiguated organization)."""
        check_text(f"{field}.name", self.name, max_len=4000, required=True)
        check_text(f"{field}.city", self.city, max_len=4000)
        check_text(f"{field}.region", self.region, max_len=4000)
        check_country(f"{field}.country", self.country)
        if self.disambiguated is None:
            raise OrcidValidationError(
                f"{field}.disambiguated",
                "ORCID needs a disambiguated organization (ROR, RINGGOLD, GRID or FUNDREF id)",
            )
        self.disambiguated.check(f"{field}.disambiguated")

    def to_json(self) -> dict:
        """The ``organization`` object (address is always present, as the XSD requires)."""
        return compact(
            [
                ("name", self.name),
                (
                    "address",
                    compact(
                        [("city", self.city), ("region", self.region), ("country", self.country)]
                    ),
                ),
                (
                    "disambiguated-organization",
                    self.disambiguated.to_json() if self.disambiguated else None,
                ),
            ]
        )

    @classmethod
    def from_json(cls, data: Any) -> Organization | None:
        """Parse an ``organization`` object."""
        if not isinstance(data, dict):
            return None
        address = data.get("address") or {}
        dis = data.get("disambiguated-organization")
        return cls(
            name=data.get("name"),
            city=address.get("city"),
            region=address.get("region"),
            country=value_of(address.get("country")),
            disambiguated=DisambiguatedOrganization(
                dis.get("disambiguated-organization-identifier"), dis.get("disambiguation-source")
            )
            if isinstance(dis, dict)
            else None,
        )


@dataclass(frozen=True)
class Contributor:
    """A work or funding contributor: iD and/or credit name, role, sequence (works only)."""

    orcid: str | None = None
    credit_name: str | None = None
    email: str | None = None
    role: str | None = None
    sequence: str | None = None
    orcid_host: str = "orcid.org"

    def check(self, field: str, *, roles: frozenset, sequences: bool) -> None:
        """Check the iD checksum, name length, role and (for works) sequence."""
        if self.orcid is None and self.credit_name is None:
            raise OrcidValidationError(field, "a contributor needs an ORCID iD or a credit name")
        if self.orcid is not None and not is_valid_orcid(self.orcid):
            raise OrcidValidationError(f"{field}.orcid", f"{self.orcid!r} is not a valid ORCID iD")
        if not (isinstance(self.orcid_host, str) and _ORCID_HOST.fullmatch(self.orcid_host)):
            raise OrcidValidationError(
                f"{field}.orcid_host", f"{self.orcid_host!r} is not an ORCID host such as orcid.org"
            )
        check_text(f"{field}.credit_name", self.credit_name, max_len=150)
        if self.email is not None and (not isinstance(self.email, str) or "@" not in self.email):
            raise OrcidValidationError(f"{field}.email", f"{self.email!r} is not an email address")
        if self.role is not None:
            check_choice(f"{field}.role", self.role, roles, what="contributor role")
        if self.sequence is not None:
            if not sequences:
                raise OrcidValidationError(
                    f"{field}.sequence", "only work contributors have a sequence"
                )
            check_choice(
                f"{field}.sequence",
                self.sequence,
                vocab.CONTRIBUTOR_SEQUENCES,
                what="contributor sequence",
            )

    def orcid_json(self) -> dict | None:
        """The ``contributor-orcid`` object (uri, path, host)."""
        if self.orcid is None:
            return None
        return {
            "uri": f"https://{self.orcid_host}/{self.orcid}",
            "path": self.orcid,
            "host": self.orcid_host,
        }

    def to_json(self) -> dict:
        """One ``contributor`` object."""
        attributes = compact(
            [("contributor-sequence", self.sequence), ("contributor-role", self.role)]
        )
        return compact(
            [
                ("contributor-orcid", self.orcid_json()),
                ("credit-name", wrap(self.credit_name)),
                ("contributor-email", wrap(self.email)),
                ("contributor-attributes", attributes or None),
            ]
        )

    @classmethod
    def from_json(cls, data: dict) -> Contributor:
        """Parse one ``contributor`` object."""
        orcid = data.get("contributor-orcid") or {}
        attributes = data.get("contributor-attributes") or {}
        path = orcid.get("path")
        if path is None and orcid.get("uri"):
            path = orcid["uri"].rstrip("/").rsplit("/", 1)[-1]
        return cls(
            orcid=path,
            credit_name=value_of(data.get("credit-name")),
            email=value_of(data.get("contributor-email")),
            role=attributes.get("contributor-role"),
            sequence=attributes.get("contributor-sequence"),
            orcid_host=orcid.get("host") or "orcid.org",
        )


def contributors_to_json(contributors: tuple[Contributor, ...]) -> dict:
    """The ``contributors`` wrapper."""
    return {"contributor": [c.to_json() for c in contributors]}


def contributors_from_json(data: Any) -> tuple[Contributor, ...]:
    """Parse the ``contributors`` wrapper."""
    if not isinstance(data, dict):
        return ()
    return tuple(Contributor.from_json(c) for c in data.get("contributor") or ())


def check_contributors(
    field: str, contributors: tuple, *, roles: frozenset, sequences: bool
) -> None:
    """Check every contributor of an item."""
    for index, contributor in enumerate(contributors):
        if not isinstance(contributor, Contributor):
            raise OrcidValidationError(f"{field}[{index}]", "must be a Contributor")
        contributor.check(f"{field}[{index}]", roles=roles, sequences=sequences)
