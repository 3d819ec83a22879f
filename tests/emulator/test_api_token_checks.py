"""The member API's bearer-token checks: why a token was revoked decides whether DELETE still
works, and the token is checked before anything else (orcid-facts/errors.md#bearer-tokens)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from .api_helpers import ALL_SCOPES, CLIENT, JSON, ORCID, REDIRECT, SECRET, Api, work


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


def _dead_tokens(web, emulator) -> dict:
    """One unknown, one expired and one client-revoked token of the demo client."""
    from .api_helpers import token_for

    expired = token_for(web, emulator.control, ALL_SCOPES)
    with emulator.state.lock:
        emulator.state.tokens[expired].expires_at = emulator.state.now() - 1
    revoked = token_for(web, emulator.control, ALL_SCOPES)
    web.post("/oauth/revoke", {"client_id": CLIENT, "client_secret": SECRET, "token": revoked})
    return {"unknown": "not-a-token", "expired": expired, "revoked": revoked}


@pytest.mark.parametrize("orcid,path,method", [
    ("0000-0002-1694-233X", "works", "GET"),      # unknown record (was 404/9016)
    (ORCID, "nonsense", "GET"),                   # unknown section (was 404/9001)
    (ORCID, "works", "DELETE"),                   # unknown method (was 405/9001)
    ("not-an-orcid", "works", "GET"),             # not an iD (was 404/9001)
    (ORCID, "work/123456", "DELETE"),             # unknown put code (was 404/9016)
])
def test_dead_token_is_401_before_routing(web, emulator, orcid, path, method):
    """A dead token gets 401 invalid_token whatever the path: the token is checked first."""
    for kind, token in _dead_tokens(web, emulator).items():
        answer = web.request(f"/api/v3.0/{orcid}/{path}", method=method, status=401,
                             headers={"Authorization": f"Bearer {token}", "Accept": JSON})
        assert answer.json["error"] == "invalid_token", kind


@pytest.mark.parametrize("change", [{"locked": True}, {"deactivated": True},
                                    {"deprecated_to": "0000-0001-5109-3700"}])
def test_dead_token_is_401_before_the_record_state(web, emulator, change):
    """Locked, deactivated or deprecated records answer 409/301 to a live token only."""
    dead = _dead_tokens(web, emulator)
    with emulator.state.lock:
        for name, value in change.items():
            setattr(emulator.state.records[ORCID], name, value)
    for kind, token in dead.items():
        assert Api(web, token).get("works", status=401).json["error"] == "invalid_token", kind


def test_missing_token_on_the_member_api_is_refused_before_routing(web):
    """No token at all on the member API: refused (403, as in ORCID's tests) before routing,
    so an unknown record or section does not answer 404 first."""
    anonymous = Api(web, None, orcid="0000-0002-1694-233X")
    assert anonymous.get("works", status=403).json["response-code"] == 403
    assert Api(web, None).get("nonsense", status=403).json["response-code"] == 403


def test_dead_token_is_401_before_content_negotiation(web):
    """An Accept nothing matches still gets the token's 401 first (security runs before the
    resource)."""
    answer = web.get(f"/api/v3.0/{ORCID}/works", status=401,
                     headers={"Authorization": "Bearer not-a-token", "Accept": "text/html"})
    assert answer.json["error"] == "invalid_token"
