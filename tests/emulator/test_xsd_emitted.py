"""Every XML body the emulator emits validates against ORCID's v3.0 XSDs
(orcid-facts/member-api.md#validation, orcid-facts/orcid-model.md).

The record is filled through the API with ORCID's own JSON write samples (every section), then
every read view, every item, every summary, bulk answers and error bodies are fetched as XML.
"""

from __future__ import annotations

import json

import pytest

from tests.orcid_samples import WRITE_SAMPLES

from .api_helpers import JSON, ORCID, XML, work

#: JSON write sample -> the API path it is posted to
SAMPLES = {
    "work-full-3.0.json": "work", "work-51-contributors-3.0.json": "work",
    "funding-3.0-with-NISO-roles.json": "funding",
    "peer-review-full-3.0.json": "peer-review", "research-resource-3.0.json": "research-resource",
    "employment-3.0.json": "employment", "education-3.0.json": "education",
    "distinction-3.0.json": "distinction", "invited-position-3.0.json": "invited-position",
    "membership-3.0.json": "membership", "qualification-3.0.json": "qualification",
    "service-3.0.json": "service", "other-names-3.0.json": "other-names",
    "keywords-3.0.json": "keywords", "researcher-url-3.0.json": "researcher-urls",
    "external-identifier-3.0.json": "external-identifiers", "address-3.0.json": "address",
}
VIEWS = ["", "record", "summary", "person", "activities", "personal-details", "email", "biography",
         "works", "fundings", "peer-reviews", "research-resources", "employments", "educations",
         "distinctions", "invited-positions", "memberships", "qualifications", "services",
         "other-names", "keywords", "researcher-urls", "external-identifiers", "address"]


@pytest.fixture
def full_record(api, emulator, schemas):
    """The demo record with one item per section (from ORCID's samples) and a biography."""
    folder = WRITE_SAMPLES
    created = {}
    for sample, section in SAMPLES.items():
        body = json.loads((folder / sample).read_text())
        created.setdefault(section, []).append(api.create(section, body))
    created["work"].append(api.create("work", work("Limited", doi="10.1/l",
                                                   visibility="limited")))
    with emulator.state.lock:
        record = emulator.state.records[ORCID]
        record.biography = "Potato researcher."
        user_item = record.add_item_as_user("work", work("Mine", doi="10.1/u"),
                                            emulator.state.new_put_code())
    created["work"].append(user_item.put_code)  # source-orcid instead of source-client-id
    return created


@pytest.mark.parametrize("view", VIEWS)
def test_every_read_view_validates(api, full_record, schemas, view):
    """Record, person, activities and every section listing in XML validate."""
    answer = api.get(view, accept=XML)
    root = schemas.validate(answer.body)
    assert len(root) > 0  # not an empty shell: the sections are filled


def test_every_item_and_summary_validates(api, full_record, schemas):
    """Each item (``GET /{section}/{pc}``) and each activity summary validates."""
    checked = 0
    for section, put_codes in full_record.items():
        for put_code in put_codes:
            schemas.validate(api.get(f"{section}/{put_code}", accept=XML).body)
            checked += 1
            if section not in ("other-names", "keywords", "researcher-urls",
                               "external-identifiers", "address"):
                schemas.validate(api.get(f"{section}/summary/{put_code}", accept=XML).body)
    assert checked == len(SAMPLES) + 2


def test_bulk_read_with_an_error_validates(api, full_record, schemas):
    """The bulk read answer mixes works and errors and validates (bulk-3.0.xsd)."""
    codes = ",".join(str(c) for c in full_record["work"]) + ",99999999"
    root = schemas.validate(api.get(f"works/{codes}", accept=XML).body)
    assert [child.tag.split("}")[1] for child in root] == ["work"] * 4 + ["error"]


def test_bulk_post_answer_validates(api, schemas):
    """The bulk POST answer (created works and errors) validates."""
    body = {"bulk": [{"work": work(doi="10.1/a")}, {"work": work(kind="bad")}]}
    root = schemas.validate(api.post("works", body, status=200, accept=XML).body)
    assert [child.tag.split("}")[1] for child in root] == ["work", "error"]


@pytest.mark.parametrize("call", ["missing", "invalid", "conflict"])
def test_error_bodies_validate(api, schemas, call):
    """404, 400 and 409 error bodies in XML validate against error-3.0.xsd."""
    if call == "missing":
        answer = api.get("work/1", status=404, accept=XML)
    elif call == "invalid":
        answer = api.post("work", work(kind="nope"), status=400, accept=XML)
    else:
        api.create("work", work())
        answer = api.post("work", work(), status=409, accept=XML)
    root = schemas.validate(answer.body)
    assert root.tag == "{http://www.orcid.org/ns/error}error"


def test_put_answer_in_xml_validates(api, schemas):
    """The PUT answer (the updated item) validates."""
    put_code = api.create("work", work())
    answer = api.put(f"work/{put_code}", work("New", **{"put-code": put_code}), accept=XML)
    assert schemas.validate(answer.body).get("put-code") == str(put_code)
    assert JSON != XML


def test_schemas_reject_a_document_out_of_xsd_order(schemas):
    """The validator is real: a work with type before title fails ORCID's XSD."""
    import xmlschema

    bad = (b'<work:work xmlns:common="http://www.orcid.org/ns/common" '
           b'xmlns:work="http://www.orcid.org/ns/work"><work:type>book</work:type>'
           b'<work:title><common:title>T</common:title></work:title></work:work>')
    with pytest.raises(xmlschema.XMLSchemaValidationError):
        schemas.validate(bad)
