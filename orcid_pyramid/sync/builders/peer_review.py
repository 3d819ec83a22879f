"""The ORCID 3.0 peer review (orcid-facts/bodies.md#peer-reviews)."""

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
class PeerReview(OrcidItem):
    """A review the researcher did: their role, the review's identifiers, when it was done,
    the group it belongs to (a journal's ISSN, say), what was reviewed and who convened it.

    ORCID requires the role, the review type, at least one review identifier, the completion
    date, the group id and the convening organization (whose disambiguated id, unlike an
    employer's, is optional).
    """

    section = "peer-review"
    read_section = "peer-reviews"

    role: str
    type: str
    review_group_id: str
    completion_date: FuzzyDate
    convening_organization: Organization
    external_ids: tuple[ExternalId, ...] = ()
    review_url: str | None = None
    subject_external_id: ExternalId | None = None
    subject_container_name: str | None = None
    subject_type: str | None = None
    subject_name: str | None = None
    subject_url: str | None = None

    def _normalize(self) -> None:
        self._set("external_ids",
                  normalize_external_ids(f"{self.section}.external_ids", self.external_ids))
        for name in ("role", "type", "subject_type"):
            value = getattr(self, name)
            if isinstance(value, str):
                self._set(name, value.strip().lower().replace("_", "-"))
        if self.subject_type in vocab.WORK_TYPE_ALIASES:
            self._set("subject_type", vocab.WORK_TYPE_ALIASES[self.subject_type])
        if isinstance(self.subject_external_id, ExternalId):
            self._set("subject_external_id", normalize_external_ids(
                f"{self.section}.subject_external_id", [self.subject_external_id])[0])
        if isinstance(self.convening_organization, Organization):
            self._set("convening_organization", self.convening_organization.normalized())
        self._set("completion_date",
                  FuzzyDate.coerce(self.completion_date, "peer-review.completion_date"))

    def _validate_content(self) -> None:
        field = self.section
        check_choice(f"{field}.role", self.role, vocab.PEER_REVIEW_ROLES, what="reviewer role")
        check_choice(f"{field}.type", self.type, vocab.PEER_REVIEW_TYPES, what="review type")
        check_text(f"{field}.review_group_id", self.review_group_id, max_len=1000,
                   required=True)
        if self.completion_date is None:
            raise OrcidValidationError(f"{field}.completion_date",
                                       "a peer review needs its completion date")
        if not self.external_ids:
            raise OrcidValidationError(f"{field}.external_ids",
                                       "a peer review needs at least one review identifier")
        check_external_ids(f"{field}.external_ids", self.external_ids)
        if self.subject_external_id is not None:
            check_external_ids(f"{field}.subject_external_id", (self.subject_external_id,))
        if self.subject_type is not None:
            check_choice(f"{field}.subject_type", self.subject_type,
                         vocab.PEER_REVIEW_SUBJECT_TYPES, what="subject type")
        check_text(f"{field}.subject_container_name", self.subject_container_name,
                   max_len=1000)
        check_text(f"{field}.subject_name", self.subject_name, max_len=1000)
        check_url(f"{field}.review_url", self.review_url)
        check_url(f"{field}.subject_url", self.subject_url)
        self._check_convening(f"{field}.convening_organization")

    def _check_convening(self, field: str) -> None:
        org = self.convening_organization
        if not isinstance(org, Organization):
            raise OrcidValidationError(field, "a peer review needs its convening organization")
        if org.disambiguated is not None:
            org.check(field)
            return
        check_text(f"{field}.name", org.name, max_len=4000, required=True)
        check_text(f"{field}.city", org.city, max_len=4000)
        check_country(f"{field}.country", org.country)

    def content_json(self) -> dict:
        """ORCID 3.0 peer-review JSON, members in the order of ORCID's sample."""
        subject = self.subject_external_id
        return compact(
            [
                ("reviewer-role", self.role),
                ("review-identifiers", external_ids_to_json(self.external_ids)),
                ("review-url", wrap(self.review_url)),
                ("review-type", self.type),
                ("review-completion-date", self.completion_date.to_json()),
                ("review-group-id", self.review_group_id),
                ("subject-external-identifier", subject.to_json() if subject else None),
                ("subject-container-name", wrap(self.subject_container_name)),
                ("subject-type", self.subject_type),
                ("subject-name", {"title": wrap(self.subject_name)} if self.subject_name
                 else None),
                ("subject-url", wrap(self.subject_url)),
                ("convening-organization", self.convening_organization.to_json()),
            ]
        )

    @classmethod
    def _fields_from_json(cls, data: dict) -> dict:
        subject = data.get("subject-external-identifier")
        return {
            "role": data.get("reviewer-role"),
            "type": data.get("review-type"),
            "review_group_id": data.get("review-group-id"),
            "completion_date": FuzzyDate.from_json(data.get("review-completion-date")
                                                   or data.get("completion-date")),
            "convening_organization": Organization.from_json(data.get("convening-organization")),
            "external_ids": external_ids_from_json(data.get("review-identifiers")
                                                   or data.get("external-ids")),
            "review_url": value_of(data.get("review-url")),
            "subject_external_id": ExternalId.from_json(subject) if subject else None,
            "subject_container_name": value_of(data.get("subject-container-name")),
            "subject_type": data.get("subject-type"),
            "subject_name": value_of((data.get("subject-name") or {}).get("title")),
            "subject_url": value_of(data.get("subject-url")),
        }
