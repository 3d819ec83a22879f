"""Every MemberApi method against the emulator's member API v3.0 (JSON)."""

from __future__ import annotations

import json
import threading

import pytest

from orcid_pyramid.client import JsonText, OrcidConflict, OrcidNotFound, OrcidUsageError
from tests.functional.client.support import (
    DEMO_ORCID,
    make_employment,
    make_work,
)


def _bulk_calls(emulator, start):
    # only this test's bulk paths: a request held by an earlier test's timeout fault may
    # finish (and be recorded) during this one
    return [c for c in emulator.control.calls(start)
            if (c["method"] == "POST" and c["path"].endswith("/works"))
            or (c["method"] == "GET" and "/works/" in c["path"])]


def test_create_returns_the_put_code_that_the_record_then_holds(member, emulator):
    put_code = member.create("work", make_work())
    record = emulator.control.record(DEMO_ORCID)
    assert str(put_code) in str(record)
    work = member.read_item("work", put_code)
    assert work["put-code"] == put_code
    assert work["title"]["title"]["value"] == "Work Title"


def test_every_api_url_is_under_v3_on_the_api_host(member, emulator, records):
    records.clear()
    put_code = member.create("work", make_work())
    member.read("works")
    member.delete("work", put_code)
    prefix = f"{emulator.base_url}/api/v3.0/{DEMO_ORCID}/"
    assert [(r.method, r.url.removeprefix(prefix)) for r in records] == [
        ("POST", "work"), ("GET", "works"), ("DELETE", f"work/{put_code}")]


def test_update_puts_to_the_put_code_and_returns_the_item(member):
    put_code = member.create("work", make_work())
    updated = member.update("work", put_code, make_work(title="A better title"))
    assert updated["put-code"] == put_code
    assert member.read_item("work", put_code)["title"]["title"]["value"] == "A better title"


def test_delete_removes_the_item_and_a_second_delete_is_not_found(member):
    put_code = member.create("work", make_work())
    member.delete("work", put_code)
    with pytest.raises(OrcidNotFound):
        member.read_item("work", put_code)
    with pytest.raises(OrcidNotFound):
        member.delete("work", put_code)


def test_sections_read_as_json_objects(member):
    member.create("employment", make_employment())
    for section in ("record", "person", "works", "employments", "fundings", "keywords",
                    "activities"):
        assert isinstance(member.read(section), dict), section
    groups = member.read("employments")
    assert "affiliation-group" in groups


def test_plural_section_names_are_accepted_for_items(member):
    put_code = member.create("employments", make_employment())
    assert member.read_item("employment", put_code)["role-title"] == "Professor"
    member.update("employment", put_code, make_employment(role="Dean"))
    assert member.read_item("employments", put_code)["role-title"] == "Dean"
    member.delete("employment", put_code)


def test_person_sections_use_their_own_path_for_items(member):
    put_code = member.create("keywords", {"content": "glaciology"})
    assert member.read_item("keywords", put_code)["content"] == "glaciology"
    member.update("keyword", put_code, {"content": "hydrology"})
    assert member.read_item("keywords", put_code)["content"] == "hydrology"
    member.delete("keywords", put_code)


def test_bulk_create_and_read_split_large_lists_into_calls_of_100(member, emulator):
    works = [make_work(doi=f"10.5555/bulk.{i}", title=f"Work {i}") for i in range(150)]
    start = len(emulator.control.calls())
    put_codes = member.create_works(works)
    assert len(put_codes) == 150 and all(isinstance(pc, int) for pc in put_codes)
    assert len(set(put_codes)) == 150
    read = member.read_works(put_codes)
    assert [w["title"]["title"]["value"] for w in read] == [f"Work {i}" for i in range(150)]
    assert [(c["method"], c["status"]) for c in _bulk_calls(emulator, start)] == [
        ("POST", 200), ("POST", 200), ("GET", 200), ("GET", 200)]


def test_bulk_create_reports_each_failed_item_in_place(member):
    existing = member.create("work", make_work(doi="10.5555/dup"))
    results = member.create_works([make_work(doi="10.5555/new"), make_work(doi="10.5555/dup")])
    assert isinstance(results[0], int)
    assert isinstance(results[1], OrcidConflict)
    assert results[1].existing_put_code == existing


def test_bulk_read_returns_errors_in_place_for_missing_put_codes(member):
    put_code = member.create("work", make_work())
    read = member.read_works([put_code, 987654])
    assert read[0]["put-code"] == put_code
    assert "error" in read[1]


def test_webhooks_register_once_and_unregister(client, member):
    """One way to (un)register, the client's (it holds the /webhook token); the record's
    MemberApi has none, so there is no second copy to drift."""
    callback = "http://127.0.0.1:9/orcid/webhook/AbCdEfGhIjKlMnOpQrSt"
    assert client.register_webhook(DEMO_ORCID, callback) is True
    assert client.register_webhook(DEMO_ORCID, callback) is False  # already there: 204
    assert not hasattr(member, "unregister_webhook")
    client.unregister_webhook(DEMO_ORCID, callback)
    with pytest.raises(OrcidNotFound):
        client.unregister_webhook(DEMO_ORCID, callback)


def test_a_revoked_webhook_token_is_renewed_once(client, records):
    callback = "http://127.0.0.1:9/orcid/webhook/AbCdEfGhIjKlMnOpQrSt"
    first = client.webhook_token()
    client.revoke(first.access_token)
    records.clear()
    assert client.register_webhook(DEMO_ORCID, callback) is True
    assert client.webhook_token().access_token != first.access_token
    assert [(r.kind, r.status) for r in records] == [
        ("webhook", 401), ("token", 200), ("webhook", 201)]


class CountingLimiter:
    """A rate limiter stand-in that only counts (the real one is the sync engine's)."""

    def __init__(self):
        self.count = 0
        self.lock = threading.Lock()

    def acquire(self):
        with self.lock:
            self.count += 1


def _limited_client(endpoints, limiter):
    """A client of the demo's credentials whose API calls go through ``limiter``."""
    from orcid_pyramid.client import OrcidClient
    from tests.functional.client.support import (
        DEMO_CLIENT_ID,
        DEMO_CLIENT_SECRET,
        REDIRECT_URI,
    )

    return OrcidClient(endpoints, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET,
                       redirect_uri=REDIRECT_URI, rate_limiter=limiter)


def test_the_rate_limiter_is_asked_before_every_api_call(endpoints, authorize):
    limiter = CountingLimiter()
    client = _limited_client(endpoints, limiter)
    token = client.exchange_code(authorize())
    assert limiter.count == 0  # token calls are not member-API calls
    api = client.member(token.access_token, token.orcid)
    put_code = api.create("work", make_work())
    api.read_item("work", put_code)
    api.delete("work", put_code)
    assert limiter.count == 3


@pytest.mark.parametrize(
    "call",
    [
        lambda m: m.read("not-a-section"),
        lambda m: m.read_item("gadget", 1),
        lambda m: m.read_item("work", 0),
        lambda m: m.read_item("work", "12a"),
        lambda m: m.create("work", ["not", "a", "dict"]),
        lambda m: m.update("work", True, {}),
    ],
)
def test_bad_arguments_fail_before_any_call(member, records, call):
    records.clear()
    with pytest.raises(OrcidUsageError):
        call(member)
    assert records == []


def test_member_needs_a_valid_orcid(client):
    with pytest.raises(OrcidUsageError, match="ORCID iD"):
        client.member("token-value", "0000-0002-1825-0098")


def test_bulk_create_sends_json_text_as_it_stands_and_logs_it(member, emulator, records):
    text = json.dumps(make_work(doi="10.5555/as-text"))
    records.clear()
    mixed = member.create_works([JsonText(text), make_work(doi="10.5555/as-dict")])
    assert all(isinstance(pc, int) for pc in mixed)
    # the same body json.dumps writes from the dicts, the text spliced in unchanged
    body = records[-1].request_body
    assert body == json.dumps({"bulk": [{"work": json.loads(text)},
                                        {"work": make_work(doi="10.5555/as-dict")}]})
    assert member.read_works(mixed)[0]["title"]["title"]["value"] == "Work Title"


def test_json_text_is_a_mapping_of_one_object_only():
    item = JsonText('{"title": {"title": {"value": "T"}}, "type": "book"}')
    assert item["type"] == "book" and dict(item)["title"] == {"title": {"value": "T"}}
    for bad in ("[1, 2]", "  7", ""):
        with pytest.raises(OrcidUsageError):
            JsonText(bad)


class FailingFollowUp(CountingLimiter):
    """A limiter whose ``sent()`` (run once a request has left, before its answer is read)
    fails, as the sync engine's bucket does when the database is gone."""

    def __init__(self):
        super().__init__()
        self.sent_calls = 0

    def sent(self):
        self.sent_calls += 1
        raise RuntimeError("the database is gone")


def test_a_failing_follow_up_while_a_request_is_out_loses_nothing(endpoints, authorize,
                                                                   caplog):
    """The limiter's ``sent()`` runs once per rate-limited request, after it has left; its
    failure is logged and the call's answer is read and returned as ever."""
    limiter = FailingFollowUp()
    client = _limited_client(endpoints, limiter)
    token = client.exchange_code(authorize())
    api = client.member(token.access_token, token.orcid)
    with caplog.at_level("WARNING", logger="orcid_pyramid.client"):
        codes = api.create_works([make_work(doi="10.5555/follow-up.1"),
                                  make_work(doi="10.5555/follow-up.2")])
        assert api.read_item("work", codes[0])["put-code"] == codes[0]
    assert limiter.count == 2 and limiter.sent_calls == 2
    assert "follow-up work failed (RuntimeError)" in caplog.text
