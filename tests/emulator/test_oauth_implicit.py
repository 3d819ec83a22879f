"""The implicit OpenID flow: ``response_type=token``, ``id_token`` and ``id_token token`` with
``openid``; ten-minute tokens; answers in the URL fragment (orcid-facts/oauth.md#implicit-flow).
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit

import jwt
import requests

from orcid_pyramid.emulator import seed

from .browser import FormBrowser

CLIENT = seed.DEMO_CLIENT_ID
REDIRECT = "http://127.0.0.1:9/callback"


def _fragment(location: str) -> dict[str, str]:
    parts = urlsplit(location)
    assert not parts.query, location  # nothing in the query: the answer is for the browser
    return dict(parse_qsl(parts.fragment))


def _signed_in_answer(emulator, response_type: str, scope: str = "openid", **extra):
    """Sign in through ORCID's pages and approve; the 302 that goes back to the site."""
    params = {"client_id": CLIENT, "response_type": response_type, "scope": scope,
              "redirect_uri": REDIRECT, "state": "s-9", "nonce": "n-1", **extra}
    browser = FormBrowser()
    assert browser.get(emulator.base_url + "/oauth/authorize?" + urlencode(params)
                       ).status_code == 200
    browser.submit("signin-form", username=seed.DEMO_EMAIL, password=seed.DEMO_PASSWORD)
    answer = browser.submit("consent-form", "authorize-button")
    assert answer.status_code == 302
    return answer.headers["Location"]


def _claims(id_token: str) -> dict:
    return jwt.decode(id_token, options={"verify_signature": False})


def test_response_type_token_answers_a_ten_minute_token_in_the_fragment(emulator):
    """``token``: access_token, bearer, expires_in under ten minutes, state, in the fragment;
    the token reads userinfo and lives ten minutes."""
    location = _signed_in_answer(emulator, "token")
    answer = _fragment(location)
    assert location.startswith(REDIRECT + "#")
    assert answer["token_type"] == "bearer" and answer["state"] == "s-9"
    assert 0 < int(answer["expires_in"]) <= 600
    token = emulator.state.find_token(answer["access_token"])
    assert token.orcid == seed.DEMO_ORCID
    assert round(token.expires_at - token.issued_at) == 600
    info = requests.get(emulator.base_url + "/oauth/userinfo", timeout=10,
                        headers={"Authorization": f"Bearer {answer['access_token']}"})
    assert info.status_code == 200 and info.json()["sub"] == seed.DEMO_ORCID


def test_response_type_id_token_token_answers_both(emulator):
    """``id_token token``: an access token and an id_token for it (at_hash, nonce, aud)."""
    answer = _fragment(_signed_in_answer(emulator, "id_token token"))
    claims = _claims(answer["id_token"])
    assert answer["access_token"] and claims["sub"] == seed.DEMO_ORCID
    assert claims["aud"] == CLIENT and claims["nonce"] == "n-1" and "at_hash" in claims


def test_response_type_id_token_answers_only_an_id_token(emulator):
    """``id_token``: the id_token alone, no access token."""
    answer = _fragment(_signed_in_answer(emulator, "id_token"))
    assert "access_token" not in answer and answer["state"] == "s-9"
    claims = _claims(answer["id_token"])
    assert claims["sub"] == seed.DEMO_ORCID and "at_hash" not in claims


def test_implicit_flow_is_for_openid_and_authenticate_only(emulator):
    """Asking a write scope, or an id_token without openid, is refused with invalid_scope in
    the fragment."""
    for response_type, scope in (("token", "/activities/update"),
                                 ("id_token", "/authenticate")):
        answer = requests.get(emulator.base_url + "/oauth/authorize", allow_redirects=False,
                              timeout=10, params={"client_id": CLIENT, "scope": scope,
                                                  "response_type": response_type,
                                                  "redirect_uri": REDIRECT, "state": "s"})
        assert answer.status_code == 302
        assert _fragment(answer.headers["Location"])["error"] == "invalid_scope"


def test_control_authorize_answers_the_implicit_flow_too(emulator):
    """``POST /_emulator/authorize`` with ``response_type=token`` answers a fragment."""
    location = emulator.control.authorize(seed.DEMO_ORCID, CLIENT, "/authenticate", REDIRECT,
                                          response_type="token")
    assert emulator.state.find_token(_fragment(location)["access_token"]) is not None
