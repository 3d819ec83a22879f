"""The peer-review builder: ORCID's rules on construction, JSON in ORCID's shape, XML that
ORCID's own XSD accepts (orcid-facts/bodies.md#peer-reviews)."""

from __future__ import annotations

import json

import pytest
from lxml import etree

from orcid_pyramid.compliance.schemas import missing_reason, model_dir
from orcid_pyramid.sync.builders import (
    DisambiguatedOrganization,
    ExternalId,
    OrcidValidationError,
    Organization,
    PeerReview,
    item_class,
    item_from_json,
)
from tests.orcid_samples import WRITE_SAMPLES

JOURNAL = Organization("Learned Publishing", "London", None, "GB",
                       DisambiguatedOrganization("https://ror.org/04fa4r544", "ROR"))


def review(**changes) -> PeerReview:
    fields = dict(role="reviewer", type="review", review_group_id="issn:1741-4857",
                  completion_date="2024-03", convening_organization=JOURNAL,
                  external_ids=[ExternalId("source-work-id", "review-42")],
                  subject_external_id=ExternalId("doi", "10.1087/20120404"),
                  subject_type="journal-article", subject_name="The paper reviewed",
                  subject_container_name="Learned Publishing")
    fields.update(changes)
    return PeerReview(**fields)


def test_a_peer_review_is_a_registered_section():
    assert item_class("peer-review") is PeerReview
    assert item_class("peer-reviews") is PeerReview


def test_json_has_orcids_members_in_the_samples_order():
    body = review().to_json()
    assert list(body) == ["reviewer-role", "review-identifiers", "review-type",
                          "review-completion-date", "review-group-id",
                          "subject-external-identifier", "subject-container-name",
                          "subject-type", "subject-name", "convening-organization"]
    assert body["review-completion-date"] == {"year": {"value": "2024"},
                                              "month": {"value": "03"}}
    assert body["subject-name"] == {"title": {"value": "The paper reviewed"}}


def test_orcids_full_sample_parses_and_keeps_what_the_builder_models():
    sample = json.loads((WRITE_SAMPLES / "peer-review-full-3.0.json").read_text())
    parsed = item_from_json("peer-review", sample)
    assert (parsed.role, parsed.type, parsed.review_group_id) == ("reviewer", "review",
                                                                  "issn:1741-4857")
    assert parsed.subject_name == "Name of the paper reviewed"
    again = parsed.to_json()
    for member in ("reviewer-role", "review-identifiers", "review-type",
                   "review-completion-date", "review-group-id", "subject-external-identifier",
                   "subject-type"):
        assert again[member] == sample[member], member


@pytest.mark.skipif(missing_reason() is not None, reason=str(missing_reason()))
@pytest.mark.parametrize("item", [review(), review(subject_external_id=None, subject_type=None,
                                                   subject_name=None,
                                                   subject_container_name=None)],
                         ids=["full", "minimal"])
def test_xml_validates_against_orcids_peer_review_xsd(item):
    schema = etree.XMLSchema(etree.parse(str(model_dir() / "record_3.0/peer-review-3.0.xsd")))
    document = etree.fromstring(item.to_xml())
    assert schema.validate(document), schema.error_log


@pytest.mark.parametrize("changes,field", [
    ({"role": "referee"}, "peer-review.role"),
    ({"type": "opinion"}, "peer-review.type"),
    ({"completion_date": None}, "peer-review.completion_date"),
    ({"external_ids": []}, "peer-review.external_ids"),
    ({"review_group_id": " "}, "peer-review.review_group_id"),
    ({"subject_type": "novel"}, "peer-review.subject_type"),
    ({"convening_organization": None}, "peer-review.convening_organization"),
])
def test_orcids_rules_are_checked_when_the_item_is_built(changes, field):
    with pytest.raises(OrcidValidationError) as error:
        review(**changes)
    assert error.value.field == field


def test_the_convening_organization_may_lack_a_disambiguated_id():
    plain = Organization("A Workshop Committee", "Paris", None, "FR")
    assert review(convening_organization=plain).convening_organization.name == plain.name
