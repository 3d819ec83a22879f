"""Collect (CC-COLLECT): read a record with a /read-limited token into typed objects.

A researcher is created on the emulator, another client adds items with each visibility,
and our client reads the record back over real HTTP through the real client.
"""

from __future__ import annotations

import pytest

from orcid_pyramid.client import OrcidUnauthorized
from orcid_pyramid.sync.builders import (
    Employment,
    ExternalId,
    Funding,
    Keyword,
    OtherName,
    ResearcherUrl,
    Work,
)
from orcid_pyramid.sync.collect import (
    OrcidProfile,
    WorkSummary,
    prefill_from_profile,
    read_profile,
)
from tests.functional.test_conformance_emulator import connect, new_client, new_researcher
from tests.functional.test_conformance_xsd import FUNDER, ROR_ORG


def _work(title: str, doi: str) -> Work:
    return Work(
        title=title,
        type="journal-article",
        external_ids=[ExternalId("doi", doi, url=f"https://doi.org/{doi}")],
        publication_date="2020-03",
        journal_title="Journal of Examples",
    )


def _post(api, item, visibility: str) -> int:
    # the emulator, like ORCID, gives a new item the record's default visibility unless the
    # source sets one when it creates the item
    return api.create(item.section, {**item.to_json(), "visibility": visibility})


@pytest.fixture
def record(emulator):
    """A researcher whose record another client ("Other Repository") has filled."""
    orcid = new_researcher(emulator, "Josiah", "Carberry")
    other_id = new_client(emulator, "other", name="Other Repository")
    other, _ = connect(emulator, orcid, other_id)
    codes = {
        "public": _post(other, _work("Public work", "10.5555/public"), "public"),
        "limited": _post(other, _work("Limited work", "10.5555/limited"), "limited"),
        "private": _post(other, _work("Private work", "10.5555/private"), "private"),
    }
    _post(
        other, Employment(organization=ROR_ORG, role_title="Professor", start_date="2010"), "public"
    )
    _post(
        other,
        Employment(organization=ROR_ORG, role_title="Secret post", start_date="2001"),
        "private",
    )
    _post(
        other,
        Funding(
            type="grant",
            title="Limited grant",
            organization=FUNDER,
            external_ids=[ExternalId("grant_number", "G-1")],
        ),
        "limited",
    )
    _post(other, Keyword("cartography"), "public")
    _post(other, Keyword("psychoceramics"), "limited")
    _post(other, Keyword("private keyword"), "private")
    _post(other, ResearcherUrl("https://example.org/josiah", "Home page"), "public")
    _post(other, OtherName("J. S. Carberry"), "limited")
    return {"orcid": orcid, "other_client": other_id[0], "codes": codes}


@pytest.fixture
def our_api(emulator, record):
    """Our client's MemberApi for the researcher, with /read-limited."""
    api, _ = connect(emulator, record["orcid"], new_client(emulator, "ours"), "/read-limited")
    return api


def test_read_profile_returns_typed_objects(our_api, record):
    profile = read_profile(our_api)
    assert isinstance(profile, OrcidProfile)
    assert profile.orcid == record["orcid"]
    assert (profile.given_names, profile.family_names) == ("Josiah", "Carberry")
    assert profile.primary_email and profile.primary_email.endswith("@example.org")
    assert all(isinstance(s, WorkSummary) for s in profile.works)
    assert {type(e) for e in profile.employments} == {Employment}
    assert [f.title for f in profile.fundings] == ["Limited grant"]
    assert isinstance(profile.fundings[0], Funding)
    assert profile.fundings[0].organization.disambiguated.source == "FUNDREF"


def test_limited_items_are_visible_and_private_ones_are_not(our_api, record):
    profile = read_profile(our_api)
    assert sorted(s.title for s in profile.works) == ["Limited work", "Public work"]
    assert [e.role_title for e in profile.employments] == ["Professor"]
    assert sorted(k.content for k in profile.keywords) == ["cartography", "psychoceramics"]
    assert [n.content for n in profile.other_names] == ["J. S. Carberry"]


def test_work_summaries_carry_put_code_source_and_visibility(our_api, record):
    by_title = {s.title: s for s in read_profile(our_api).works}
    limited = by_title["Limited work"]
    assert limited.put_code == record["codes"]["limited"]
    assert limited.source_client_id == record["other_client"]
    assert limited.source_name == "Other Repository"
    assert limited.visibility == "limited"
    assert limited.type == "journal-article"
    assert limited.journal_title == "Journal of Examples"
    assert limited.external_ids == (
        ExternalId("doi", "10.5555/limited", url="https://doi.org/10.5555/limited"),
    )


def test_without_read_limited_only_public_items_are_read(emulator, record):
    api, _ = connect(emulator, record["orcid"], new_client(emulator, "pub"), "/authenticate")
    profile = read_profile(api)
    assert [s.title for s in profile.works] == ["Public work"]
    assert [k.content for k in profile.keywords] == ["cartography"]
    assert profile.fundings == ()


def test_prefill_from_profile(our_api):
    prefill = prefill_from_profile(read_profile(our_api))
    assert prefill["given_names"] == "Josiah"
    assert prefill["family_names"] == "Carberry"
    assert prefill["email"].endswith("@example.org")
    assert sorted(prefill["keywords"]) == ["cartography", "psychoceramics"]
    assert prefill["links"] == [{"name": "Home page", "url": "https://example.org/josiah"}]


def test_private_name_and_email_and_no_family_name_are_tolerated(emulator):
    orcid = new_researcher(emulator, "Prince", None)
    api, _ = connect(emulator, orcid, new_client(emulator, "tol"), "/read-limited")
    assert read_profile(api).family_names is None
    with emulator.state.lock:  # the user hides their name and email on ORCID
        researcher = emulator.state.record(orcid)
        researcher.name_visibility = "private"
        for email in researcher.emails:
            email.visibility = "private"
    profile = read_profile(api)
    assert (profile.given_names, profile.family_names, profile.emails) == (None, None, ())
    assert prefill_from_profile(profile) == {
        "given_names": None,
        "family_names": None,
        "email": None,
        "keywords": [],
        "links": [],
    }


def test_biography_is_read_when_visible(emulator):
    orcid = new_researcher(emulator)
    api, _ = connect(emulator, orcid, new_client(emulator, "bio"), "/read-limited")
    assert read_profile(api).biography is None
    with emulator.state.lock:
        emulator.state.record(orcid).biography = "Studies cracked pots."
    assert read_profile(api).biography == "Studies cracked pots."


def test_revoked_token_raises_the_clients_error(emulator, record):
    client = new_client(emulator, "rev")
    api, _ = connect(emulator, record["orcid"], client, "/read-limited")
    emulator.control.revoke(record["orcid"], client[0])
    with pytest.raises(OrcidUnauthorized):
        read_profile(api)
