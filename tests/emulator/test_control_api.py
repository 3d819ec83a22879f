"""The control API under ``/_emulator/`` (design.md "Emulator", issue item 7)."""

from __future__ import annotations

import pytest

from orcid_pyramid.emulator import seed
from orcid_pyramid.emulator.control_client import ControlError

from .wsgi import REDIRECT, InProcess

WORK = {"title": {"title": {"value": "On emulators"}}, "type": "journal-article",
        "external-ids": {"external-id": [{"external-id-type": "doi",
                                          "external-id-value": "10.1234/emu",
                                          "external-id-relationship": "self"}]}}


@pytest.fixture
def emu():
    handle = InProcess()
    yield handle
    handle.close()


def _auth(token: dict) -> dict:
    return {"Authorization": f"Bearer {token['access_token']}", "Accept": "application/json"}


def test_reset_goes_back_to_the_seed(emu):
    """``POST reset`` forgets clients, users and tokens and loads the seed again."""
    emu.web.post_json("/_emulator/clients", {"client_id": "APP-EXTRA00000000001"}, status=201)
    token = emu.token()
    emu.web.post("/_emulator/reset")
    clients = emu.web.get("/_emulator/clients").json["clients"]
    assert [c["client_id"] for c in clients] == [seed.DEMO_CLIENT_ID]
    assert emu.state.find_token(token["access_token"]) is None
    assert emu.state.record(seed.DEMO_ORCID) is not None


def test_reset_switches_off_faults_latency_and_run_time_rate_limits(emu):
    """Settings made for one test never leak into the next."""
    emu.web.put_json("/_emulator/faults", {"rate": 1.0, "kinds": ["500"]})
    emu.web.put_json("/_emulator/latency", {"ms": 50, "connect_ms": 200})
    emu.web.put_json("/_emulator/ratelimit", {"rate_limit": "1/1", "public_rate_limit": "1/1"})
    emu.web.post("/_emulator/reset")
    assert emu.web.get("/_emulator/faults").json["rate"] == 0
    assert emu.web.get("/_emulator/latency").json == {"ms": 0, "connect_ms": 0}
    assert emu.web.get("/_emulator/ratelimit").json == {"rate_limit": None,
                                                        "public_rate_limit": None}


def test_latency_refuses_what_is_not_a_number_of_milliseconds(emu):
    """A bad ``ms`` or ``connect_ms`` is a 400 naming the field, and changes nothing."""
    emu.web.put_json("/_emulator/latency", {"ms": 10, "connect_ms": 20})
    for body, field in (({"ms": "5"}, "'ms'"), ({"ms": 5, "connect_ms": -1}, "'connect_ms'"),
                        ({"ms": 5, "connect_ms": True}, "'connect_ms'"),
                        ({"ms": 5, "connect_ms": 1e12}, "'connect_ms'")):
        answer = emu.web.put_json("/_emulator/latency", body, status=400).json
        assert field in answer["error"], answer
    assert emu.web.get("/_emulator/latency").json == {"ms": 10, "connect_ms": 20}


def test_clients_register_with_generated_credentials(emu):
    """``POST clients`` answers 201 with the secret; ids look like ORCID's."""
    body = emu.web.post_json("/_emulator/clients", {"name": "Other site", "member": False},
                             status=201).json
    assert body["client_id"].startswith("APP-") and len(body["client_id"]) == 20
    assert body["client_secret"] and body["member"] is False and body["name"] == "Other site"
    dup = emu.web.post_json("/_emulator/clients", {"client_id": body["client_id"]},
                            status=409).json
    assert "already exists" in dup["error"]


def test_users_get_valid_orcid_ids(emu):
    """``POST users`` → 201 ``{"orcid"}``; iDs pass the MOD 11-2 check (orcid-facts/orcid-id.md)."""
    answer = emu.web.post_json("/_emulator/users", {
        "given_names": "Grace", "family_names": "Hopper", "email": "grace@example.org",
        "password": "cobol-1959"}, status=201)
    assert seed.valid_orcid(answer.json["orcid"])
    assert set(answer.json) == {"orcid"}


@pytest.mark.parametrize("body, message", [
    ({"family_names": "X", "email": "x@example.org", "password": "p"}, "'given_names'"),
    ({"given_names": "X", "email": "x@example.org", "password": "p",
      "orcid": "0000-0000-0000-0002"}, "not a valid"),
    ({"given_names": 7, "email": "x@example.org", "password": "p"}, "must be a string"),
])
def test_users_bad_input_is_a_clear_400(emu, body, message):
    """Bad control input answers 400 with a reason, never a 500."""
    answer = emu.web.post_json("/_emulator/users", body, status=400)
    assert message in answer.json["error"]


def test_control_body_must_be_json(emu):
    """A body that is not JSON is a 400 with a reason."""
    answer = emu.web.post("/_emulator/users", "not json",
                          headers={"Content-Type": "application/json"}, status=400)
    assert answer.json["error"] == "the body is not valid JSON"


def test_authorize_issues_a_code_like_sign_in_and_approve(emu):
    """``POST authorize`` → ``{"redirect": redirect_uri?code=…&state=…}``; bad client → 400."""
    good = emu.web.post_json("/_emulator/authorize", {
        "orcid": seed.DEMO_ORCID, "client_id": seed.DEMO_CLIENT_ID, "scope": "/authenticate",
        "redirect_uri": REDIRECT, "state": "abc"}).json
    bad = emu.web.post_json("/_emulator/authorize", {
        "orcid": seed.DEMO_ORCID, "client_id": "APP-NOBODY", "scope": "/authenticate",
        "redirect_uri": REDIRECT}, status=400).json
    assert good["redirect"].startswith(REDIRECT + "?code=") and "state=abc" in good["redirect"]
    assert bad["error"] == "invalid_request"


def test_records_show_items_with_put_code_and_source(emu):
    """``GET records/{orcid}`` shows every item with its put code and source client."""
    token = emu.token()
    posted = emu.web.post_json(f"/api/v3.0/{seed.DEMO_ORCID}/work", WORK,
                               headers=_auth(token), status=201)
    put_code = int(posted.headers["Location"].rsplit("/", 1)[1])
    record = emu.web.get(f"/_emulator/records/{seed.DEMO_ORCID}").json
    works = record["sections"]["works"]
    assert [w["put-code"] for w in works] == [put_code]
    assert seed.DEMO_CLIENT_ID in str(works[0])


def test_user_deletes_an_item_and_the_api_answers_404(emu):
    """``DELETE records/{orcid}/{section}/{put_code}``: the item is gone for the client."""
    token = emu.token()
    posted = emu.web.post_json(f"/api/v3.0/{seed.DEMO_ORCID}/work", WORK, headers=_auth(token))
    put_code = posted.headers["Location"].rsplit("/", 1)[1]
    emu.web.delete(f"/_emulator/records/{seed.DEMO_ORCID}/work/{put_code}", status=204)
    emu.web.delete(f"/_emulator/records/{seed.DEMO_ORCID}/work/{put_code}", status=404)
    emu.web.get(f"/api/v3.0/{seed.DEMO_ORCID}/work/{put_code}", headers=_auth(token),
                status=404)


def test_user_revokes_the_client_and_its_tokens_stop_working(emu):
    """``POST records/{orcid}/revoke/{client_id}``: the API answers 401 invalid_token."""
    token = emu.token()
    answer = emu.web.post(f"/_emulator/records/{seed.DEMO_ORCID}/revoke/{seed.DEMO_CLIENT_ID}")
    read = emu.web.get(f"/api/v3.0/{seed.DEMO_ORCID}/works", headers=_auth(token),
                       status=401)
    assert answer.json == {"revoked": 1}
    assert read.json["error"] == "invalid_token"


def test_calls_record_every_request_with_host_client_and_orcid(emu):
    """``GET calls``: method, path, host, status, time, client_id, orcid; secrets redacted."""
    token = emu.token()
    emu.web.get(f"/api/v3.0/{seed.DEMO_ORCID}/works", headers=_auth(token))
    emu.web.get("/oauth/authorize?client_id=x&code=secret-code", status=400)
    calls = emu.web.get("/_emulator/calls").json["calls"]
    api_call = next(c for c in calls if c["path"].endswith("/works"))
    assert api_call["host"] == "api" and api_call["status"] == 200
    assert api_call["client_id"] == seed.DEMO_CLIENT_ID and api_call["orcid"] == seed.DEMO_ORCID
    token_call = next(c for c in calls if c["path"] == "/oauth/token")
    assert token_call["host"] == "root" and token_call["client_id"] == seed.DEMO_CLIENT_ID
    assert "secret-code" not in str(calls)
    since = emu.web.get(f"/_emulator/calls?since={len(calls)}").json["calls"]
    assert [c["path"] for c in since] == ["/_emulator/calls"]


def test_unknown_control_call_is_404(emu):
    """An unknown control path answers a JSON 404."""
    assert "no control call" in emu.web.get("/_emulator/nothing", status=404).json["error"]


def test_control_client_speaks_to_a_live_emulator(emulator):
    """``EmulatorControl`` over HTTP: one method per call; failures raise ControlError."""
    control = emulator.control
    orcid = control.add_user("Kat", "Johnson", "kat@example.org", "orbital-1962")
    client = control.add_client(name="Site", redirect_uris=["https://site.example/cb"])
    redirect = control.authorize(orcid, client["client_id"], "/authenticate",
                                 "https://site.example/cb/x", state="q")
    control.set_faults(0.5, ["500"], seed=3)
    assert control.faults()["kinds"] == ["500"]
    control.set_faults(0)
    assert control.set_latency(5) == {"ms": 5, "connect_ms": 0}
    assert control.set_latency(5, connect_ms=30) == {"ms": 5, "connect_ms": 30}
    assert control.set_latency(6) == {"ms": 6, "connect_ms": 30}  # left as it was
    assert control.set_rate_limit("10/5") == {"rate_limit": "10/5", "public_rate_limit": None}
    control.set_rate_limit(None)
    assert redirect.startswith("https://site.example/cb/x?code=")
    assert control.record(orcid)["family-names"] == "Johnson"
    assert control.errors() == []
    with pytest.raises(ControlError) as failure:
        control.record("0000-0000-0000-0000")
    assert failure.value.status == 404
