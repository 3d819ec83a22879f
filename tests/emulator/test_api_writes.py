"""Member API writes: POST/PUT/DELETE, put codes, source and duplicate rules
(orcid-facts/member-api.md#writes)."""

from __future__ import annotations

import pytest

from .api_helpers import (
    CLIENT,
    JSON,
    ORCID,
    PERSON_ITEMS,
    affiliation,
    ext_id,
    funding,
    peer_review,
    research_resource,
    work,
)

AFFILIATIONS = ["distinction", "education", "employment", "invited-position", "membership",
                "qualification", "service"]


def test_post_work_answers_201_with_location_ending_in_the_put_code_and_no_body(api):
    """orcid-facts/member-api.md#writes: 201, Location under
    /orcid-api-web/v3.0/{orcid}/work/{put-code}, empty body."""
    answer = api.post("work", work())
    location = answer.headers["Location"]
    assert location.startswith("http://localhost/orcid-api-web/v3.0/")
    assert location.rsplit("/", 2)[-2:][0] == "work"
    put_code = int(location.rsplit("/", 1)[1])
    assert f"/{ORCID}/work/{put_code}" in location
    assert answer.body == b""
    stored = api.get(f"work/{put_code}").json
    assert stored["put-code"] == put_code
    assert stored["path"] == f"/{ORCID}/work/{put_code}"


def test_orcid_sets_source_dates_and_default_visibility_on_post(api):
    """orcid-facts/member-api.md#writes: ORCID discards the client's source and sets
    source-client-id, source-name, dates."""
    body = work(source={"source-name": {"value": "I am lying"}})
    put_code = api.create("work", body)
    stored = api.get(f"work/{put_code}").json
    source = stored["source"]
    assert source["source-client-id"] == {"uri": f"https://sandbox.orcid.org/client/{CLIENT}",
                                          "path": CLIENT, "host": "sandbox.orcid.org"}
    assert source["source-name"] == {"value": "orcid-pyramid demo"}
    assert isinstance(stored["created-date"]["value"], int)
    assert stored["last-modified-date"]["value"] >= stored["created-date"]["value"]
    assert stored["visibility"] == "public"


def test_post_keeps_a_requested_visibility(api):
    """orcid-facts/member-api.md#reads: a client may ask for limited visibility when it creates an
    item."""
    put_code = api.create("work", work(visibility="limited"))
    assert api.get(f"work/{put_code}").json["visibility"] == "limited"


def test_put_answers_200_with_the_updated_item(api):
    """orcid-facts/member-api.md#writes: PUT /work/{pc} with the put code in the body → 200 and the
    item."""
    put_code = api.create("work", work("Old title"))
    answer = api.put(f"work/{put_code}", work("New title", **{"put-code": put_code}))
    assert answer.json["title"]["title"]["value"] == "New title"
    assert answer.json["put-code"] == put_code
    assert api.get(f"work/{put_code}").json["title"]["title"]["value"] == "New title"


def test_delete_answers_204_and_the_item_is_gone(api):
    """orcid-facts/member-api.md#writes: DELETE → 204; reading it afterwards → 404/9016."""
    put_code = api.create("work", work())
    assert api.delete(f"work/{put_code}").body == b""
    assert api.get(f"work/{put_code}", status=404).json["error-code"] == 9016


def test_delete_of_an_unknown_put_code_is_404_9016(api):
    """orcid-facts/member-api.md#writes: deleting what the user already removed → 404/9016."""
    assert api.delete("work/999999", status=404).json["error-code"] == 9016


def test_put_with_a_different_put_code_in_the_body_is_400_9019(api):
    """orcid-facts/member-api.md#writes: body put code ≠ URL put code → 400/9019 naming both."""
    put_code = api.create("work", work())
    answer = api.put(f"work/{put_code}", work(**{"put-code": put_code + 1}), status=400)
    assert answer.json["error-code"] == 9019
    assert str(put_code) in answer.json["developer-message"]


def test_put_without_a_put_code_in_the_body_is_400_9019(api):
    """orcid-facts/member-api.md#writes: a null body put code gives the same error."""
    put_code = api.create("work", work())
    assert api.put(f"work/{put_code}", work(), status=400).json["error-code"] == 9019


def test_post_with_a_put_code_is_400_9024(api):
    """orcid-facts/member-api.md#writes: POST with a put code → 400/9024."""
    assert api.post("work", work(**{"put-code": 5}), status=400).json["error-code"] == 9024


def test_update_by_another_client_is_403_9010(api, other_api):
    """orcid-facts/member-api.md#writes: only the source may update or delete."""
    put_code = api.create("work", work())
    answer = other_api.put(f"work/{put_code}", work(**{"put-code": put_code}), status=403)
    assert answer.json["error-code"] == 9010
    assert "not the source of the work" in answer.json["developer-message"]
    assert other_api.delete(f"work/{put_code}", status=403).json["error-code"] == 9010


def test_put_of_an_unknown_put_code_is_404_9016(api):
    """orcid-facts/member-api.md#writes: PUT to an item the user deleted → 404/9016."""
    answer = api.put("work/424242", work(**{"put-code": 424242}), status=404)
    assert answer.json["error-code"] == 9016


def test_visibility_change_on_put_is_403_9035(api):
    """orcid-facts/member-api.md#writes: PUT may not change visibility."""
    put_code = api.create("work", work())
    answer = api.put(f"work/{put_code}", work(**{"put-code": put_code, "visibility": "private"}),
                     status=403)
    assert answer.json["error-code"] == 9035
    same = api.put(f"work/{put_code}", work(**{"put-code": put_code, "visibility": "public"}))
    assert same.json["visibility"] == "public"


def test_duplicate_external_id_from_the_same_client_is_409_9021_naming_the_put_code(api):
    """orcid-facts/member-api.md#writes: same client, same self id (after normalisation) → 409/9021
    with the put code."""
    put_code = api.create("work", work(doi="10.1000/ABC"))
    answer = api.post("work", work("Another", doi="https://doi.org/10.1000/abc"), status=409)
    assert answer.json["error-code"] == 9021
    assert f"put-code {put_code}" in answer.json["developer-message"]


def test_same_external_id_from_another_client_is_no_conflict(api, other_api):
    """orcid-facts/member-api.md#writes: items from other sources never conflict."""
    api.create("work", work(doi="10.1000/shared"))
    other_api.create("work", work(doi="10.1000/shared"))


def test_both_part_of_ids_are_no_conflict(api):
    """orcid-facts/member-api.md#writes: the relationship rule: two part-of ids with one value do
    not clash."""
    parent = ext_id("10.1000/book", relationship="part-of")
    first = work(doi="10.1000/ch1")
    first["external-ids"]["external-id"].append(parent)
    second = work(doi="10.1000/ch2")
    second["external-ids"]["external-id"].append(dict(parent))
    api.create("work", first)
    api.create("work", second)


def test_put_does_not_conflict_with_the_item_itself(api):
    """orcid-facts/member-api.md#writes: an update keeping its own external id is no duplicate."""
    put_code = api.create("work", work(doi="10.1000/self"))
    api.put(f"work/{put_code}", work("Renamed", doi="10.1000/self", **{"put-code": put_code}))


def test_put_onto_another_items_external_id_is_409_9021(api):
    """orcid-facts/member-api.md#writes: duplicates are checked on PUT too."""
    first = api.create("work", work(doi="10.1000/one"))
    second = api.create("work", work(doi="10.1000/two"))
    answer = api.put(f"work/{second}", work(doi="10.1000/one", **{"put-code": second}),
                     status=409)
    assert str(first) in answer.json["developer-message"]


@pytest.mark.parametrize("section", AFFILIATIONS)
def test_every_affiliation_type_round_trips(api, section):
    """orcid-facts/member-api.md#endpoints: the seven affiliation types: POST, GET, PUT, DELETE."""
    put_code = api.create(section, affiliation())
    stored = api.get(f"{section}/{put_code}").json
    assert stored["organization"]["name"] == "Boston University"
    stored["role-title"] = "Dean"
    assert api.put(f"{section}/{put_code}", stored).json["role-title"] == "Dean"
    api.delete(f"{section}/{put_code}")


@pytest.mark.parametrize("section,body", [("funding", funding()),
                                          ("peer-review", peer_review()),
                                          ("research-resource", research_resource())])
def test_funding_peer_review_and_research_resource_round_trip(api, section, body):
    """orcid-facts/member-api.md#endpoints: the other activity sections: POST, GET, DELETE."""
    put_code = api.create(section, body)
    assert api.get(f"{section}/{put_code}").json["put-code"] == put_code
    api.delete(f"{section}/{put_code}")


@pytest.mark.parametrize("section", sorted(PERSON_ITEMS))
def test_person_sections_round_trip(api, section):
    """orcid-facts/member-api.md#endpoints: person sections use the plural path for POST, GET, PUT
    and DELETE."""
    answer = api.post(section, PERSON_ITEMS[section])
    assert f"/{ORCID}/{section}/" in answer.headers["Location"]
    put_code = int(answer.headers["Location"].rsplit("/", 1)[1])
    stored = api.get(f"{section}/{put_code}").json
    assert stored["path"] == f"/{ORCID}/{section}/{put_code}"
    assert api.put(f"{section}/{put_code}", stored).json["put-code"] == put_code
    api.delete(f"{section}/{put_code}")


def test_person_duplicate_from_the_same_client_is_409_9030(api):
    """orcid-facts/errors.md#status-and-error-codes: a duplicated person element → 409/9030."""
    api.create("keywords", {"content": "potatoes"})
    assert api.post("keywords", {"content": "Potatoes"}, status=409).json["error-code"] == 9030


def test_bulk_post_answers_200_with_a_work_or_an_error_per_element(api):
    """orcid-facts/member-api.md#writes, orcid-facts/bodies.md#works: bulk POST → 200; good elements
    come back created, bad ones as errors."""
    body = {"bulk": [{"work": work("One", doi="10.1/1")}, {"work": work("Bad", kind="nope")},
                     {"work": work("Two", doi="10.1/1")}]}
    answer = api.post("works", body, status=200)
    entries = answer.json["bulk"]
    assert isinstance(entries[0]["work"]["put-code"], int)
    assert entries[1]["error"]["error-code"] == 9037
    assert entries[2]["error"]["error-code"] == 9021  # clashes with the first of the batch
    assert list(entries[1]["error"]) == ["response-code", "developer-message", "user-message",
                                         "error-code", "more-info"]


def test_bulk_post_of_more_than_100_works_is_413(api):
    """orcid-facts/member-api.md#endpoints: more than 100 works in one bulk POST → 413."""
    body = {"bulk": [{"work": work(doi=f"10.1/{n}")} for n in range(101)]}
    assert api.post("works", body, status=413).json["response-code"] == 413


def test_bulk_post_of_100_works_is_accepted(api):
    """orcid-facts/member-api.md#endpoints: exactly 100 is allowed."""
    body = {"bulk": [{"work": work(doi=f"10.1/{n}")} for n in range(100)]}
    entries = api.post("works", body, status=200).json["bulk"]
    assert all("work" in entry for entry in entries) and len(entries) == 100


def test_user_deleting_an_item_makes_the_next_put_404(api, emulator):
    """orcid-facts/member-api.md#writes + control API: the user deletes on ORCID; the client's PUT
    then gets 404/9016."""
    put_code = api.create("work", work())
    emulator.control.delete_item(ORCID, "works", put_code)
    answer = api.put(f"work/{put_code}", work(**{"put-code": put_code}), status=404)
    assert answer.json["error-code"] == 9016


def test_control_record_lists_items_with_put_code_source_and_visibility(api, emulator):
    """Control API contract: the whole record with put codes and sources."""
    put_code = api.create("employment", affiliation())
    record = emulator.control.record(ORCID)
    entry = record["sections"]["employments"][0]
    assert entry["put-code"] == put_code and entry["source-client-id"] == CLIENT
    assert entry["visibility"] == "public"
    assert entry["item"]["organization"]["name"] == "Boston University"


def test_write_is_reported_to_the_record_change_hook(api, emulator):
    """Writes notify the state (webhooks): the record's last-modified date moves."""
    before = emulator.control.record(ORCID)["last-modified-date"]
    api.create("work", work())
    assert emulator.control.record(ORCID)["last-modified-date"] >= before
    assert JSON  # the helper's JSON type is what the write used


def test_write_and_read_over_a_real_socket_with_requests(api, emulator):
    """orcid-facts/member-api.md#writes over real HTTP: POST through the ``/api`` host prefix,
    Location, then GET."""
    import requests

    headers = {"Authorization": f"Bearer {api.token}", "Accept": JSON,
               "Content-Type": JSON}
    with requests.Session() as http:
        answer = http.post(f"{emulator.api_url}/v3.0/{ORCID}/work", json=work(), timeout=10,
                           headers=headers)
        assert answer.status_code == 201
        location = answer.headers["Location"]
        assert location.startswith(f"{emulator.base_url}/orcid-api-web/v3.0/{ORCID}/work/")
        put_code = location.rsplit("/", 1)[1]
        read = http.get(f"{emulator.api_url}/v3.0/{ORCID}/work/{put_code}", headers=headers,
                        timeout=10)
    assert read.status_code == 200 and read.json()["put-code"] == int(put_code)
    assert read.headers["Content-Type"].startswith(JSON)
