"""Read caching never serves stale data: every read after a write shows the new state.

The emulator caches each item's renderings per item version and each list read's encoded body
(views.py, api_reads.py); these tests write, then read every view that shows the item.
"""

from __future__ import annotations

import json

from orcid_pyramid.emulator import api_reads, records, views

from .api_helpers import (
    ORCID,
    XML,
    affiliation,
    ext_id,
    funding,
    peer_review,
    research_resource,
    work,
)


def _titles(api) -> list[str]:
    groups = api.get("works").json["group"]
    return [s["title"]["title"]["value"] for g in groups for s in g["work-summary"]]


def test_read_after_put_shows_the_new_title_in_every_view(api):
    """orcid-facts/member-api.md#writes: a PUT is visible in the next /works, /work/{pc}, summary
    and bulk read."""
    put_code = api.create("work", work("Old title"))
    assert _titles(api) == ["Old title"]
    assert api.get(f"work/{put_code}").json["title"]["title"]["value"] == "Old title"
    assert b"Old title" in api.get("works", accept=XML).body
    body = api.get(f"work/{put_code}").json
    body["title"]["title"]["value"] = "New title"
    api.put(f"work/{put_code}", body)
    assert _titles(api) == ["New title"]
    assert api.get(f"work/{put_code}").json["title"]["title"]["value"] == "New title"
    summary = api.get(f"work/summary/{put_code}").json
    assert summary["title"]["title"]["value"] == "New title"
    bulk = api.get(f"works/{put_code}").json["bulk"]
    assert bulk[0]["work"]["title"]["title"]["value"] == "New title"
    xml = api.get("works", accept=XML).body
    assert b"New title" in xml and b"Old title" not in xml
    activities = api.get("activities").json["works"]["group"]
    assert activities[0]["work-summary"][0]["title"]["title"]["value"] == "New title"


def test_two_quick_puts_each_show_in_the_next_read(api):
    """Two writes within one millisecond still give two different reads (no time key)."""
    put_code = api.create("work", work("T0"))
    body = api.get(f"work/{put_code}").json
    for n in range(1, 4):
        body["title"]["title"]["value"] = f"T{n}"
        api.put(f"work/{put_code}", body)
        assert _titles(api) == [f"T{n}"]


def test_read_after_delete_and_post_shows_the_new_list(api):
    """orcid-facts/member-api.md#writes: a deleted work is gone from the next read; a new one
    appears."""
    first = api.create("work", work("First", doi="10.1000/a"))
    second = api.create("work", work("Second", doi="10.1000/b"))
    assert sorted(_titles(api)) == ["First", "Second"]
    api.delete(f"work/{first}")
    assert _titles(api) == ["Second"]
    api.get(f"work/{first}", status=404)
    api.create("work", work("Third", doi="10.1000/c"))
    assert sorted(_titles(api)) == ["Second", "Third"]
    api.delete(f"work/{second}")
    assert _titles(api) == ["Third"]


def test_person_section_read_after_put_and_delete(api):
    """orcid-facts/member-api.md#writes: keywords show the updated content, then nothing after
    DELETE."""
    put_code = api.create("keywords", {"content": "potatoes"})
    assert [k["content"] for k in api.get("keywords").json["keyword"]] == ["potatoes"]
    body = api.get(f"keywords/{put_code}").json
    body["content"] = "tomatoes"
    api.put(f"keywords/{put_code}", body)
    assert [k["content"] for k in api.get("keywords").json["keyword"]] == ["tomatoes"]
    api.delete(f"keywords/{put_code}")
    assert api.get("keywords").json["keyword"] == []


def test_read_after_the_researcher_deletes_through_the_control_api(api, emulator):
    """orcid-facts/member-api.md#writes: the user removing an item in ORCID's UI shows in the
    client's next read."""
    put_code = api.create("work", work("Mine"))
    assert _titles(api) == ["Mine"]
    emulator.control.delete_item(ORCID, "work", put_code)
    assert _titles(api) == []


def test_read_after_a_direct_state_change_of_visibility(api, web, emulator):
    """A test changing an item in the state directly is seen too: any assignment makes a new
    item version, which the caches key on (orcid-facts/member-api.md#reads: private items are hidden
    from the public)."""
    put_code = api.create("work", work("Seen"))
    anonymous = web.get(f"/pub/v3.0/{ORCID}/works", headers={"Accept": "application/json"})
    assert len(anonymous.json["group"]) == 1
    with emulator.state.lock:
        emulator.state.record(ORCID).find("work", put_code).visibility = "private"
    anonymous = web.get(f"/pub/v3.0/{ORCID}/works", headers={"Accept": "application/json"})
    assert anonymous.json["group"] == []
    assert _titles(api) == ["Seen"]  # the source still sees its own private item


def test_json_list_reads_are_byte_for_byte_the_encoded_view(api, other_api, emulator):
    """The list read's fast path (summaries encoded once per version, joined into the body)
    gives exactly the compact JSON of the view, for every kind of grouping and non-ASCII
    text."""
    api.create("work", work("Ünïcödé \u2603 \"quoted\"", doi="10.1000/A"))
    ids = [ext_id("10.1000/a"), ext_id("10.1000/b", relationship="part-of")]
    other_api.create("work", work("Same DOI, other client",
                                  **{"external-ids": {"external-id": ids}}))
    api.create("work", work("Alone", doi="10.1000/c"))
    api.create("funding", funding())
    api.create("peer-review", peer_review())
    api.create("employment", affiliation())
    api.create("education", affiliation(**{"role-title": "Student"}))
    api.create("research-resource", research_resource())
    record = emulator.state.record(ORCID)
    for section in records.ACTIVITIES:
        expected = json.dumps(views.activity_section_json(record, section, lambda _i: True),
                              separators=(",", ":"))
        assert api_reads._activity_list_json(record, section, lambda _i: True) == \
            expected.encode("utf-8"), section
        served = api.get(records.ACTIVITIES[section]).body
        assert json.loads(served) == json.loads(expected)
    assert len(api.get("works").json["group"]) == 2  # the first two works grouped by DOI


def test_a_list_read_filters_each_item_by_its_own_visibility_and_source(api, other_api, web,
                                                                        emulator):
    """A list read asks the visibility filter once per visibility and source among its items
    (api_reads._visible), and each item still shows only to whom ORCID shows it
    (orcid-facts/member-api.md#reads): private to its source, limited to a read-limited
    token of the record, public to anyone."""
    shown = {}
    for client, title, visibility in ((api, "A", "private"), (other_api, "B", "private"),
                                      (api, "C", "limited"), (other_api, "D", "public"),
                                      (api, "E", "private"), (other_api, "F", "limited")):
        shown[title] = (client.create("work", work(title, doi=f"10.1000/{title}")),
                        visibility)
    with emulator.state.lock:
        record = emulator.state.record(ORCID)
        for put_code, visibility in shown.values():
            record.find("work", put_code).visibility = visibility
    public = web.get(f"/pub/v3.0/{ORCID}/works", headers={"Accept": "application/json"})
    titles = [s["title"]["title"]["value"] for g in public.json["group"]
              for s in g["work-summary"]]
    assert titles == ["D"]
    assert sorted(_titles(api)) == ["A", "C", "D", "E", "F"]
    assert sorted(_titles(other_api)) == ["B", "C", "D", "F"]
