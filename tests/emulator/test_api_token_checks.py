"""The member API's bearer-token checks: why a token was revoked decides whether DELETE still
works, and the token is checked before anything else (orcid-facts/errors.md#bearer-tokens)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from .api_helpers import ALL_SCOPES, CLIENT, ORCID, REDIRECT, SECRET, Api, work


def _exchange(web, code: str, status: int = 200):
    return web.post("/oauth/token", {"client_id": CLIENT, "client_secret": SECRET,
                                     "grant_type": "authorization_code", "code": code,
                                     "redirect_uri": REDIRECT},
                    headers={"Accept": "application/json"}, status=status)


def _revoked_description(token: str, reason: str) -> dict:
    return {"error": "invalid_token",
            "error_description": f"Invalid access token: {token}, revoke reason: {reason}"}


def test_token_revoked_by_the_client_cannot_delete(api, web):
    """A token the client revoked at /oauth/revoke gets 401 invalid_token on every call,
    DELETE included, naming the revoke reason CLIENT_REVOKED."""
    put_code = api.create("work", work())
    web.post("/oauth/revoke", {"client_id": CLIENT, "client_secret": SECRET,
                               "token": api.token})
    assert api.get("works", status=401).json == _revoked_description(api.token,
                                                                     "CLIENT_REVOKED")
    api.put(f"work/{put_code}", work(**{"put-code": put_code}), status=401)
    answer = api.delete(f"work/{put_code}", status=401)
    assert answer.json == _revoked_description(api.token, "CLIENT_REVOKED")
    assert answer.headers["WWW-Authenticate"].startswith("Bearer")


def test_token_revoked_by_code_reuse_cannot_delete(web, emulator):
    """Reusing the authorization code revokes its token with reason AUTH_CODE_REUSED: 401 on
    every call, DELETE included."""
    redirect = emulator.control.authorize(ORCID, CLIENT, ALL_SCOPES, REDIRECT)
    code = parse_qs(urlsplit(redirect).query)["code"][0]
    api = Api(web, _exchange(web, code).json["access_token"])
    put_code = api.create("work", work())
    _exchange(web, code, status=400)
    assert api.delete(f"work/{put_code}", status=401).json == _revoked_description(
        api.token, "AUTH_CODE_REUSED")
    api.post("work", work(doi="10.1/other"), status=401)


def test_token_revoked_by_the_researcher_still_deletes_but_names_the_reason(api, emulator):
    """Only a researcher's revocation (trusted parties page) lets DELETE through; every other
    call names USER_REVOKED."""
    put_code = api.create("work", work())
    assert emulator.control.revoke(ORCID, CLIENT) >= 1
    assert api.get("works", status=401).json == _revoked_description(api.token, "USER_REVOKED")
    api.delete(f"work/{put_code}", status=204)
