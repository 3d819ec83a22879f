"""Person item builders: other names, keywords, researcher URLs, external identifiers, address."""

import pytest

from orcid_pyramid.sync.builders import (
    ITEM_TYPES,
    PERSON_TYPES,
    Address,
    Keyword,
    OrcidValidationError,
    OtherName,
    PersonExternalIdentifier,
    ResearcherUrl,
    item_from_json,
)


def test_person_sections_are_the_api_paths():
    assert [cls.section for cls in PERSON_TYPES] == [
        "other-names",
        "keywords",
        "researcher-urls",
        "external-identifiers",
        "address",
    ]


@pytest.mark.parametrize(
    "item, body",
    [
        (OtherName("J. Carberry"), {"content": "J. Carberry"}),
        (Keyword("cartography"), {"content": "cartography"}),
        (
            ResearcherUrl("https://example.org/~josiah", "Home page"),
            {"url-name": "Home page", "url": {"value": "https://example.org/~josiah"}},
        ),
        (ResearcherUrl("https://example.org/"), {"url": {"value": "https://example.org/"}}),
        (
            PersonExternalIdentifier(
                "Scopus Author ID", "7004", "https://www.scopus.com/authid/7004"
            ),
            {
                "external-id-type": "Scopus Author ID",
                "external-id-value": "7004",
                "external-id-url": {"value": "https://www.scopus.com/authid/7004"},
                "external-id-relationship": "self",
            },
        ),
        (Address("ca"), {"country": {"value": "CA"}}),
    ],
)
def test_person_item_json_and_round_trip(item, body):
    assert item.to_json() == body
    assert item_from_json(item.section, {**body, "put-code": 9, "display-index": 1}) == item
    assert ITEM_TYPES[item.section] is type(item)


@pytest.mark.parametrize(
    "build, field",
    [
        (lambda: OtherName(""), "other-names.content"),
        (lambda: OtherName("x" * 256), "other-names.content"),
        (lambda: Keyword(None), "keywords.content"),
        (lambda: ResearcherUrl("example.org"), "researcher-urls.url"),
        (lambda: ResearcherUrl("https://example.org", "x" * 351), "researcher-urls.name"),
        (
            lambda: PersonExternalIdentifier("Scopus", "", "https://s.org/1"),
            "external-identifiers.value",
        ),
        (lambda: PersonExternalIdentifier("Scopus", "1", None), "external-identifiers.url"),
        (
            lambda: PersonExternalIdentifier("Scopus", "1", "https://s.org/1", "kin"),
            "external-identifiers.relationship",
        ),
        (lambda: Address("Canada"), "address.country"),
        (lambda: Address(None), "address.country"),
    ],
)
def test_person_rules(build, field):
    with pytest.raises(OrcidValidationError) as info:
        build()
    assert info.value.field == field


def test_unknown_section_is_a_clear_error():
    with pytest.raises(OrcidValidationError,
                       match="'research-resource' is not an ORCID item section"):
        item_from_json("research-resource", {})
