"""The ORCID 3.0 work."""

from __future__ import annotations

from dataclasses import dataclass

from . import vocab
from .base import OrcidItem
from .common import (
    ExternalId,
    FuzzyDate,
    OrcidValidationError,
    check_choice,
    check_country,
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
    check_contributors,
    contributors_from_json,
    contributors_to_json,
)


@dataclass(frozen=True)
class Citation:
    """A citation of the work in one of ORCID's citation formats (``bibtex``, ``ris``, ...)."""

    type: str
    value: str

    def normalized(self) -> Citation:
        """Lower-case the type and accept short names (``apa`` for ``formatted-apa``)."""
        kind = self.type.lower() if isinstance(self.type, str) else self.type
        return Citation(vocab.CITATION_TYPE_ALIASES.get(kind, kind), self.value)


def normalize_work_type(value):
    """ORCID's canonical work type for ``value`` (aliases and 2.x spellings accepted)."""
    if not isinstance(value, str):
        return value
    kind = value.strip().lower().replace("_", "-")
    return vocab.WORK_TYPE_ALIASES.get(kind, kind)


@dataclass(frozen=True)
class Work(OrcidItem):
    """A work (publication, data set, software, ...).

    ORCID requires a title, a type and at least one external id with relationship
    ``self``. Dates accept ``FuzzyDate``, ``datetime.date``, ``"YYYY-MM"`` or a year.
    """

    section = "work"
    read_section = "works"

    title: str
    type: str
    external_ids: tuple[ExternalId, ...] = ()
    subtitle: str | None = None
    translated_title: str | None = None
    translated_title_language: str | None = None
    journal_title: str | None = None
    short_description: str | None = None
    citation: Citation | None = None
    publication_date: FuzzyDate | None = None
    url: str | None = None
    contributors: tuple[Contributor, ...] = ()
    language_code: str | None = None
    country: str | None = None

    def _normalize(self) -> None:
        self._set(
            "external_ids",
            normalize_external_ids(f"{self.section}.external_ids", self.external_ids),
        )
        self._tuple("contributors")
        self._set("type", normalize_work_type(self.type))
        self._set(
            "publication_date", FuzzyDate.coerce(self.publication_date, "work.publication_date")
        )
        if isinstance(self.citation, Citation):
            self._set("citation", self.citation.normalized())
        if isinstance(self.country, str):
            self._set("country", self.country.upper())

    def _validate_content(self) -> None:
        check_text("work.title", self.title, max_len=1000, required=True)
        check_choice("work.type", self.type, vocab.WORK_TYPES, what="work type")
        if not any(
            isinstance(e, ExternalId) and e.relationship == "self" for e in self.external_ids
        ):
            raise OrcidValidationError(
                "work.external_ids",
                'a work needs at least one external id with relationship "self"',
            )
        check_external_ids("work.external_ids", self.external_ids)
        check_text("work.subtitle", self.subtitle, max_len=1000)
        check_text("work.translated_title", self.translated_title, max_len=1000)
        if self.translated_title is not None and self.translated_title_language is None:
            raise OrcidValidationError(
                "work.translated_title_language", "a translated title needs a language code"
            )
        if self.translated_title is None and self.translated_title_language is not None:
            raise OrcidValidationError(
                "work.translated_title", "a translated title language needs a title"
            )
        check_language("work.translated_title_language", self.translated_title_language)
        check_text("work.journal_title", self.journal_title, max_len=1000)
        check_text("work.short_description", self.short_description, max_len=5000)
        if self.citation is not None:
            check_choice(
                "work.citation.type", self.citation.type, vocab.CITATION_TYPES, what="citation type"
            )
            check_text("work.citation.value", self.citation.value, max_len=100_000, required=True)
        if self.publication_date is not None:
            self.publication_date.check("work.publication_date")
        check_url("work.url", self.url)
        check_contributors(
            "work.contributors",
            self.contributors,
            roles=vocab.WORK_CONTRIBUTOR_ROLES,
            sequences=True,
        )
        check_language("work.language_code", self.language_code)
        check_country("work.country", self.country)

    def content_json(self) -> dict:
        """ORCID 3.0 work JSON, members in the order of ORCID's samples."""
        translated = None
        if self.translated_title is not None:
            translated = {
                "value": self.translated_title,
                "language-code": self.translated_title_language,
            }
        return compact(
            [
                (
                    "title",
                    compact(
                        [
                            ("title", wrap(self.title)),
                            ("subtitle", wrap(self.subtitle)),
                            ("translated-title", translated),
                        ]
                    ),
                ),
                ("journal-title", wrap(self.journal_title)),
                ("short-description", self.short_description),
                (
                    "citation",
                    {"citation-type": self.citation.type, "citation-value": self.citation.value}
                    if self.citation
                    else None,
                ),
                ("type", self.type),
                (
                    "publication-date",
                    self.publication_date.to_json() if self.publication_date else None,
                ),
                ("external-ids", external_ids_to_json(self.external_ids)),
                ("url", wrap(self.url)),
                (
                    "contributors",
                    contributors_to_json(self.contributors) if self.contributors else None,
                ),
                ("language-code", self.language_code),
                ("country", wrap(self.country)),
            ]
        )

    @classmethod
    def _fields_from_json(cls, data: dict) -> dict:
        title = data.get("title") or {}
        translated = title.get("translated-title") or {}
        citation = data.get("citation")
        return {
            "title": value_of(title.get("title")),
            "type": data.get("type"),
            "external_ids": external_ids_from_json(data.get("external-ids")),
            "subtitle": value_of(title.get("subtitle")),
            "translated_title": translated.get("value"),
            "translated_title_language": translated.get("language-code"),
            "journal_title": value_of(data.get("journal-title")),
            "short_description": data.get("short-description"),
            "citation": Citation(citation.get("citation-type"), citation.get("citation-value"))
            if isinstance(citation, dict)
            else None,
            "publication_date": FuzzyDate.from_json(data.get("publication-date")),
            "url": value_of(data.get("url")),
            "contributors": contributors_from_json(data.get("contributors")),
            "language_code": data.get("language-code"),
            "country": value_of(data.get("country")),
        }
