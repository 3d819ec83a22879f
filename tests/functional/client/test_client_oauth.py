"""The OAuth side of the client against the emulator: code, refresh, client credentials, revoke."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import requests

from orcid_pyramid.client import OrcidClient, OrcidOAuthError, OrcidUnauthorized, OrcidUsageError
from tests.functional.client.support import (
    DEMO_CLIENT_ID,
    DEMO_ORCID,
    MEMBER_SCOPES,
    REDIRECT_URI,
)


def test_code_exchange_returns_every_token_field(client, authorize):
    before = datetime.now(UTC)
    token = client.exchange_code(authorize())
    assert token.orcid == DEMO_ORCID
    assert token.name == "Josiah Carberry"
    assert token.token_type == "bearer"
    assert token.scopes == set(MEMBER_SCOPES.split())
    assert token.access_token and token.refresh_token and token.access_token != token.refresh_token
    assert token.expires_in == 631138518
    assert token.expires_at - before >= timedelta(seconds=631138518)
    assert token.id_token is None  # no openid scope asked


def test_the_code_is_exchanged_at_the_root_token_url(client, authorize, emulator):
    start = len(emulator.control.calls())
    client.exchange_code(authorize())
    token_calls = [c for c in emulator.control.calls(start) if c["path"].endswith("/oauth/token")]
    assert token_calls  # (a request held by another test may also land here: all are root)
    assert {(c["host"], c["path"], c["method"]) for c in token_calls} == {
        ("root", "/oauth/token", "POST")}


def test_the_authorization_url_is_accepted_by_the_authorize_page(client):
    url = client.authorization_url(MEMBER_SCOPES, "state-xyz", prefill={"email": "a@b.example"})
    response = requests.get(url, timeout=5)
    assert response.status_code == 200
    assert "text/html" in response.headers["Content-Type"]


def test_redirect_uri_must_match_the_authorize_request(client, authorize):
    code = authorize()
    with pytest.raises(OrcidOAuthError) as caught:
        client.exchange_code(code, redirect_uri="http://127.0.0.1:9/elsewhere")
    assert caught.value.error == "invalid_grant"


def test_an_unknown_code_is_invalid_grant(client):
    with pytest.raises(OrcidOAuthError) as caught:
        client.exchange_code("Zz9Zz9")
    assert caught.value.error == "invalid_grant"
    assert caught.value.user_text().startswith("The ORCID sign-in could not be completed")


def test_reusing_a_code_fails_and_revokes_the_first_token(client, authorize):
    code = authorize()
    first = client.exchange_code(code)
    with pytest.raises(OrcidOAuthError) as caught:
        client.exchange_code(code)
    assert caught.value.error == "invalid_grant"
    with pytest.raises(OrcidUnauthorized):
        client.member(first.access_token, first.orcid).read("record")


def test_a_wrong_client_secret_is_invalid_client(endpoints, authorize):
    bad = OrcidClient(endpoints, DEMO_CLIENT_ID, "not-the-secret", redirect_uri=REDIRECT_URI)
    with pytest.raises(OrcidOAuthError) as caught:
        bad.exchange_code(authorize())
    assert caught.value.error == "invalid_client"
    assert caught.value.status == 401


def test_an_empty_code_is_refused_before_any_call(client, records):
    with pytest.raises(OrcidUsageError):
        client.exchange_code("  ")
    assert records == []


def test_refresh_without_revoking_keeps_the_old_token_working(client, connect):
    first = connect()
    second = client.refresh(first.refresh_token)
    assert second.access_token != first.access_token
    assert second.orcid == DEMO_ORCID
    for token in (first, second):
        assert client.member(token.access_token, DEMO_ORCID).read("person")


def test_refresh_with_revoke_old_kills_the_old_token(client, connect):
    first = connect()
    second = client.refresh(first.refresh_token, revoke_old=True)
    assert client.member(second.access_token, DEMO_ORCID).read("person")
    with pytest.raises(OrcidUnauthorized):
        client.member(first.access_token, DEMO_ORCID).read("person")


def test_refresh_can_narrow_the_scope_and_shorten_the_lifetime(client, connect):
    first = connect()
    narrow = client.refresh(first.refresh_token, scopes=["/read-limited"], expires_in=86400)
    assert narrow.scopes == {"/read-limited"}
    assert narrow.expires_in <= 86400


def test_refresh_cannot_widen_the_scope(client, connect):
    first = connect("/read-limited")
    with pytest.raises(OrcidOAuthError) as caught:
        client.refresh(first.refresh_token, scopes="/read-limited /activities/update")
    assert caught.value.error == "invalid_scope"


def test_client_credentials_give_a_read_public_token_without_an_orcid(client):
    token = client.client_credentials("/read-public")
    assert token.scopes == {"/read-public"} and token.orcid is None and token.name is None


def test_webhook_scope_needs_a_premium_client(other_client):
    with pytest.raises(OrcidOAuthError) as caught:
        other_client.client_credentials("/webhook")
    assert caught.value.error == "invalid_scope"


def test_revoking_the_token_ends_api_access(client, connect):
    token = connect()
    client.revoke(token.access_token)
    with pytest.raises(OrcidUnauthorized) as caught:
        client.member(token.access_token, DEMO_ORCID).read("record")
    assert token.access_token not in str(caught.value)


def test_revoking_an_unknown_token_is_not_an_error(client):
    client.revoke("00000000-0000-4000-8000-000000000000")


def test_user_revocation_on_orcid_shows_as_unauthorized(client, connect, emulator):
    token = connect()
    emulator.control.revoke(DEMO_ORCID, DEMO_CLIENT_ID)
    with pytest.raises(OrcidUnauthorized):
        client.member(token.access_token, DEMO_ORCID).read("works")


def test_userinfo_returns_the_openid_claims(client, connect):
    token = connect("openid")
    info = client.userinfo(token.access_token)
    assert info["sub"] == DEMO_ORCID
    assert info["given_name"] == "Josiah" and info["family_name"] == "Carberry"


def test_userinfo_refuses_a_token_without_openid(client, connect):
    from orcid_pyramid.client import OrcidForbidden

    token = connect("/read-limited")
    with pytest.raises(OrcidForbidden):
        client.userinfo(token.access_token)
