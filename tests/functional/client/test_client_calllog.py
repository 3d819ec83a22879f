"""The call log: every exchange of every kind is recorded once, and no secret reaches a record."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import pytest

from orcid_pyramid.client import Endpoints, OrcidClient, OrcidConflict, OrcidError, OrcidTimeout
from orcid_pyramid.client.calllog import held_records, release_records
from tests.functional.client.support import (
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    DEMO_ORCID,
    REDIRECT_URI,
    make_work,
)

CALLBACK_SECRET = "Cb7secretWebhookTokenXyZ"


def _everything(client, authorize, emulator) -> list[str]:
    """Make one call of every kind (and some failures); return every secret involved."""
    code = authorize("openid /read-limited /activities/update", nonce="n-0")
    token = client.exchange_code(code, log_context={"user_id": "u-42"})
    client.verify_id_token(token.id_token, nonce="n-0")  # jwks
    client.userinfo(token.access_token)
    refreshed = client.refresh(token.refresh_token, scopes="/read-limited")
    api = client.member(token.access_token, token.orcid, log_context={"user_id": "u-42"})
    put_code = api.create("work", make_work())
    with pytest.raises(OrcidConflict):
        api.create("work", make_work())
    api.update("work", put_code, make_work(title="v2"))
    api.read("works")
    api.delete("work", put_code)
    callback = f"http://127.0.0.1:9/orcid/webhook/{CALLBACK_SECRET}"
    client.register_webhook(DEMO_ORCID, callback)
    client.unregister_webhook(DEMO_ORCID, callback)
    webhook_token = client.webhook_token()
    credentials = client.client_credentials("/read-public")
    emulator.control.set_faults(1.0, ["reset"], seed=3)
    try:
        with pytest.raises(OrcidError):
            api.read("record")
    finally:
        emulator.control.set_faults(0.0)
    client.revoke(token.access_token)
    with pytest.raises(OrcidError):
        client.exchange_code(code)  # reused code: error answer echoes nothing secret
    return [DEMO_CLIENT_SECRET, code, CALLBACK_SECRET, token.access_token, token.refresh_token,
            token.id_token, refreshed.access_token, refreshed.refresh_token,
            webhook_token.access_token, webhook_token.refresh_token,
            credentials.access_token, credentials.refresh_token]


def test_no_secret_appears_in_any_record(client, authorize, emulator, records):
    secrets = [s for s in _everything(client, authorize, emulator) if s]
    assert len(secrets) >= 10
    dumped = [json.dumps(r.as_dict()) for r in records]
    for secret in secrets:
        leaks = [d for d in dumped if secret in d]
        assert not leaks, f"a secret of length {len(secret)} leaked into {len(leaks)} records"
    assert any("[redacted]" in d for d in dumped)


def test_every_kind_of_call_is_recorded(client, authorize, emulator, records):
    _everything(client, authorize, emulator)
    kinds = {r.kind for r in records}
    assert kinds == {"token", "jwks", "userinfo", "api", "webhook", "revoke"}
    statuses = {(r.kind, r.method, r.status) for r in records}
    assert ("api", "POST", 201) in statuses and ("api", "POST", 409) in statuses
    assert ("api", "DELETE", 204) in statuses and ("webhook", "PUT", 201) in statuses
    assert ("api", "GET", None) in statuses  # the reset: no response at all


def test_one_record_per_exchange_matching_what_the_emulator_saw(emulator_factory):
    # a separate emulator: nothing from other tests can land in its call list
    emu = emulator_factory()
    records = []
    client = OrcidClient(Endpoints.for_environment("emulator", base_url=emu.base_url),
                         DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, redirect_uri=REDIRECT_URI,
                         call_sink=records.append)

    def authorize(scope, nonce=None):
        redirect = emu.control.authorize(DEMO_ORCID, DEMO_CLIENT_ID, scope, REDIRECT_URI,
                                         state="s", nonce=nonce)
        return parse_qs(urlsplit(redirect).query)["code"][0]

    _everything(client, authorize, emu)
    seen = [c for c in emu.control.calls() if not c["path"].startswith("/_emulator/")]
    def key(method, path):  # our copy of a webhook path is redacted after "/webhook/"
        return method, path.split("/webhook/")[0]

    assert [key(r.method, urlsplit(r.url).path) for r in records] == [
        key(c["method"], c["path"]) for c in seen]


def test_records_carry_who_what_and_how_long(client, authorize, emulator, records):
    _everything(client, authorize, emulator)
    for record in records:
        assert record.at.tzinfo is UTC or record.at.utcoffset().total_seconds() == 0
        assert record.duration_ms >= 0
        assert record.url.startswith(emulator.base_url)
    api = [r for r in records if r.kind == "api"]
    assert all(r.orcid == DEMO_ORCID and r.user_id == "u-42" for r in api)
    first_token = next(r for r in records if r.kind == "token")
    assert first_token.orcid == DEMO_ORCID and first_token.user_id == "u-42"
    conflict = next(r for r in api if r.status == 409)
    assert conflict.error == "OrcidConflict 409/9021"
    assert '"put-code"' not in (conflict.request_body or "")
    assert "journal-article" in conflict.request_body and "9021" in conflict.response_body
    failed = next(r for r in api if r.status is None)
    assert failed.error and failed.response_body is None


def test_a_record_starts_when_its_request_leaves_not_while_it_waits_for_a_token(
        endpoints, authorize, records):
    """Rate-limited calls take their token on the open connection, just before their first
    byte: each record's time is from then, so the call log shows ORCID's time, not the
    bucket's (2 tokens a second, burst 1: the calls leave half a second apart)."""
    from orcid_pyramid.sync.ratelimit import LocalTokenBucket

    bucket = LocalTokenBucket(2, 1)
    client = OrcidClient(endpoints, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, redirect_uri=REDIRECT_URI,
                         call_sink=records.append, rate_limiter=bucket)
    token = client.exchange_code(authorize())
    api = client.member(token.access_token, DEMO_ORCID)
    for _ in range(3):
        api.read("works")
    reads = [r for r in records if r.kind == "api"]
    assert len(reads) == 3 and bucket.waited > 0.5
    for earlier, later in zip(reads, reads[1:], strict=False):
        assert (later.at - earlier.at).total_seconds() >= 0.5 - 0.01


def test_bodies_are_capped_at_the_body_limit(endpoints, authorize, records):
    client = OrcidClient(endpoints, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, redirect_uri=REDIRECT_URI,
                         call_sink=records.append, body_limit=64)
    token = client.exchange_code(authorize())
    client.member(token.access_token, DEMO_ORCID).read("record")
    record = records[-1]
    assert record.response_body.startswith(record.response_body[:64])
    assert "more characters]" in record.response_body
    assert len(record.response_body) < 64 + 40


def test_a_failing_sink_does_not_fail_the_call(endpoints, authorize, caplog):
    def broken_sink(record):
        raise RuntimeError("database is down")

    client = OrcidClient(endpoints, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, redirect_uri=REDIRECT_URI,
                         call_sink=broken_sink)
    token = client.exchange_code(authorize())
    put_code = client.member(token.access_token, DEMO_ORCID).create("work", make_work())
    assert put_code > 0
    assert "call-log sink failed" in caplog.text
    assert token.access_token not in caplog.text


def test_a_timeout_is_recorded_through_the_exception_path(client, endpoints, authorize, emulator,
                                                          records):
    token = client.exchange_code(authorize())
    impatient = OrcidClient(endpoints, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET,
                            redirect_uri=REDIRECT_URI, call_sink=records.append, timeout=0.25)
    emulator.control.set_faults(1.0, ["timeout"], seed=1, timeout_s=1.0)
    try:
        with pytest.raises(OrcidTimeout):
            impatient.member(token.access_token, DEMO_ORCID).read("works")
    finally:
        emulator.control.set_faults(0.0)
    record = records[-1]
    assert record.kind == "api" and record.status is None and "Timeout" in record.error
    assert token.access_token not in json.dumps(record.as_dict())


def test_client_logging_never_shows_secrets(client, authorize, emulator, caplog):
    caplog.set_level("DEBUG")
    secrets = [s for s in _everything(client, authorize, emulator) if s]
    for secret in secrets:
        assert secret not in caplog.text


def test_held_records_are_made_at_their_release_each_as_its_call_was(
        client, authorize, emulator, records):
    """``held_records`` (the sync engine's runs of bulks): inside the block the sink gets
    nothing; ``release_records`` and the block's end, however it ends, hand over every call
    in order, each with its own time, duration, outcome and nothing secret."""
    token = client.exchange_code(authorize("/read-limited /activities/update"))
    api = client.member(token.access_token, DEMO_ORCID, log_context={"user_id": "u-7"})
    before = len(records)
    emulator.control.set_latency(30)
    try:
        with pytest.raises(RuntimeError, match="the caller's own failure"), held_records():
            put_code = api.create("work", make_work())
            with pytest.raises(OrcidConflict):
                api.create("work", make_work())
            assert len(records) == before  # held
            release_records()
            released = datetime.now(UTC)
            assert [r.status for r in records[before:]] == [201, 409]
            emulator.control.set_faults(1.0, ["reset"], seed=3)
            with pytest.raises(OrcidError):
                api.read("works")
            emulator.control.set_faults(0.0)
            api.delete("work", put_code)
            assert len(records) == before + 2
            raise RuntimeError("the caller's own failure")
    finally:
        emulator.control.set_faults(0.0)
        emulator.control.set_latency(0)
    made = records[before:]
    assert [(r.method, r.status) for r in made] == [
        ("POST", 201), ("POST", 409), ("GET", None), ("DELETE", 204)]
    assert made[2].error and "Connection" in made[2].error
    assert all(r.user_id == "u-7" and r.orcid == DEMO_ORCID for r in made)
    assert all(r.duration_ms >= 30 for r in made if r.status is not None)
    assert [r.at for r in made] == sorted(r.at for r in made)
    assert made[1].at < released  # its own time, not the release's
    dumped = json.dumps([r.as_dict() for r in made])
    assert token.access_token not in dumped and token.refresh_token not in dumped
    # outside the block, calls are recorded at once again
    api.read("works")
    assert len(records) == before + 5
