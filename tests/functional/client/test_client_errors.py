"""Each error class, produced by the emulator's real answers and injected faults."""

from __future__ import annotations

import socket

import pytest

from orcid_pyramid.client import (
    Endpoints,
    OrcidBadRequest,
    OrcidClient,
    OrcidConflict,
    OrcidError,
    OrcidForbidden,
    OrcidMalformedResponse,
    OrcidNotFound,
    OrcidRateLimited,
    OrcidServerError,
    OrcidTimeout,
    OrcidTransportError,
    OrcidUnauthorized,
)
from tests.functional.client.support import (
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    DEMO_ORCID,
    REDIRECT_URI,
    make_work,
)


def test_a_token_used_on_another_record_is_unauthorized_wrong_record(client, connect, emulator):
    other = emulator.control.add_user("Ada", "Lovelace", "ada@example.org", "pw-123456")
    token = connect()
    with pytest.raises(OrcidUnauthorized) as caught:
        client.member(token.access_token, other).read("works")
    assert caught.value.wrong_record and caught.value.status == 401


def test_updating_another_sources_item_is_forbidden_not_source(client, other_client, connect):
    theirs = connect(via=other_client, client_id="APP-OTHERCLIENT00001")
    put_code = other_client.member(theirs.access_token, DEMO_ORCID).create("work", make_work())
    mine = connect()
    with pytest.raises(OrcidForbidden) as caught:
        client.member(mine.access_token, DEMO_ORCID).update("work", put_code, make_work())
    assert caught.value.not_source and not caught.value.missing_scope
    assert "someone else" in caught.value.user_text()


def test_writing_without_the_update_scope_is_forbidden_missing_scope(client, connect):
    token = connect("/read-limited")
    with pytest.raises(OrcidForbidden) as caught:
        client.member(token.access_token, DEMO_ORCID).create("work", make_work())
    assert caught.value.missing_scope and caught.value.error_code == 9038


def test_an_item_the_user_deleted_is_not_found(member, emulator):
    put_code = member.create("work", make_work())
    emulator.control.delete_item(DEMO_ORCID, "work", put_code)
    with pytest.raises(OrcidNotFound) as caught:
        member.update("work", put_code, make_work(title="changed"))
    assert caught.value.status == 404 and caught.value.error_code == 9016


def test_a_duplicate_is_a_conflict_naming_the_existing_put_code(member):
    put_code = member.create("work", make_work())
    with pytest.raises(OrcidConflict) as caught:
        member.create("work", make_work())
    assert caught.value.duplicate and caught.value.existing_put_code == put_code


def test_an_invalid_work_is_a_bad_request_with_orcids_message(member):
    work = make_work()
    del work["title"]
    with pytest.raises(OrcidBadRequest) as caught:
        member.create("work", work)
    assert caught.value.status == 400 and caught.value.user_message
    assert caught.value.user_text().startswith("ORCID did not accept the data we sent")


def test_a_put_code_in_a_post_body_is_a_bad_request(member):
    with pytest.raises(OrcidBadRequest) as caught:
        member.create("work", dict(make_work(), **{"put-code": 12}))
    assert caught.value.error_code == 9024


@pytest.fixture
def faulty(emulator):
    """``faulty(kind)``: every API and token call now fails with ``kind``."""

    def switch(kind, **kwargs):
        emulator.control.set_faults(1.0, [kind], seed=1, **kwargs)

    yield switch
    emulator.control.set_faults(0.0)


@pytest.mark.parametrize(
    "kind,error_class",
    [
        ("500", OrcidServerError),
        ("502", OrcidServerError),
        ("503", OrcidRateLimited),
        ("reset", OrcidTransportError),
        ("truncated", OrcidMalformedResponse),
        ("malformed", OrcidMalformedResponse),
    ],
)
def test_injected_faults_map_to_retryable_errors(member, faulty, kind, error_class):
    faulty(kind)
    with pytest.raises(error_class) as caught:
        member.read("works")
    assert type(caught.value) is error_class
    assert caught.value.retryable


@pytest.mark.parametrize("kind", ["500", "reset", "malformed"])
def test_faults_on_the_token_endpoint_map_the_same_way(client, authorize, faulty, kind):
    code = authorize()
    faulty(kind)
    with pytest.raises(OrcidError) as caught:
        client.exchange_code(code)
    assert caught.value.retryable
    assert code not in str(caught.value)


def test_a_slow_answer_is_a_timeout(client, endpoints, authorize, faulty):
    token = client.exchange_code(authorize())
    impatient = OrcidClient(endpoints, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET,
                            redirect_uri=REDIRECT_URI, timeout=0.25)
    faulty("timeout", timeout_s=1.0)
    with pytest.raises(OrcidTimeout) as caught:
        impatient.member(token.access_token, DEMO_ORCID).read("works")
    assert caught.value.retryable


def test_going_over_the_rate_limit_is_rate_limited_with_retry_after(emulator_factory):
    emu = emulator_factory(rate_limit="1/1")
    endpoints = Endpoints.for_environment("emulator", base_url=emu.base_url)
    client = OrcidClient(endpoints, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, redirect_uri=REDIRECT_URI)
    from urllib.parse import parse_qs, urlsplit

    redirect = emu.control.authorize(DEMO_ORCID, DEMO_CLIENT_ID, "/read-limited", REDIRECT_URI,
                                     state="s")
    token = client.exchange_code(parse_qs(urlsplit(redirect).query)["code"][0])
    api = client.member(token.access_token, DEMO_ORCID)
    with pytest.raises(OrcidRateLimited) as caught:
        for _ in range(10):  # a burst of 1: the bucket cannot refill this fast
            api.read("works")
    assert caught.value.status == 503 and caught.value.retry_after is not None


def test_nothing_listening_is_a_transport_error_recorded_without_status(records):
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    endpoints = Endpoints.for_environment("emulator", base_url=f"http://127.0.0.1:{port}")
    client = OrcidClient(endpoints, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET,
                         redirect_uri=REDIRECT_URI, call_sink=records.append)
    with pytest.raises(OrcidTransportError) as caught:
        client.exchange_code("abcdef")
    assert type(caught.value) is OrcidTransportError
    assert "abcdef" not in str(caught.value)
    [record] = records
    assert record.status is None and record.kind == "token"
    assert "ConnectionError" in record.error


@pytest.mark.parametrize("kind", ["truncated", "malformed"])
def test_a_bulk_answer_that_is_not_json_is_malformed_and_retryable(member, faulty, kind):
    """A bulk answer is read for its put codes alone (``msgspec``, not the whole copy of
    each work): a cut-off or garbled one is still ``OrcidMalformedResponse``, retryable."""
    faulty(kind)
    with pytest.raises(OrcidMalformedResponse) as caught:
        member.create_works([{"title": {"title": {"value": "A bulk"}},
                              "type": "journal-article"}])
    assert caught.value.retryable
