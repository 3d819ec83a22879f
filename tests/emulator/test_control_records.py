"""Control calls that shape records for tests: ``POST users`` with optional record fields and
``POST records/{orcid}/items/{section}`` (control.py's docstring)."""

from __future__ import annotations

import pytest

from orcid_pyramid.emulator import seed
from orcid_pyramid.emulator.control_client import ControlError

from .api_helpers import affiliation
from .wsgi import InProcess

WORK = {"title": {"title": {"value": "Planted"}}, "type": "journal-article",
        "external-ids": {"external-id": [{"external-id-type": "doi",
                                          "external-id-value": "10.1234/planted",
                                          "external-id-relationship": "self"}]}}
OTHER = "APP-OTHERCLIENT00003"
USER = {"given_names": "Ada", "family_names": "Lovelace", "email": "ada@example.org",
        "password": "engine-1843"}


@pytest.fixture
def emu():
    handle = InProcess()
    yield handle
    handle.close()


def _auth(token: dict) -> dict:
    return {"Authorization": f"Bearer {token['access_token']}", "Accept": "application/json"}


def _user(emu, **fields) -> str:
    return emu.web.post_json("/_emulator/users", {**USER, **fields}, status=201).json["orcid"]


def test_users_take_the_optional_record_fields(emu):
    """``POST users`` sets credit name, visibilities, biography and more emails."""
    orcid = _user(emu, credit_name="A. A. Lovelace", name_visibility="limited",
                  biography="Wrote the first program.", default_visibility="private",
                  email_visibility="public", locale="fr",
                  emails=["ada2@example.org", {"email": "ada3@example.org", "verified": False,
                                               "visibility": "private"}])
    record = emu.web.get(f"/_emulator/records/{orcid}").json
    assert record["credit-name"] == "A. A. Lovelace"
    assert record["name-visibility"] == "limited"
    assert record["biography"] == "Wrote the first program."
    assert record["default-visibility"] == "private"
    assert record["emails"] == [
        {"email": "ada@example.org", "verified": True, "primary": True, "visibility": "public"},
        {"email": "ada2@example.org", "verified": True, "primary": False,
         "visibility": "limited"},
        {"email": "ada3@example.org", "verified": False, "primary": False,
         "visibility": "private"}]
    assert (record["locked"], record["deactivated"], record["deprecated-to"]) == (
        False, False, None)


def test_unverified_emails_never_show_in_the_api(emu):
    """orcid-facts/member-api.md#reads: ``GET /email`` lists verified addresses only."""
    orcid = _user(emu, email_verified=False, email_visibility="public",
                  emails=[{"email": "seen@example.org", "visibility": "public"}])
    token = emu.token(scope="/read-limited", orcid=orcid)
    emails = emu.web.get(f"/api/v3.0/{orcid}/email", headers=_auth(token)).json["email"]
    assert [e["email"] for e in emails] == ["seen@example.org"]


@pytest.mark.parametrize("fields, status, code", [
    ({"locked": True}, 409, 9018),
    ({"deactivated": True}, 409, 9044),
    ({"deprecated_to": seed.DEMO_ORCID}, 301, 9007),
])
def test_record_states_from_the_control_api_reach_the_api(emu, fields, status, code):
    """orcid-facts/member-api.md#writes: locked, deactivated and deprecated records answer ORCID's
    errors on every read."""
    orcid = _user(emu, **fields)
    answer = emu.web.get(f"/pub/v3.0/{orcid}/works", headers={"Accept": "application/json"},
                         status=status)
    assert answer.json["error-code"] == code
    if status == 301:
        assert answer.headers["Location"].endswith(f"/v3.0/{seed.DEMO_ORCID}")


@pytest.mark.parametrize("fields, message", [
    ({"name_visibility": "secret"}, "'name_visibility' must be one of"),
    ({"locked": "yes"}, "'locked' must be true or false"),
    ({"credit_name": 5}, "'credit_name' must be a string"),
    ({"deprecated_to": "0000-0000-0000-0000"}, "'deprecated_to'"),
    ({"emails": "b@example.org"}, "'emails' must be a list"),
    ({"emails": [{"email": "b@example.org", "colour": "red"}]}, "unknown email field"),
    ({"emails": [{"email": "b@example.org", "verified": "no"}]}, "'verified' must be true"),
    ({"emails": [7]}, "each of 'emails'"),
])
def test_bad_optional_fields_are_a_clear_400(emu, fields, message):
    """Wrong optional fields answer 400 naming the field, never a 500."""
    answer = emu.web.post_json("/_emulator/users", {**USER, **fields}, status=400)
    assert message in answer.json["error"]
    assert emu.state.errors == []


def test_an_extra_email_already_in_use_is_a_409(emu):
    """Every address of a record is unique across the emulator."""
    _user(emu)
    answer = emu.web.post_json("/_emulator/users", {
        **USER, "email": "new@example.org", "emails": ["ada@example.org"]}, status=409)
    assert "ada@example.org" in answer.json["error"]


def test_item_added_as_the_researcher_has_the_record_as_source(emu):
    """``POST records/{orcid}/items/work`` without a client: ORCID's UI adds it (source-orcid)."""
    answer = emu.web.post_json(f"/_emulator/records/{seed.DEMO_ORCID}/items/works",
                               {"item": WORK}, status=201)
    put_code = answer.json["put_code"]
    token = emu.token()
    read = emu.web.get(f"/api/v3.0/{seed.DEMO_ORCID}/work/{put_code}", headers=_auth(token))
    assert read.json["source"]["source-orcid"]["path"] == seed.DEMO_ORCID
    assert read.json["source"]["source-client-id"] is None
    assert read.json["title"]["title"]["value"] == "Planted"
    assert read.json["visibility"] == "public"
    # the client is not the source: it may not change the researcher's item
    # (orcid-facts/member-api.md#writes, 9010)
    emu.web.put_json(f"/api/v3.0/{seed.DEMO_ORCID}/work/{put_code}",
                     {**WORK, "put-code": put_code}, headers=_auth(token), status=403)


def test_item_added_as_a_client_belongs_to_that_client(emu):
    """With ``source_client_id`` the client is the source: it may update the item, and the
    duplicate rule sees it (orcid-facts/member-api.md#writes: 409/9021 on the same DOI from the same
    client)."""
    put_code = emu.web.post_json(f"/_emulator/records/{seed.DEMO_ORCID}/items/work", {
        "item": WORK, "source_client_id": seed.DEMO_CLIENT_ID}, status=201).json["put_code"]
    record = emu.web.get(f"/_emulator/records/{seed.DEMO_ORCID}").json
    assert record["sections"]["works"][0]["source-client-id"] == seed.DEMO_CLIENT_ID
    token = emu.token()
    changed = {**WORK, "put-code": put_code, "title": {"title": {"value": "Renamed"}}}
    emu.web.put_json(f"/api/v3.0/{seed.DEMO_ORCID}/work/{put_code}", changed,
                     headers=_auth(token), status=200)
    duplicate = emu.web.post_json(f"/api/v3.0/{seed.DEMO_ORCID}/work", WORK,
                                  headers=_auth(token), status=409)
    assert duplicate.json["error-code"] == 9021


def test_item_visibility_is_honoured_by_reads(emu):
    """A private item the researcher added is hidden from a client that is not its source."""
    emu.web.post_json(f"/_emulator/records/{seed.DEMO_ORCID}/items/work",
                      {"item": WORK, "visibility": "private"}, status=201)
    emu.web.post_json(f"/_emulator/records/{seed.DEMO_ORCID}/items/keywords",
                      {"item": {"content": "engines"}}, status=201)
    token = emu.token()
    works = emu.web.get(f"/api/v3.0/{seed.DEMO_ORCID}/works", headers=_auth(token)).json
    keywords = emu.web.get(f"/api/v3.0/{seed.DEMO_ORCID}/keywords", headers=_auth(token)).json
    assert works["group"] == []
    assert [k["content"] for k in keywords["keyword"]] == ["engines"]


@pytest.mark.parametrize("path, body, status, message", [
    ("items/work", {"item": {"type": "journal-article"}}, 400, "invalid work"),
    ("items/work", {"item": "a work"}, 400, "'item' must be"),
    ("items/work", {"item": {**WORK, "put-code": 5}}, 400, "put-code"),
    ("items/work", {"item": WORK, "source_client_id": "APP-NOBODY"}, 404, "no client"),
    ("items/work", {"item": WORK, "visibility": "everyone"}, 400, "'visibility'"),
    ("items/poems", {"item": WORK}, 404, "unknown section"),
])
def test_bad_items_are_clear_errors(emu, path, body, status, message):
    """Bad item input answers 400/404 with a reason; nothing is added."""
    answer = emu.web.post_json(f"/_emulator/records/{seed.DEMO_ORCID}/{path}", body,
                               status=status)
    assert message in answer.json["error"]
    assert emu.web.get(f"/_emulator/records/{seed.DEMO_ORCID}").json["sections"]["works"] == []
    assert emu.state.errors == []


def test_control_client_adds_users_and_items_on_a_live_emulator(emulator):
    """``EmulatorControl.add_user(**options)`` and ``add_item(...)`` over HTTP."""
    control = emulator.control
    control.add_client(client_id=OTHER, client_secret="s3cret", name="Other site")
    orcid = control.add_user("Mary", "Jackson", "mary@example.org", "wind-tunnel",
                             credit_name="M. Jackson", locked=False,
                             emails=[{"email": "mj@example.org", "verified": False}])
    put_code = control.add_item(orcid, "employment", affiliation(), source_client_id=OTHER,
                                visibility="limited")
    record = control.record(orcid)
    assert record["credit-name"] == "M. Jackson"
    assert [e["verified"] for e in record["emails"]] == [True, False]
    [employment] = record["sections"]["employments"]
    assert (employment["put-code"], employment["source-client-id"],
            employment["visibility"]) == (put_code, OTHER, "limited")
    with pytest.raises(ControlError) as caught:
        control.add_item(orcid, "work", {"type": "journal-article"})
    assert caught.value.status == 400
