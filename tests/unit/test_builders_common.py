"""Builders' shared parts: dates, external ids, organizations, contributors, the error."""

import datetime

import pytest

from orcid_pyramid.sync.builders import (
    Contributor,
    DisambiguatedOrganization,
    ExternalId,
    FuzzyDate,
    OrcidValidationError,
    Organization,
)
from orcid_pyramid.sync.builders.common import check_date_range


def test_validation_error_is_a_value_error_naming_the_field():
    error = OrcidValidationError("work.title", "is required")
    assert isinstance(error, ValueError)
    assert error.field == "work.title"
    assert error.message == "is required"
    assert str(error) == "work.title: is required"


@pytest.mark.parametrize(
    "value, parts",
    [
        ("2021", (2021,)),
        ("2021-05", (2021, 5)),
        ("2021-05-24", (2021, 5, 24)),
        (2020, (2020,)),
        (datetime.date(2019, 12, 31), (2019, 12, 31)),
        (FuzzyDate(2001, 2), (2001, 2)),
    ],
)
def test_fuzzy_date_accepts_common_inputs(value, parts):
    assert FuzzyDate.coerce(value).parts() == parts


def test_fuzzy_date_refuses_text_that_is_not_a_date():
    with pytest.raises(
        OrcidValidationError, match="work.publication_date: 'May 2021' is not a date"
    ):
        FuzzyDate.coerce("May 2021", "work.publication_date")


def test_fuzzy_date_json_has_zero_padded_value_objects():
    assert FuzzyDate(2021, 1, 2).to_json() == {
        "year": {"value": "2021"},
        "month": {"value": "01"},
        "day": {"value": "02"},
    }
    assert FuzzyDate(2021).to_json() == {"year": {"value": "2021"}}


def test_fuzzy_date_from_json_reads_nulls_and_returns_none_without_year():
    assert FuzzyDate.from_json(
        {"year": {"value": "2021"}, "month": None, "day": None}
    ) == FuzzyDate(2021)
    assert FuzzyDate.from_json({"year": None}) is None
    assert FuzzyDate.from_json(None) is None


@pytest.mark.parametrize(
    "date, field, text",
    [
        (FuzzyDate(1899), "d.year", "outside 1900-2100"),
        (FuzzyDate(2101), "d.year", "outside 1900-2100"),
        (FuzzyDate(2020, 13), "d.month", "not a month"),
        (FuzzyDate(2021, 2, 29), "d.day", "not a real date"),
        (FuzzyDate(2021, None, 3), "d.day", "a day needs a month"),
    ],
)
def test_fuzzy_date_check_refuses_impossible_dates(date, field, text):
    with pytest.raises(OrcidValidationError, match=text) as info:
        date.check("d")
    assert info.value.field == field


def test_leap_day_is_a_real_date():
    FuzzyDate(2020, 2, 29).check("d")


def test_date_range_needs_a_start_for_an_end_and_keeps_order():
    check_date_range("x.", FuzzyDate(2020), FuzzyDate(2020, 5))  # same year, finer end: fine
    with pytest.raises(OrcidValidationError, match="x.end_date: an end date needs a start date"):
        check_date_range("x.", None, FuzzyDate(2020))
    with pytest.raises(OrcidValidationError, match="before the start date"):
        check_date_range("x.", FuzzyDate(2020, 6), FuzzyDate(2020, 5, 31))


@pytest.mark.parametrize(
    "eid, field",
    [
        (ExternalId("not-a-type", "1"), "e.type"),
        (ExternalId("doi", ""), "e.value"),
        (ExternalId("doi", "10.1/x", relationship="sibling"), "e.relationship"),
        (ExternalId("doi", "10.1/x", url="doi.org/10.1/x"), "e.url"),
    ],
)
def test_external_id_check_names_the_bad_member(eid, field):
    with pytest.raises(OrcidValidationError) as info:
        eid.check("e")
    assert info.value.field == field


def test_person_style_external_id_types_are_free_text():
    ExternalId("My ID System", "A-1").check("e", known_types=False)


def test_external_id_json_round_trip():
    eid = ExternalId("doi", "10.1/x", "version-of", "https://doi.org/10.1/x")
    assert eid.to_json() == {
        "external-id-type": "doi",
        "external-id-value": "10.1/x",
        "external-id-url": {"value": "https://doi.org/10.1/x"},
        "external-id-relationship": "version-of",
    }
    assert ExternalId.from_json(eid.to_json()) == eid


@pytest.mark.parametrize(
    "identifier, source",
    [
        ("https://ror.org/05qwgg493", "ROR"),
        ("385488", "RINGGOLD"),
        ("grid.5386.8", "GRID"),
        ("http://dx.doi.org/10.13039/100000001", "FUNDREF"),
        ("https://doi.org/10.13039/501100000780", "FUNDREF"),
    ],
)
def test_disambiguated_identifier_forms_accepted(identifier, source):
    DisambiguatedOrganization(identifier, source).check("o")


@pytest.mark.parametrize(
    "identifier, source, text",
    [
        ("https://ror.org/nope", "ROR", "not a ROR identifier"),
        ("https://example.org/05qwgg493", "ROR", "not a ROR identifier"),
        ("RG-385488", "RINGGOLD", "not a RINGGOLD identifier"),
        ("5386.8", "GRID", "not a GRID identifier"),
        ("http://dx.doi.org/10.1000/1", "FUNDREF", "not a FUNDREF identifier"),
        ("X", "WIKIDATA", "not a valid disambiguation source"),
    ],
)
def test_disambiguated_identifier_forms_refused(identifier, source, text):
    with pytest.raises(OrcidValidationError, match=text):
        DisambiguatedOrganization(identifier, source).check("o")


def test_bare_ror_id_and_lower_case_source_are_normalized():
    dis = DisambiguatedOrganization("05qwgg493", "ror").normalized()
    assert dis == DisambiguatedOrganization("https://ror.org/05qwgg493", "ROR")


def test_organization_needs_a_disambiguated_organization_and_iso_country():
    with pytest.raises(
        OrcidValidationError, match="org.disambiguated: ORCID needs a disambiguated"
    ):
        Organization("Boston University").check("org")
    dis = DisambiguatedOrganization("https://ror.org/05qwgg493", "ROR")
    with pytest.raises(OrcidValidationError, match="org.country"):
        Organization("Boston University", country="USA", disambiguated=dis).check("org")


def test_organization_json_always_has_an_address():
    dis = DisambiguatedOrganization("385488", "RINGGOLD")
    assert Organization("X", disambiguated=dis).to_json() == {
        "name": "X",
        "address": {},
        "disambiguated-organization": {
            "disambiguated-organization-identifier": "385488",
            "disambiguation-source": "RINGGOLD",
        },
    }


def test_contributor_json_and_checks():
    c = Contributor(
        orcid="0000-0002-1825-0097",
        credit_name="J. Carberry",
        email="j@example.org",
        role="author",
        sequence="first",
        orcid_host="sandbox.orcid.org",
    )
    data = c.to_json()
    assert data["contributor-orcid"] == {
        "uri": "https://sandbox.orcid.org/0000-0002-1825-0097",
        "path": "0000-0002-1825-0097",
        "host": "sandbox.orcid.org",
    }
    assert data["contributor-email"] == {"value": "j@example.org"}
    assert Contributor.from_json(data) == c
    # ORCID's work-full sample writes the email as a bare string: read that too
    assert Contributor.from_json({**data, "contributor-email": "j@example.org"}) == c
    with pytest.raises(OrcidValidationError, match="is not a valid ORCID iD"):
        Contributor(orcid="0000-0002-1825-0098").check("c", roles=frozenset(), sequences=True)
    with pytest.raises(OrcidValidationError, match="needs an ORCID iD or a credit name"):
        Contributor(role="author").check("c", roles=frozenset({"author"}), sequences=True)


def test_contributor_orcid_host_must_be_an_orcid_host():
    roles = frozenset({"author"})
    Contributor(orcid="0000-0002-1825-0097", orcid_host="sandbox.orcid.org").check(
        "c", roles=roles, sequences=True
    )
    with pytest.raises(OrcidValidationError, match="c.orcid_host: 'example.org' is not an ORCID"):
        Contributor(orcid="0000-0002-1825-0097", orcid_host="example.org").check(
            "c", roles=roles, sequences=True
        )
