"""Token endpoint grants, errors, revocation and OpenID Connect (orcid-facts/oauth.md,
orcid-facts/openid-connect.md)."""

from __future__ import annotations

import base64
import hashlib
import os
import ssl

import jwt
import pytest
import requests

from orcid_pyramid.emulator import seed

from .browser import query_of

CLIENT, SECRET = seed.DEMO_CLIENT_ID, seed.DEMO_CLIENT_SECRET
REDIRECT = "http://127.0.0.1:9/callback"


def _post(emulator, path, **form):
    return requests.post(emulator.base_url + path, data=form, timeout=10)


def _user_token(emulator, scope="/read-limited /activities/update", nonce=None) -> dict:
    location = emulator.control.authorize(seed.DEMO_ORCID, CLIENT, scope, REDIRECT,
                                          nonce=nonce)
    answer = _post(emulator, "/oauth/token", client_id=CLIENT, client_secret=SECRET,
                   grant_type="authorization_code", code=query_of(location)["code"],
                   redirect_uri=REDIRECT)
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_token_response_field_for_field(emulator):
    """orcid-facts/oauth.md#token: the fields, lower-case bearer, UUID tokens, 20-year expiry,
    no-store headers."""
    location = emulator.control.authorize(seed.DEMO_ORCID, CLIENT, "/read-limited", REDIRECT)
    answer = _post(emulator, "/oauth/token", client_id=CLIENT, client_secret=SECRET,
                   grant_type="authorization_code", code=query_of(location)["code"],
                   redirect_uri=REDIRECT)
    body = answer.json()
    assert set(body) == {"access_token", "token_type", "refresh_token", "expires_in", "scope",
                         "name", "orcid"}
    assert body["token_type"] == "bearer" and body["expires_in"] == 631138518
    assert body["scope"] == "/read-limited" and body["orcid"] == seed.DEMO_ORCID
    assert len(body["access_token"]) == 36 and body["access_token"] == body[
        "access_token"].lower()
    assert answer.headers["Cache-Control"] == "no-store"
    assert answer.headers["Pragma"] == "no-cache"
    assert answer.headers["Content-Type"].startswith("application/json")


@pytest.mark.parametrize("form, status, error", [
    ({"client_secret": "wrong", "grant_type": "client_credentials"}, 401, "invalid_client"),
    ({"client_secret": SECRET}, 400, "unsupported_grant_type"),
    ({"client_secret": SECRET, "grant_type": "password"}, 400, "unsupported_grant_type"),
    ({"client_secret": SECRET, "grant_type": "authorization_code", "code": "nope",
      "redirect_uri": REDIRECT}, 400, "invalid_grant"),
    ({"client_secret": SECRET, "grant_type": "client_credentials", "scope": "/web-hook"}, 401,
     "invalid_scope"),
])
def test_token_errors_are_oauth_json(emulator, form, status, error):
    """orcid-facts/oauth.md#codes: invalid_client 401, unsupported_grant_type / invalid_grant
    400; an unknown scope 401 (orcid-facts/scopes.md#refusals)."""
    answer = _post(emulator, "/oauth/token", client_id=CLIENT, **form)
    assert answer.status_code == status
    assert answer.json()["error"] == error and answer.json()["error_description"]


def test_token_endpoint_refuses_get_and_json_bodies(emulator):
    """orcid-facts/oauth.md#codes (3P-OBS): only a form POST is a token request."""
    get = requests.get(emulator.base_url + "/oauth/token", timeout=10)
    as_json = requests.post(emulator.base_url + "/oauth/token", json={"grant_type": "x"},
                            timeout=10)
    assert get.status_code == 405 and get.json()["error"] == "invalid_request"
    assert as_json.status_code == 415


def test_client_secret_basic_is_accepted(emulator):
    """Discovery's older value: client authentication by HTTP Basic also works."""
    answer = requests.post(emulator.base_url + "/oauth/token", auth=(CLIENT, SECRET),
                           data={"grant_type": "client_credentials", "scope": "/read-public"},
                           timeout=10)
    assert answer.status_code == 200 and answer.json()["scope"] == "/read-public"


def test_client_credentials_drops_three_legged_scopes(emulator):
    """orcid-facts/scopes.md: on client_credentials ORCID silently drops non client-credential
    scopes."""
    answer = _post(emulator, "/oauth/token", client_id=CLIENT, client_secret=SECRET,
                   grant_type="client_credentials", scope="/read-public /activities/update")
    body = answer.json()
    assert body["scope"] == "/read-public" and body["orcid"] is None and "name" not in body


def test_webhook_scope_needs_a_premium_client(emulator):
    """orcid-facts/webhooks.md: a non-premium client gets "Invalid scope: /webhook"."""
    emulator.control.add_client("APP-BASICMEMBER00001", "s", member=True, premium=False)
    answer = _post(emulator, "/oauth/token", client_id="APP-BASICMEMBER00001", client_secret="s",
                   grant_type="client_credentials", scope="/webhook")
    assert answer.status_code == 400
    assert answer.json() == {"error": "invalid_scope",
                             "error_description": "Invalid scope: /webhook"}


def test_refresh_narrower_scope_keeps_old_token_when_revoke_old_false(emulator):
    """orcid-facts/oauth.md#refresh: subset scope, ``revoke_old=false`` keeps the parent,
    ``expires_in`` honoured."""
    parent = _user_token(emulator)
    answer = _post(emulator, "/oauth/token", client_id=CLIENT, client_secret=SECRET,
                   grant_type="refresh_token", refresh_token=parent["refresh_token"],
                   scope="/read-limited", revoke_old="false", expires_in="86400")
    child = answer.json()
    assert answer.status_code == 200 and child["scope"] == "/read-limited"
    assert child["expires_in"] == 86400 and child["orcid"] == seed.DEMO_ORCID
    assert child["access_token"] != parent["access_token"]
    assert emulator.state.find_token(parent["access_token"]).live()


def test_refresh_revokes_the_old_token_by_default(emulator):
    """orcid-facts/oauth.md#refresh: ``revoke_old`` defaults to true in ORCID's server code."""
    parent = _user_token(emulator)
    _post(emulator, "/oauth/token", client_id=CLIENT, client_secret=SECRET,
          grant_type="refresh_token", refresh_token=parent["refresh_token"])
    assert not emulator.state.find_token(parent["access_token"]).live()
    again = _post(emulator, "/oauth/token", client_id=CLIENT, client_secret=SECRET,
                  grant_type="refresh_token", refresh_token=parent["refresh_token"])
    assert again.json() == {"error": "invalid_grant",
                            "error_description": "Parent token is disabled"}


def test_refresh_cannot_widen_scope_or_cross_clients(emulator):
    """orcid-facts/oauth.md#refresh: scope must be within the parent's; the token must belong to the
    caller."""
    parent = _user_token(emulator, scope="/read-limited")
    wider = _post(emulator, "/oauth/token", client_id=CLIENT, client_secret=SECRET,
                  grant_type="refresh_token", refresh_token=parent["refresh_token"],
                  scope="/activities/update")
    emulator.control.add_client("APP-OTHERCLIENT00001", "s")
    other = _post(emulator, "/oauth/token", client_id="APP-OTHERCLIENT00001", client_secret="s",
                  grant_type="refresh_token", refresh_token=parent["refresh_token"])
    assert wider.json()["error"] == "invalid_scope"
    assert "not allowed for the parent token" in wider.json()["error_description"]
    assert other.json()["error_description"] == "This token does not belong to the given client"


def test_revoke_kills_access_and_refresh_halves(emulator):
    """orcid-facts/oauth.md#revoke: revoking either token ends both; unknown token → 200; missing →
    400."""
    token = _user_token(emulator)
    answer = _post(emulator, "/oauth/revoke", client_id=CLIENT, client_secret=SECRET,
                   token=token["refresh_token"])
    unknown = _post(emulator, "/oauth/revoke", client_id=CLIENT, client_secret=SECRET,
                    token="0b3a3a3a-0000-4000-8000-000000000000")
    missing = _post(emulator, "/oauth/revoke", client_id=CLIENT, client_secret=SECRET)
    assert answer.status_code == 200 and answer.content == b""
    assert not emulator.state.find_token(token["access_token"]).live()
    assert unknown.status_code == 200 and missing.status_code == 400
    refresh = _post(emulator, "/oauth/token", client_id=CLIENT, client_secret=SECRET,
                    grant_type="refresh_token", refresh_token=token["refresh_token"])
    assert refresh.json()["error"] == "invalid_grant"


def test_discovery_document_points_at_the_emulator(emulator):
    """orcid-facts/openid-connect.md: discovery fields, RS256, client_secret_post, issuer = the
    emulator's base URL."""
    doc = requests.get(emulator.base_url + "/.well-known/openid-configuration", timeout=10).json()
    assert doc["issuer"] == emulator.base_url
    assert doc["token_endpoint"] == emulator.base_url + "/oauth/token"
    assert doc["jwks_uri"] == emulator.base_url + "/oauth/jwks"
    assert doc["id_token_signing_alg_values_supported"] == ["RS256"]
    assert doc["token_endpoint_auth_methods_supported"] == ["client_secret_post"]
    assert list(doc)[-1] == "issuer"


def test_id_token_verifies_against_jwks_with_orcid_claims(emulator):
    """orcid-facts/openid-connect.md: RS256 with a kid; iss, sub, aud, nonce, at_hash, amr for
    members."""
    token = _user_token(emulator, scope="openid", nonce="n-42")
    header = jwt.get_unverified_header(token["id_token"])
    # PyJWT fetches with urllib, which does not read REQUESTS_CA_BUNDLE: hand it the local CA,
    # as a site reaching the emulator over HTTPS would
    context = ssl.create_default_context(cafile=os.environ.get("REQUESTS_CA_BUNDLE"))
    jwks = jwt.PyJWKClient(emulator.base_url + "/oauth/jwks", ssl_context=context)
    key = jwks.get_signing_key_from_jwt(token["id_token"])
    claims = jwt.decode(token["id_token"], key.key, algorithms=["RS256"], audience=CLIENT,
                        issuer=emulator.base_url)
    digest = hashlib.sha256(token["access_token"].encode()).digest()
    expected_hash = base64.urlsafe_b64encode(digest[:16]).rstrip(b"=").decode()
    assert header["alg"] == "RS256" and header["kid"].startswith("emulator-orcid-org-")
    assert claims["sub"] == seed.DEMO_ORCID and claims["nonce"] == "n-42"
    assert claims["at_hash"] == expected_hash and claims["amr"] == "pwd"
    assert claims["given_name"] == "Josiah" and claims["family_name"] == "Carberry"
    assert {"iat", "exp", "auth_time", "jti"} <= set(claims)


def test_userinfo_needs_an_openid_token(emulator):
    """orcid-facts/openid-connect.md: userinfo with an openid token; a token without
    openid/authenticate is denied."""
    openid = _user_token(emulator, scope="openid")
    limited = _user_token(emulator, scope="/read-limited")
    ok = requests.get(emulator.base_url + "/oauth/userinfo", timeout=10,
                      headers={"Authorization": f"Bearer {openid['access_token']}"})
    denied = requests.get(emulator.base_url + "/oauth/userinfo", timeout=10,
                          headers={"Authorization": f"Bearer {limited['access_token']}"})
    anonymous = requests.get(emulator.base_url + "/oauth/userinfo", timeout=10)
    assert ok.json() == {"id": f"{emulator.base_url}/{seed.DEMO_ORCID}", "sub": seed.DEMO_ORCID,
                         "name": "Josiah Carberry", "family_name": "Carberry",
                         "given_name": "Josiah"}
    assert denied.status_code == 403 and denied.json()["error"] == "access_denied"
    assert anonymous.status_code == 401 and anonymous.json()["error"] == "invalid_token"
