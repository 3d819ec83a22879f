"""The seven affiliation builders: organization rules, dates, JSON and parsing back."""

import pytest

from orcid_pyramid.sync.builders import (
    AFFILIATION_TYPES,
    Affiliation,
    DisambiguatedOrganization,
    Distinction,
    Education,
    Employment,
    ExternalId,
    FuzzyDate,
    InvitedPosition,
    Membership,
    OrcidValidationError,
    Organization,
    Qualification,
    Service,
    item_class,
)

BU = Organization(
    "Boston University",
    city="Boston",
    region="Massachusetts",
    country="US",
    disambiguated=DisambiguatedOrganization("https://ror.org/05qwgg493", "ROR"),
)


def test_the_seven_types_and_their_api_sections():
    assert {cls.section: cls.read_section for cls in AFFILIATION_TYPES} == {
        "employment": "employments",
        "education": "educations",
        "distinction": "distinctions",
        "invited-position": "invited-positions",
        "membership": "memberships",
        "qualification": "qualifications",
        "service": "services",
    }
    assert [
        Employment,
        Education,
        Distinction,
        InvitedPosition,
        Membership,
        Qualification,
        Service,
    ] == list(AFFILIATION_TYPES)
    assert item_class("invited-positions") is InvitedPosition


@pytest.mark.parametrize("cls", AFFILIATION_TYPES)
def test_full_affiliation_json(cls):
    item = cls(
        organization=BU,
        department_name="Primary Care",
        role_title="Professor",
        start_date="2021-01-01",
        end_date="2023-01",
        url="https://example.org/position",
        external_ids=[ExternalId("grant_number", "G-1", url="https://example.org/g1")],
    )
    data = item.to_json()
    assert list(data) == [
        "department-name",
        "role-title",
        "start-date",
        "end-date",
        "organization",
        "url",
        "external-ids",
    ]
    assert data["organization"] == {
        "name": "Boston University",
        "address": {"city": "Boston", "region": "Massachusetts", "country": "US"},
        "disambiguated-organization": {
            "disambiguated-organization-identifier": "https://ror.org/05qwgg493",
            "disambiguation-source": "ROR",
        },
    }
    assert data["end-date"] == {"year": {"value": "2023"}, "month": {"value": "01"}}
    assert cls.from_json(data) == item


@pytest.mark.parametrize("cls", AFFILIATION_TYPES)
def test_minimal_affiliation_is_just_the_organization(cls):
    assert cls(organization=BU).to_json() == {"organization": BU.to_json()}


@pytest.mark.parametrize("cls", AFFILIATION_TYPES)
def test_affiliation_needs_a_disambiguated_organization(cls):
    with pytest.raises(OrcidValidationError) as info:
        cls(organization=Organization("Boston University", country="US"))
    assert info.value.field == f"{cls.section}.organization.disambiguated"
    with pytest.raises(OrcidValidationError) as info:
        cls(organization=None)
    assert str(info.value) == f"{cls.section}.organization: an affiliation needs an organization"


@pytest.mark.parametrize("cls", AFFILIATION_TYPES)
def test_end_date_requires_start_date(cls):
    with pytest.raises(OrcidValidationError) as info:
        cls(organization=BU, end_date="2020")
    assert str(info.value) == f"{cls.section}.end_date: an end date needs a start date"


def test_affiliation_rules_name_their_field():
    cases = [
        (dict(start_date="2020-13"), "employment.start_date.month"),
        (dict(start_date="2021", end_date="2020"), "employment.end_date"),
        (dict(url="ftp://example.org"), "employment.url"),
        (dict(role_title=" "), "employment.role_title"),
        (
            dict(external_ids=[ExternalId("grant_number", "1", "cousin-of")]),
            "employment.external_ids[0].relationship",
        ),
    ]
    for changes, field in cases:
        with pytest.raises(OrcidValidationError) as info:
            Employment(organization=BU, **changes)
        assert info.value.field == field


def test_ror_shorthand_and_lower_case_country_are_normalized():
    org = Organization(
        "BU", country="us", disambiguated=DisambiguatedOrganization("05qwgg493", "ror")
    )
    item = Education(organization=org, start_date=FuzzyDate(2001))
    assert item.organization.country == "US"
    assert item.organization.disambiguated.identifier == "https://ror.org/05qwgg493"


def test_the_base_class_is_not_an_item_kind():
    with pytest.raises(OrcidValidationError, match="use a concrete type"):
        Affiliation(organization=BU)


def test_summary_from_a_read_parses_with_source_and_put_code():
    summary = {
        "created-date": {"value": 1559916358839},
        "source": {
            "source-orcid": None,
            "source-client-id": {
                "uri": "https://sandbox.orcid.org/client/APP-OQYKBIN9CXD9U3SH",
                "path": "APP-OQYKBIN9CXD9U3SH",
                "host": "sandbox.orcid.org",
            },
            "source-name": {"value": "Demo Org Sandbox"},
        },
        "put-code": 9266,
        "department-name": None,
        "role-title": "role-title",
        "start-date": {"year": {"value": "1948"}, "month": {"value": "02"}, "day": {"value": "02"}},
        "end-date": None,
        "organization": BU.to_json(),
        "url": None,
        "external-ids": None,
        "display-index": "0",
        "visibility": "public",
        "path": "/0000-0002-7319-2192/employment/9266",
    }
    item = Employment.from_json(summary)
    assert item.put_code == 9266 and item.source_client_id == "APP-OQYKBIN9CXD9U3SH"
    assert item.role_title == "role-title" and item.start_date == FuzzyDate(1948, 2, 2)
