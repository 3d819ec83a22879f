"""The ORCID 3.0 funding."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from . import vocab
from .base import OrcidItem
from .common import (
    ExternalId,
    FuzzyDate,
    OrcidValidationError,
    check_choice,
    check_date_range,
    check_external_ids,
    check_language,
    check_text,
    check_url,
    compact,
    external_ids_from_json,
    external_ids_to_json,
    normalize_external_ids,
    value_of,
    wrap,
)
from .organization import (
    Contributor,
    Organization,
    check_contributors,
    contributors_from_json,
    contributors_to_json,
)


@dataclass(frozen=True)
class Funding(OrcidItem):
    """A funding (grant, contract, award or salary award).

    ORCID requires a type, a title, at least one external id and a disambiguated funder
    organization; an amount needs a currency code and the other way round.
    """

    section = "funding"
    read_section = "fundings"

    type: str
    title: str
    organization: Organization
    external_ids: tuple[ExternalId, ...] = ()
    translated_title: str | None = None
    translated_title_language: str | None = None
    organization_defined_type: str | None = None
    short_description: str | None = None
    amount: str | None = None
    currency_code: str | None = None
    url: str | None = None
    start_date: FuzzyDate | None = None
    end_date: FuzzyDate | None = None
    contributors: tuple[Contributor, ...] = ()

    def _normalize(self) -> None:
        self._set(
            "external_ids",
            normalize_external_ids(f"{self.section}.external_ids", self.external_ids),
        )
        self._tuple("contributors")
        if isinstance(self.type, str):
            self._set("type", self.type.strip().lower().replace("_", "-"))
        if isinstance(self.organization, Organization):
            self._set("organization", self.organization.normalized())
        if isinstance(self.amount, (int, Decimal)) and not isinstance(self.amount, bool):
            self._set("amount", str(self.amount))
        if isinstance(self.currency_code, str):
            self._set("currency_code", self.currency_code.upper())
        self._set("start_date", FuzzyDate.coerce(self.start_date, "funding.start_date"))
        self._set("end_date", FuzzyDate.coerce(self.end_date, "funding.end_date"))

    def _validate_content(self) -> None:
        check_choice("funding.type", self.type, vocab.FUNDING_TYPES, what="funding type")
        check_text("funding.title", self.title, max_len=1000, required=True)
        check_text("funding.translated_title", self.translated_title, max_len=1000)
        if (self.translated_title is None) != (self.translated_title_language is None):
            raise OrcidValidationError(
                "funding.translated_title_language",
                "a translated title and its language code go together",
            )
        check_language("funding.translated_title_language", self.translated_title_language)
        check_text("funding.organization_defined_type", self.organization_defined_type, max_len=255)
        check_text("funding.short_description", self.short_description, max_len=5000)
        self._validate_amount()
        check_url("funding.url", self.url)
        check_date_range("funding.", self.start_date, self.end_date)
        if not self.external_ids:
            raise OrcidValidationError(
                "funding.external_ids", "a funding needs at least one external id"
            )
        check_external_ids("funding.external_ids", self.external_ids)
        check_contributors(
            "funding.contributors",
            self.contributors,
            roles=vocab.FUNDING_CONTRIBUTOR_ROLES,
            sequences=False,
        )
        if not isinstance(self.organization, Organization):
            raise OrcidValidationError(
                "funding.organization", "a funding needs a funder organization"
            )
        self.organization.check("funding.organization")

    def _validate_amount(self) -> None:
        if self.amount is None and self.currency_code is None:
            return
        if self.amount is None:
            raise OrcidValidationError("funding.amount", "a currency code needs an amount")
        if self.currency_code is None:
            raise OrcidValidationError("funding.currency_code", "an amount needs a currency code")
        try:
            number = Decimal(str(self.amount).replace(",", ""))
        except InvalidOperation:
            number = None
        if number is None or not number.is_finite() or number < 0:
            raise OrcidValidationError("funding.amount", f"{self.amount!r} is not an amount")
        if not (
            isinstance(self.currency_code, str)
            and vocab.CURRENCY_CODE.fullmatch(self.currency_code)
        ):
            raise OrcidValidationError(
                "funding.currency_code", f"{self.currency_code!r} is not an ISO 4217 code"
            )

    def content_json(self) -> dict:
        """ORCID 3.0 funding JSON, members in the order of ORCID's samples."""
        translated = None
        if self.translated_title is not None:
            translated = {
                "value": self.translated_title,
                "language-code": self.translated_title_language,
            }
        amount = None
        if self.amount is not None:
            amount = {"value": self.amount, "currency-code": self.currency_code}
        return compact(
            [
                ("type", self.type),
                ("organization-defined-type", wrap(self.organization_defined_type)),
                ("title", compact([("title", wrap(self.title)), ("translated-title", translated)])),
                ("short-description", self.short_description),
                ("amount", amount),
                ("url", wrap(self.url)),
                ("start-date", self.start_date.to_json() if self.start_date else None),
                ("end-date", self.end_date.to_json() if self.end_date else None),
                ("external-ids", external_ids_to_json(self.external_ids)),
                (
                    "contributors",
                    contributors_to_json(self.contributors) if self.contributors else None,
                ),
                ("organization", self.organization.to_json() if self.organization else None),
            ]
        )

    @classmethod
    def _fields_from_json(cls, data: dict) -> dict:
        title = data.get("title") or {}
        translated = title.get("translated-title") or {}
        amount = data.get("amount") or {}
        return {
            "type": data.get("type"),
            "title": value_of(title.get("title")),
            "organization": Organization.from_json(data.get("organization")),
            "external_ids": external_ids_from_json(data.get("external-ids")),
            "translated_title": translated.get("value"),
            "translated_title_language": translated.get("language-code"),
            "organization_defined_type": value_of(data.get("organization-defined-type")),
            "short_description": data.get("short-description"),
            "amount": amount.get("value"),
            "currency_code": amount.get("currency-code"),
            "url": value_of(data.get("url")),
            "start_date": FuzzyDate.from_json(data.get("start-date")),
            "end_date": FuzzyDate.from_json(data.get("end-date")),
            "contributors": contributors_from_json(data.get("contributors")),
        }
