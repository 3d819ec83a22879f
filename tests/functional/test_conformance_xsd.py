"""Every builder's XML validates against ORCID's own 3.0 XSDs, with full and minimal content.

The schemas are the compliance kit's copy of ORCID's ``orcid-model`` XSDs (or the folder
``ORCID_MODEL_DIR`` names; when it lacks them these tests skip and say which setting to fix).
``EXAMPLES`` (full and minimal items of every kind) is shared with the emulator round-trip
tests.
"""

import functools

import pytest
from lxml import etree

from orcid_pyramid.compliance.schemas import missing_reason, model_dir
from orcid_pyramid.sync.builders import (
    AFFILIATION_TYPES,
    Address,
    Citation,
    Contributor,
    DisambiguatedOrganization,
    ExternalId,
    Funding,
    Keyword,
    Organization,
    OtherName,
    PersonExternalIdentifier,
    ResearcherUrl,
    Work,
)
from tests.orcid_samples import WRITE_SAMPLES

XSD_FILES = {
    "work": "record_3.0/work-3.0.xsd",
    "funding": "record_3.0/funding-3.0.xsd",
    "employment": "record_3.0/employment-3.0.xsd",
    "education": "record_3.0/education-3.0.xsd",
    "distinction": "record_3.0/distinction-3.0.xsd",
    "invited-position": "record_3.0/invited-position-3.0.xsd",
    "membership": "record_3.0/membership-3.0.xsd",
    "qualification": "record_3.0/qualification-3.0.xsd",
    "service": "record_3.0/service-3.0.xsd",
    "other-names": "record_3.0/other-name-3.0.xsd",
    "keywords": "record_3.0/keyword-3.0.xsd",
    "researcher-urls": "record_3.0/researcher-url-3.0.xsd",
    "external-identifiers": "record_3.0/person-external-identifier-3.0.xsd",
    "address": "record_3.0/address-3.0.xsd",
}

ROR_ORG = Organization(
    "Boston University",
    city="Boston",
    region="Massachusetts",
    country="US",
    disambiguated=DisambiguatedOrganization("https://ror.org/05qwgg493", "ROR"),
)
RINGGOLD_ORG = Organization(
    "Wellcome Trust", disambiguated=DisambiguatedOrganization("385488", "RINGGOLD")
)
FUNDER = Organization(
    "National Science Foundation",
    country="US",
    disambiguated=DisambiguatedOrganization("http://dx.doi.org/10.13039/100000001", "FUNDREF"),
)


def _full_work(tag: str) -> Work:
    return Work(
        title=f"Full work {tag}",
        type="journal-article",
        external_ids=[
            ExternalId("doi", f"10.5555/{tag}", url=f"https://doi.org/10.5555/{tag}"),
            ExternalId("issn", "0953-1513", "part-of"),
        ],
        subtitle="A subtitle",
        translated_title="Un titre",
        translated_title_language="fr",
        journal_title="Learned Publishing",
        short_description="A short description <with> & markup characters.",
        citation=Citation("bibtex", "@article{x,\n  title={Full work}\n}"),
        publication_date="2012-10-01",
        url="https://example.org/work",
        contributors=[
            Contributor(
                orcid="0000-0001-5109-3700",
                credit_name="Laure L. Haak",
                email="laure@example.org",
                role="author",
                sequence="first",
            ),
            Contributor(
                credit_name="Josiah Carberry",
                role="http://credit.niso.org/contributor-roles/software/",
                sequence="additional",
            ),
        ],
        language_code="en",
        country="US",
    )


def _full_funding(tag: str) -> Funding:
    return Funding(
        type="grant",
        title=f"Full funding {tag}",
        organization=FUNDER,
        external_ids=[ExternalId("grant_number", f"G-{tag}", url="https://example.org/grant")],
        translated_title="Une subvention",
        translated_title_language="fr",
        organization_defined_type="Fellowship",
        short_description="What it funds.",
        amount="1000.50",
        currency_code="USD",
        url="https://example.org/funding",
        start_date="2000-02-02",
        end_date="2020-02",
        contributors=[
            Contributor(orcid="0000-0002-1825-0097", credit_name="Josiah Carberry", role="lead")
        ],
    )


def _full_affiliation(cls, tag: str):
    return cls(
        organization=ROR_ORG,
        department_name="Primary Care",
        role_title=f"Role {tag}",
        start_date="2021-01-01",
        end_date="2023-01",
        url="https://example.org/position",
        external_ids=[ExternalId("grant_number", f"A-{tag}", url="https://example.org/a")],
    )


def examples(tag: str = "x") -> list[tuple[str, object]]:
    """(id, item) pairs: a full and a minimal item of every kind; ``tag`` makes ids unique."""
    items = [
        ("work-full", _full_work(tag)),
        (
            "work-minimal",
            Work(
                title=f"Minimal {tag}", type="book", external_ids=[ExternalId("isbn", f"{tag}-1")]
            ),
        ),
        ("funding-full", _full_funding(tag)),
        (
            "funding-minimal",
            Funding(
                type="award",
                title=f"Prize {tag}",
                organization=RINGGOLD_ORG,
                external_ids=[ExternalId("grant_number", f"P-{tag}")],
            ),
        ),
    ]
    for cls in AFFILIATION_TYPES:
        items.append((f"{cls.section}-full", _full_affiliation(cls, tag)))
        items.append((f"{cls.section}-minimal", cls(organization=RINGGOLD_ORG)))
    items += [
        ("other-name", OtherName(f"J. Carberry {tag}")),
        ("keyword", Keyword(f"cartography {tag}")),
        ("researcher-url-full", ResearcherUrl(f"https://example.org/{tag}", "Home page")),
        ("researcher-url-minimal", ResearcherUrl(f"https://example.org/min/{tag}")),
        (
            "external-identifier",
            PersonExternalIdentifier("Scopus Author ID", f"7004{tag}", "https://example.org/s"),
        ),
        ("address", Address("CA")),
    ]
    return items


EXAMPLES = examples()


@functools.cache
def schema(section: str):
    """The xmlschema schema for an item section (built once per run)."""
    import xmlschema

    return xmlschema.XMLSchema(str(model_dir() / XSD_FILES[section]))


needs_model = pytest.mark.skipif(missing_reason() is not None, reason=str(missing_reason()))


@needs_model
@pytest.mark.parametrize("item", [item for _, item in EXAMPLES], ids=[i for i, _ in EXAMPLES])
def test_builder_xml_validates_against_orcid_xsd(item):
    body = item.to_xml()
    assert body.startswith(b"<?xml")
    schema(item.section).validate(body)


@needs_model
@pytest.mark.parametrize("item", [item for _, item in EXAMPLES], ids=[i for i, _ in EXAMPLES])
def test_xml_with_put_code_for_put_validates_too(item):
    body = item.with_put_code(12345).to_xml()
    assert etree.fromstring(body).get("put-code") == "12345"
    schema(item.section).validate(body)


@needs_model
def test_xsd_catches_a_work_in_the_wrong_element_order():
    """The schema check is real: swapping two work elements makes it fail."""
    import xmlschema

    root = etree.fromstring(_full_work("order").to_xml())
    title, journal = root[0], root[1]
    root.remove(journal)
    root.insert(0, journal)
    assert title is root[1]
    with pytest.raises(xmlschema.XMLSchemaValidationError):
        schema("work").validate(etree.tostring(root))


@needs_model
def test_work_xml_uses_orcid_namespaces_and_element_order():
    root = etree.fromstring(_full_work("ns").to_xml())
    names = [etree.QName(child).localname for child in root]
    assert names == [
        "title",
        "journal-title",
        "short-description",
        "citation",
        "type",
        "publication-date",
        "external-ids",
        "url",
        "contributors",
        "language-code",
        "country",
    ]
    assert root.tag == "{http://www.orcid.org/ns/work}work"
    assert root.find("{http://www.orcid.org/ns/common}url") is not None


@needs_model
def test_markup_characters_are_escaped_not_dropped():
    work = _full_work("esc")
    root = etree.fromstring(work.to_xml())
    text = root.findtext("{http://www.orcid.org/ns/work}short-description")
    assert text == "A short description <with> & markup characters."


JSON_SAMPLES = [
    ("work", "work-full-3.0.json"),
    ("work", "work-with-NISO-roles-51-contributors-3.0.json"),
    ("funding", "funding-3.0-simple.json"),
    ("funding", "funding-3.0-with-NISO-roles.json"),
    *[(cls.section, f"{cls.section}-3.0.json") for cls in AFFILIATION_TYPES],
    ("other-names", "other-names-3.0.json"),
    ("keywords", "keywords-3.0.json"),
    ("researcher-urls", "researcher-url-3.0.json"),
    ("external-identifiers", "external-identifier-3.0.json"),
    ("address", "address-3.0.json"),
]


@needs_model
@pytest.mark.parametrize("section, name", JSON_SAMPLES, ids=[n for _, n in JSON_SAMPLES])
def test_orcid_json_sample_rendered_as_xml_validates(section, name):
    """ORCID's JSON samples, parsed by the builders, come out as schema-valid XML."""
    import json

    from orcid_pyramid.sync.builders import item_from_json

    path = WRITE_SAMPLES / name
    item = item_from_json(section, json.loads(path.read_text(encoding="utf-8")))
    schema(section).validate(item.to_xml())
