"""Member and public API reads: views, groups and visibility filtering
(orcid-facts/member-api.md#endpoints, orcid-facts/member-api.md#reads,
orcid-facts/bodies.md#the-works-summary)."""

from __future__ import annotations

import pytest

from .api_helpers import (
    ALL_SCOPES,
    ORCID,
    PERSON_ITEMS,
    Api,
    affiliation,
    ext_id,
    funding,
    peer_review,
    public_token,
    research_resource,
    token_for,
    work,
)


@pytest.fixture
def limited_work(api):
    """A limited work written by the demo client."""
    return api.create("work", work("Limited", doi="10.1/limited", visibility="limited"))


def test_works_groups_merge_items_sharing_a_self_id_with_normalized_values(api, other_api):
    """orcid-facts/bodies.md#the-works-summary: groups merge summaries sharing a self/version-of id;
    ids carry normalized values."""
    mine = api.create("work", work("Mine", doi="10.1000/SAME"))
    theirs = other_api.create("work", work("Theirs", doi="https://doi.org/10.1000/same"))
    alone = api.create("work", work("Alone", doi="10.1000/other"))
    body = api.get("works").json
    groups = {tuple(s["put-code"] for s in g["work-summary"]) for g in body["group"]}
    assert groups == {(mine, theirs), (alone,)}
    merged = next(g for g in body["group"] if len(g["work-summary"]) == 2)
    normalized = merged["external-ids"]["external-id"][0]["external-id-normalized"]
    assert normalized == {"value": "10.1000/same", "transient": True}
    assert body["path"] == f"/{ORCID}/works"
    summary = merged["work-summary"][0]
    assert summary["path"] == f"/{ORCID}/work/{mine}" and summary["type"] == "journal-article"


def test_part_of_ids_do_not_group_works(api):
    """orcid-facts/bodies.md#the-works-summary: only self/version-of ids group; part-of ids do
    not."""
    book = ext_id("10.1000/book", relationship="part-of")
    first, second = work(doi="10.1/a"), work(doi="10.1/b")
    first["external-ids"]["external-id"].append(book)
    second["external-ids"]["external-id"].append(dict(book))
    api.create("work", first)
    api.create("work", second)
    assert len(api.get("works").json["group"]) == 2


def test_affiliations_come_in_affiliation_groups_of_summaries(api):
    """orcid-facts/member-api.md#endpoints: plural affiliation reads: affiliation-group → summaries
    → employment-summary."""
    put_code = api.create("employment", affiliation())
    body = api.get("employments").json
    summary = body["affiliation-group"][0]["summaries"][0]["employment-summary"]
    assert summary["put-code"] == put_code
    assert summary["organization"]["name"] == "Boston University"
    assert body["path"] == f"/{ORCID}/employments"


def test_fundings_peer_reviews_and_research_resources_have_their_summaries(api):
    """orcid-facts/member-api.md#endpoints: fundings → group → funding-summary; peer reviews → group
    → peer-review-group."""
    fund = api.create("funding", funding())
    review = api.create("peer-review", peer_review())
    resource = api.create("research-resource", research_resource())
    assert api.get("fundings").json["group"][0]["funding-summary"][0]["put-code"] == fund
    group = api.get("peer-reviews").json["group"][0]
    assert group["external-ids"]["external-id"][0]["external-id-value"] == "issn:1741-4857"
    assert group["peer-review-group"][0]["peer-review-summary"][0]["put-code"] == review
    rr = api.get("research-resources").json["group"][0]["research-resource-summary"][0]
    assert rr["put-code"] == resource and rr["proposal"]["title"]["title"]["value"]


def test_activity_summary_of_one_item(api):
    """orcid-facts/member-api.md#endpoints: ``/{activity}/summary/{put-code}`` returns the summary
    only."""
    put_code = api.create("work", work(**{"short-description": "long text"}))
    summary = api.get(f"work/summary/{put_code}").json
    assert summary["put-code"] == put_code and "short-description" not in summary


def test_activities_person_and_record_views(api):
    """orcid-facts/member-api.md#endpoints: record = identifier + preferences + history + person +
    activities."""
    api.create("work", work())
    api.create("keywords", PERSON_ITEMS["keywords"])
    record = api.get("record").json
    assert list(record) == ["orcid-identifier", "preferences", "history", "person",
                            "activities-summary", "path"]
    assert record["person"]["name"]["given-names"] == {"value": "Josiah"}
    assert record["person"]["keywords"]["keyword"][0]["content"] == "potatoes"
    assert len(record["activities-summary"]["works"]["group"]) == 1
    assert api.get("activities").json["path"] == f"/{ORCID}/activities"
    assert api.get("person").json["path"] == f"/{ORCID}/person"
    assert api.get("").json["path"] == f"/{ORCID}"  # /v3.0/{orcid} is the record


def test_personal_details_and_person_sections(api):
    """orcid-facts/member-api.md#endpoints: personal-details and every person section list."""
    for section, body in PERSON_ITEMS.items():
        api.create(section, body)
        listing = api.get(section).json
        assert listing["path"] == f"/{ORCID}/{section}"
    details = api.get("personal-details").json
    assert details["name"]["family-name"] == {"value": "Carberry"}
    assert details["other-names"]["other-name"][0]["content"] == "J. Carberry"


def test_email_returns_only_verified_addresses(api, emulator):
    """orcid-facts/member-api.md#reads: only verified emails are ever returned."""
    with emulator.state.lock:
        from orcid_pyramid.emulator.records import Email

        emulator.state.records[ORCID].emails.append(Email("unverified@example.org",
                                                          verified=False))
    emails = [e["email"] for e in api.get("email").json["email"]]
    assert emails == ["josiah.carberry@example.org"]


def test_read_limited_token_sees_limited_items_of_other_sources(api, other_api):
    """orcid-facts/member-api.md#reads: /read-limited sees public + limited items, whoever wrote
    them."""
    put_code = other_api.create("work", work(doi="10.1/lim", visibility="limited"))
    assert api.get(f"work/{put_code}").json["visibility"] == "limited"
    assert len(api.get("works").json["group"]) == 1


def test_token_without_read_limited_sees_only_public_items_of_others(web, emulator, other_api):
    """orcid-facts/member-api.md#reads: without /read-limited, limited items are filtered out; a
    direct read → 403/9038."""
    put_code = other_api.create("work", work(doi="10.1/lim", visibility="limited"))
    reader = Api(web, token_for(web, emulator.control, "/authenticate"))
    assert reader.get("works").json["group"] == []
    assert reader.get(f"work/{put_code}", status=403).json["error-code"] == 9038


def test_source_always_sees_its_own_private_items(api, other_api):
    """orcid-facts/member-api.md#reads: private items are returned to their source only."""
    put_code = api.create("work", work(doi="10.1/priv", visibility="private"))
    assert api.get(f"work/{put_code}").json["visibility"] == "private"
    assert other_api.get("works").json["group"] == []
    assert other_api.get(f"work/{put_code}", status=403).json["error-code"] == 9013


def test_public_api_anonymous_read_sees_public_items_only(web, api, limited_work):
    """orcid-facts/member-api.md#reads: the public API (pub host) without a token reads public data
    only."""
    public = api.create("work", work(doi="10.1/pub"))
    anonymous = Api(web, None, prefix="/pub")
    groups = anonymous.get("works").json["group"]
    assert [g["work-summary"][0]["put-code"] for g in groups] == [public]
    assert anonymous.get(f"work/{limited_work}", status=403).json["error-code"] == 9039


def test_read_public_token_reads_public_items_of_any_record(web, api, limited_work):
    """orcid-facts/oauth.md#client-credentials, orcid-facts/member-api.md#reads: a /read-public
    client token reads any record, public items only."""
    reader = Api(web, public_token(web))
    assert reader.get("works").json["group"] == []
    assert reader.get(f"work/{limited_work}", status=403).json["error-code"] == 9039


def test_public_api_with_a_member_token_still_filters_to_public(web, emulator, limited_work):
    """orcid-facts/member-api.md#reads: the pub host shows public items only, even to the item's
    source."""
    reader = Api(web, token_for(web, emulator.control, ALL_SCOPES), prefix="/pub")
    assert reader.get("works").json["group"] == []


def test_private_name_is_null_for_others(api, web, emulator):
    """orcid-facts/member-api.md#reads: a non-public name is null in person reads of public-only
    callers."""
    with emulator.state.lock:
        emulator.state.records[ORCID].name_visibility = "limited"
    assert api.get("person").json["name"]["given-names"] == {"value": "Josiah"}
    anonymous = Api(web, None, prefix="/pub")
    assert anonymous.get("person").json["name"] is None


def test_bulk_read_returns_works_and_errors_in_order(api):
    """orcid-facts/member-api.md#endpoints: ``GET /works/{pc},{pc}`` → bulk with each work or an
    error."""
    first = api.create("work", work(doi="10.1/1"))
    second = api.create("work", work(doi="10.1/2"))
    entries = api.get(f"works/{first},999999,{second}").json["bulk"]
    assert entries[0]["work"]["put-code"] == first
    assert entries[1]["error"]["error-code"] == 9016
    assert entries[2]["work"]["put-code"] == second


def test_bulk_read_of_more_than_100_put_codes_is_400_9042(api):
    """orcid-facts/member-api.md#endpoints: over 100 put codes → 400/9042."""
    codes = ",".join(str(n) for n in range(1, 102))
    answer = api.get(f"works/{codes}", status=400)
    assert answer.json["error-code"] == 9042
    assert "maximum is 100" in answer.json["developer-message"]


def test_unknown_record_is_404_9016(api):
    """orcid-facts/member-api.md#writes: unknown iD → 404/9016."""
    other = Api(api.web, api.token, orcid="0000-0001-5109-3700")
    assert other.get("works", status=404).json["error-code"] == 9016


def test_biography_reads_and_absent_biography_is_404_9041(api, emulator):
    """orcid-facts/errors.md#status-and-error-codes: no biography → 404/9041; a public one is
    returned."""
    assert api.get("biography", status=404).json["error-code"] == 9041
    with emulator.state.lock:
        emulator.state.records[ORCID].biography = "Potato researcher."
    assert api.get("biography").json["content"] == "Potato researcher."


def test_summary_counts_validated_items_and_lists_affiliations(api):
    """orcid-facts/member-api.md#endpoints: ``/summary`` (member API only): client-asserted items
    count as validated."""
    api.create("work", work())
    api.create("employment", affiliation())
    api.create("service", affiliation())
    summary = api.get("summary").json
    assert summary["works"] == {"self-asserted-count": 0, "validated-count": 1}
    assert summary["employments"]["employment"][0]["organization-name"] == "Boston University"
    assert summary["professional-activities"]["count"] == 1
    assert summary["orcid-identifier"]["path"] == ORCID


def test_summary_is_not_on_the_public_api(web, api):
    """orcid-facts/member-api.md#endpoints: the record summary is member-only."""
    assert Api(web, None, prefix="/pub").get("summary", status=404).json["error-code"] == 9001


@pytest.mark.parametrize("state,status,code", [("locked", 409, 9018),
                                               ("deactivated", 409, 9044)])
def test_locked_and_deactivated_records_answer_409(api, emulator, state, status, code):
    """orcid-facts/member-api.md#writes: record states are checked on every call."""
    with emulator.state.lock:
        setattr(emulator.state.records[ORCID], state, True)
    assert api.get("works", status=status).json["error-code"] == code


def test_deprecated_record_answers_301_to_the_primary_record(api, emulator):
    """orcid-facts/member-api.md#writes: deprecated → 301/9007 with the primary record's URL in
    Location."""
    with emulator.state.lock:
        emulator.state.records[ORCID].deprecated_to = "0000-0001-5109-3700"
    answer = api.get("works", status=301)
    assert answer.json["error-code"] == 9007
    assert answer.headers["Location"].endswith("/api/v3.0/0000-0001-5109-3700")


def test_user_added_items_have_the_record_as_source_and_count_as_self_asserted(api, emulator):
    """orcid-facts/bodies.md#the-works-summary: items the researcher added show ``source-orcid``;
    the summary counts them."""
    with emulator.state.lock:
        record = emulator.state.records[ORCID]
        item = record.add_item_as_user("works", work(doi="10.1/user"),
                                       emulator.state.new_put_code())
    stored = api.get(f"work/{item.put_code}").json
    assert stored["source"]["source-orcid"]["path"] == ORCID
    assert stored["source"]["source-client-id"] is None
    assert stored["source"]["source-name"] == {"value": "Josiah Carberry"}
    assert api.get("summary").json["works"] == {"self-asserted-count": 1, "validated-count": 0}
    api.put(f"work/{item.put_code}", work(doi="10.1/user", **{"put-code": item.put_code}),
            status=403)


def test_api_helpers_reach_the_member_api_with_a_real_token(api):
    """orcid-facts/member-api.md#endpoints: a token from the code exchange reads the record it was
    issued for."""
    body = api.get("record").json
    assert body["orcid-identifier"]["path"] == ORCID
    assert body["path"] == f"/{ORCID}"
