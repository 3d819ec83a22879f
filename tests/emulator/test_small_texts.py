"""ORCID's small texts: the 9019 message, invalid_token descriptions on userinfo and webhooks,
what a premium member asking /webhook at authorize is told, the id_token header without
``typ`` (orcid-facts/errors.md, orcid-facts/openid-connect.md, orcid-facts/webhooks.md)."""

from __future__ import annotations

from urllib.parse import quote

import jwt
import requests

from orcid_pyramid.emulator import seed

from .api_helpers import work
from .browser import query_of

CLIENT, SECRET = seed.DEMO_CLIENT_ID, seed.DEMO_CLIENT_SECRET
REDIRECT = "http://127.0.0.1:9/callback"


def test_put_without_a_body_put_code_says_null(api):
    """9019 names the missing put code as Java prints it: ``null``, not ``None``."""
    put_code = api.create("work", work())
    message = api.put(f"work/{put_code}", work(), status=400).json["developer-message"]
    assert message.endswith(f"The put code in the URL was {put_code} whereas the one in the "
                            "body was null.")


def test_userinfo_names_the_invalid_token(emulator):
    """userinfo's invalid_token description names the token, as the API's does."""
    answer = requests.get(emulator.base_url + "/oauth/userinfo", timeout=10,
                          headers={"Authorization": "Bearer not-a-token"})
    assert answer.status_code == 401
    assert answer.json() == {"error": "invalid_token",
                             "error_description": "Invalid access token: not-a-token"}


def test_webhook_registration_names_the_invalid_token(emulator):
    """The webhook endpoint's invalid_token description names the token too."""
    url = (f"{emulator.api_url}/{seed.DEMO_ORCID}/webhook/"
           f"{quote('https://site.example/hook', safe='')}")
    answer = requests.put(url, timeout=10, headers={"Authorization": "Bearer not-a-token"})
    assert answer.status_code == 401
    assert answer.json() == {"error": "invalid_token",
                             "error_description": "Invalid access token: not-a-token"}


def test_premium_member_asking_webhook_at_authorize_is_not_called_a_public_client(emulator):
    """/webhook is a client-credentials scope: at authorize a premium member gets invalid_scope,
    without being told it is a public API client; a public client asking a member scope is."""
    emulator.control.add_client("APP-PREMIUMMEMBER001", "p", member=True, premium=True)
    emulator.control.add_client("APP-PUBLICCLIENT0009", "q", member=False)
    answers = {}
    for client, scope in (("APP-PREMIUMMEMBER001", "/webhook"),
                          ("APP-PUBLICCLIENT0009", "/read-limited")):
        location = requests.get(emulator.base_url + "/oauth/authorize", allow_redirects=False,
                                timeout=10, params={"client_id": client, "scope": scope,
                                                    "response_type": "code",
                                                    "redirect_uri": REDIRECT}
                                ).headers["Location"]
        answers[client] = query_of(location)
    premium = answers["APP-PREMIUMMEMBER001"]
    assert premium["error"] == "invalid_scope"
    assert premium["error_description"] == "Invalid scope: /webhook"
    assert "public API clients" in answers["APP-PUBLICCLIENT0009"]["error_description"]


def test_id_token_header_is_kid_and_alg_only(emulator):
    """The id_token's JOSE header as ORCID's: the key's kid and alg RS256, no ``typ``."""
    location = emulator.control.authorize(seed.DEMO_ORCID, CLIENT, "openid", REDIRECT)
    answer = requests.post(emulator.base_url + "/oauth/token", timeout=10, data={
        "client_id": CLIENT, "client_secret": SECRET, "grant_type": "authorization_code",
        "code": query_of(location)["code"], "redirect_uri": REDIRECT}).json()
    header = jwt.get_unverified_header(answer["id_token"])
    assert set(header) == {"kid", "alg"} and header["alg"] == "RS256" and header["kid"]
