"""The Funding builder: type, amount with currency, funder organization, JSON."""

from decimal import Decimal

import pytest

from orcid_pyramid.sync.builders import (
    Contributor,
    DisambiguatedOrganization,
    ExternalId,
    Funding,
    OrcidValidationError,
    Organization,
)

NSF = Organization(
    "National Science Foundation",
    city="Alexandria",
    region="VA",
    country="US",
    disambiguated=DisambiguatedOrganization("http://dx.doi.org/10.13039/100000001", "FUNDREF"),
)
GRANT = ExternalId(
    "grant_number", "1234567", url="https://www.nsf.gov/awardsearch/showAward?AWD_ID=1234567"
)


def full_funding(**changes) -> Funding:
    values = dict(
        type="grant",
        title="Grant title",
        organization=NSF,
        external_ids=[GRANT],
        translated_title="Titre",
        translated_title_language="fr",
        organization_defined_type="Fellowship",
        short_description="What it funds.",
        amount="1000.50",
        currency_code="USD",
        url="https://example.org/g",
        start_date="2000-02-02",
        end_date="2020-02-02",
        contributors=[
            Contributor(orcid="0000-0002-1825-0097", credit_name="Josiah Carberry", role="lead")
        ],
    )
    values.update(changes)
    return Funding(**values)


def test_full_funding_json_follows_orcid_order():
    data = full_funding().to_json()
    assert list(data) == [
        "type",
        "organization-defined-type",
        "title",
        "short-description",
        "amount",
        "url",
        "start-date",
        "end-date",
        "external-ids",
        "contributors",
        "organization",
    ]
    assert data["amount"] == {"value": "1000.50", "currency-code": "USD"}
    assert data["title"] == {
        "title": {"value": "Grant title"},
        "translated-title": {"value": "Titre", "language-code": "fr"},
    }
    assert data["organization-defined-type"] == {"value": "Fellowship"}
    assert data["contributors"]["contributor"][0]["contributor-attributes"] == {
        "contributor-role": "lead"
    }
    assert Funding.from_json(data) == full_funding()


def test_minimal_funding():
    funding = Funding(type="award", title="Prize", organization=NSF, external_ids=[GRANT])
    assert funding.section == "funding"
    assert set(funding.to_json()) == {"type", "title", "external-ids", "organization"}


@pytest.mark.parametrize("amount", [1000, Decimal("12.5")])
def test_numeric_amounts_are_written_as_text(amount):
    assert full_funding(amount=amount).to_json()["amount"]["value"] == str(amount)


@pytest.mark.parametrize(
    "changes, message",
    [
        (dict(currency_code=None), "funding.currency_code: an amount needs a currency code"),
        (dict(amount=None), "funding.amount: a currency code needs an amount"),
        (dict(amount="lots"), "funding.amount: 'lots' is not an amount"),
        (dict(amount="-5"), "funding.amount: '-5' is not an amount"),
        (dict(currency_code="dollars"), "funding.currency_code: 'DOLLARS' is not an ISO 4217 code"),
    ],
)
def test_amount_and_currency_go_together(changes, message):
    with pytest.raises(OrcidValidationError) as info:
        full_funding(**changes)
    assert str(info.value) == message


@pytest.mark.parametrize(
    "changes, field",
    [
        (dict(type="loan"), "funding.type"),
        (dict(title=""), "funding.title"),
        (dict(external_ids=[]), "funding.external_ids"),
        (dict(organization=None), "funding.organization"),
        (
            dict(organization=Organization("NSF", country="US")),
            "funding.organization.disambiguated",
        ),
        (
            dict(
                organization=Organization(
                    "NSF", disambiguated=DisambiguatedOrganization("100000001", "FUNDREF")
                )
            ),
            "funding.organization.disambiguated.identifier",
        ),
        (dict(start_date=None), "funding.end_date"),
        (dict(translated_title_language=None), "funding.translated_title_language"),
        (
            dict(contributors=[Contributor(credit_name="X", role="author")]),
            "funding.contributors[0].role",
        ),
        (
            dict(contributors=[Contributor(credit_name="X", sequence="first")]),
            "funding.contributors[0].sequence",
        ),
        (dict(organization_defined_type="x" * 256), "funding.organization_defined_type"),
    ],
)
def test_funding_rules(changes, field):
    with pytest.raises(OrcidValidationError) as info:
        full_funding(**changes)
    assert info.value.field == field


@pytest.mark.parametrize("kind", ["grant", "contract", "award", "salary-award", "SALARY_AWARD"])
def test_funding_types(kind):
    assert full_funding(type=kind).type in {"grant", "contract", "award", "salary-award"}


def test_hash_ignores_put_code():
    assert full_funding(put_code=3).content_hash() == full_funding().content_hash()
