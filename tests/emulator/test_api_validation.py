"""ORCID's validation of incoming items, with its error codes (orcid-facts/member-api.md#validation,
orcid-facts/errors.md#status-and-error-codes, orcid-facts/bodies.md#vocabularies)."""

from __future__ import annotations

import copy

import pytest

from .api_helpers import (
    ORG,
    affiliation,
    date,
    ext_id,
    funding,
    peer_review,
    research_resource,
    work,
)


def code_of(api, section: str, body: dict) -> int:
    """The error code ORCID gives a rejected POST."""
    return api.post(section, body, status=400).json["error-code"]


def test_invalid_work_type_is_400_9037_listing_valid_values(api):
    """orcid-facts/bodies.md#vocabularies: an unknown work type → 400/9037."""
    answer = api.post("work", work(kind="journal-paper"), status=400)
    assert answer.json["error-code"] == 9037
    assert "journal-article" in answer.json["developer-message"]


@pytest.mark.parametrize("alias,canonical", [("article-journal", "journal-article"),
                                             ("chapter", "book-chapter"),
                                             ("dataset", "data-set"),
                                             ("standard", "standards-and-policy")])
def test_work_type_aliases_are_accepted_and_stored_canonically(api, alias, canonical):
    """orcid-facts/bodies.md#vocabularies: aliases accepted on input and stored under ORCID's
    name."""
    put_code = api.create("work", work(kind=alias, doi=f"10.1/{alias}"))
    assert api.get(f"work/{put_code}").json["type"] == canonical


def test_work_without_a_title_is_400_9022(api):
    """orcid-facts/member-api.md#validation: title required."""
    body = work()
    body["title"] = {"title": {"value": "  "}}
    assert code_of(api, "work", body) == 9022


def test_work_without_external_ids_is_400_9023(api):
    """orcid-facts/member-api.md#validation: at least one external id."""
    body = work()
    del body["external-ids"]
    assert code_of(api, "work", body) == 9023


def test_work_without_a_self_external_id_is_400_9023(api):
    """orcid-facts/member-api.md#validation: v3.0 needs an external id with relationship self."""
    body = work()
    body["external-ids"]["external-id"] = [ext_id("10.1/x", relationship="part-of")]
    assert code_of(api, "work", body) == 9023


def test_unknown_external_id_type_is_400(api):
    """orcid-facts/bodies.md#vocabularies: unknown identifier types → 400."""
    body = work()
    body["external-ids"]["external-id"] = [ext_id("1", "made-up-id")]
    assert code_of(api, "work", body) == 9020


@pytest.mark.parametrize("bad", [date("20"), date("2020", "13"), date("2021", "02", "30"),
                                 date("2020", "1"), {"month": {"value": "01"}}])
def test_bad_publication_date_is_400_9049(api, bad):
    """orcid-facts/member-api.md#validation: date parts 4/2/2 digits and a real date → else 9049."""
    assert code_of(api, "work", work(**{"publication-date": bad})) == 9049


def test_end_date_without_start_date_is_400_9050(api):
    """orcid-facts/member-api.md#validation: an affiliation end-date needs a start-date."""
    body = affiliation(**{"end-date": date("2024")})
    del body["start-date"]
    assert code_of(api, "employment", body) == 9050


def test_affiliation_without_disambiguated_organization_is_400_9045(api):
    """orcid-facts/member-api.md#validation: disambiguated organization required."""
    body = affiliation()
    del body["organization"]["disambiguated-organization"]
    assert code_of(api, "employment", body) == 9045


def test_affiliation_with_unknown_disambiguation_source_is_400_9045(api):
    """orcid-facts/bodies.md#affiliations: RINGGOLD, GRID, FUNDREF, ROR (and LEI) only."""
    body = affiliation()
    body["organization"]["disambiguated-organization"]["disambiguation-source"] = "WIKIDATA"
    assert code_of(api, "education", body) == 9045


def test_affiliation_without_organization_is_400_9046(api):
    """orcid-facts/member-api.md#validation: organization required."""
    body = affiliation()
    del body["organization"]
    assert code_of(api, "employment", body) == 9046


def test_funding_without_organization_is_400_9046_and_without_ids_9023(api):
    """orcid-facts/member-api.md#validation: fundings need an organization and external ids."""
    body = funding()
    del body["organization"]
    assert code_of(api, "funding", body) == 9046
    body = funding()
    del body["external-ids"]
    assert code_of(api, "funding", body) == 9023


def test_funding_amount_without_currency_is_400(api):
    """orcid-facts/member-api.md#validation: amount requires currency-code."""
    answer = api.post("funding", funding(amount={"value": "1000"}), status=400)
    assert "currency" in answer.json["developer-message"]
    api.create("funding", funding(amount={"value": "1000", "currency-code": "USD"}))


def test_invalid_funding_type_is_400_9037(api):
    """orcid-facts/bodies.md#fundings: funding type ∈ grant, contract, award, salary-award."""
    assert code_of(api, "funding", funding(type="gift")) == 9037


def test_peer_review_without_convening_organization_is_400_9046(api):
    """orcid-facts/member-api.md#validation: convening organization required."""
    body = peer_review()
    del body["convening-organization"]
    assert code_of(api, "peer-review", body) == 9046


def test_research_resource_without_hosts_is_400_9046(api):
    """orcid-facts/member-api.md#validation: the proposal needs host organizations."""
    body = research_resource()
    body["proposal"]["hosts"] = {"organization": []}
    assert code_of(api, "research-resource", body) == 9046


def test_invalid_visibility_value_is_400(api):
    """common-3.0.xsd: visibility ∈ public, limited, private, registered-only."""
    assert code_of(api, "work", work(visibility="friends")) == 9020


def test_bare_strings_are_accepted_where_orcid_json_wraps_values(api):
    """orcid-facts/bodies.md: ORCID's parser accepts ``"url": "…"`` for ``{"value": …}``; reads wrap
    it."""
    put_code = api.create("work", work(url="https://example.org/paper"))
    assert api.get(f"work/{put_code}").json["url"] == {"value": "https://example.org/paper"}


def test_validation_does_not_store_anything(api):
    """A rejected POST leaves the record unchanged."""
    code_of(api, "employment", affiliation(organization=copy.deepcopy(ORG) | {"name": ""}))
    assert api.get("employments").json["affiliation-group"] == []


def _contributor(role: str, sequence: str | None = "first",
                 path: str = "0000-0002-1825-0097") -> dict:
    attributes = {"contributor-sequence": sequence, "contributor-role": role}
    if sequence is None:  # funding contributors have no sequence (funding-3.0.xsd)
        del attributes["contributor-sequence"]
    return {"contributors": {"contributor": [{
        "contributor-orcid": {"uri": f"https://orcid.org/{path}", "path": path,
                              "host": "orcid.org"},
        "credit-name": {"value": "J. Carberry"}, "contributor-attributes": attributes}]}}


def test_invalid_contributor_role_is_400_9058(api):
    """orcid-facts/bodies.md#vocabularies: contributor roles: legacy names or CRediT URIs; anything
    else → 9058."""
    assert code_of(api, "work", work(**_contributor("boss"))) == 9058
    api.create("work", work(doi="10.1/credit", **_contributor(
        "http://credit.niso.org/contributor-roles/software/")))
    api.create("work", work(doi="10.1/legacy", **_contributor("editor")))


def test_funding_contributors_use_funding_roles(api):
    """orcid-facts/bodies.md#vocabularies: funding roles (lead, co-lead, …) differ from work
    roles."""
    assert code_of(api, "funding", funding(**_contributor("author", None))) == 9058
    api.create("funding", funding(**_contributor("co-lead", None)))


def test_bad_contributor_sequence_or_orcid_path_is_400(api):
    """orcid-facts/member-api.md#validation: contributor ORCID paths must be valid; sequence is
    first or additional."""
    assert code_of(api, "work", work(**_contributor("author", sequence="second"))) == 9020
    assert code_of(api, "work", work(**_contributor("author", path="1234"))) == 9020


def test_citation_needs_a_known_type_and_a_value(api):
    """orcid-facts/member-api.md#validation: citation needs citation-type (CitationType) and
    citation-value."""
    bad_type = work(citation={"citation-type": "apa", "citation-value": "x"})
    assert code_of(api, "work", bad_type) == 9020
    no_value = work(citation={"citation-type": "bibtex", "citation-value": " "})
    assert code_of(api, "work", no_value) == 9020
    api.create("work", work(citation={"citation-type": "bibtex", "citation-value": "@a{}"}))


def test_language_codes_and_country_are_checked(api):
    """orcid-facts/bodies.md#vocabularies: language codes from ORCID's list; country ISO 3166
    alpha-2."""
    assert code_of(api, "work", work(**{"language-code": "english"})) == 9020
    assert code_of(api, "work", work(country={"value": "Canada"})) == 9020
    api.create("work", work(**{"language-code": "zh_CN", "country": {"value": "CA"}}))


def test_json_of_the_wrong_shape_is_400_9047_naming_the_field(api):
    """orcid-facts/member-api.md#validation: JSON goes through ORCID's model: wrong types and
    unknown fields → 400."""
    answer = api.post("work", work(**{"external-ids": "10.1/x"}), status=400)
    assert answer.json["error-code"] == 9047
    assert "external-ids" in answer.json["developer-message"]
    answer = api.post("work", work(colour="red"), status=400)
    assert "unrecognized field work/colour" in answer.json["developer-message"]
