"""Scopes at the token endpoint and at authorize: which refusals are 400 and which 401
(orcid-facts/scopes.md#refusals)."""

from __future__ import annotations

import requests

from orcid_pyramid.emulator import seed

CLIENT, SECRET = seed.DEMO_CLIENT_ID, seed.DEMO_CLIENT_SECRET


def _client_credentials(emulator, scope, client=CLIENT, secret=SECRET):
    return requests.post(emulator.base_url + "/oauth/token", timeout=10,
                         data={"client_id": client, "client_secret": secret,
                               "grant_type": "client_credentials", "scope": scope})


def test_unknown_scope_is_401_invalid_scope(emulator):
    """An unknown scope (``/web-hook``) or an internal one answers 401 invalid_scope."""
    for scope in ("/web-hook", "/orcid-profile/create", "/read-public /no-such-scope"):
        answer = _client_credentials(emulator, scope)
        assert answer.status_code == 401, scope
        assert answer.json()["error"] == "invalid_scope", scope


def test_client_credentials_with_only_unavailable_scopes_is_401(emulator):
    """A member asking only three-legged scopes on client_credentials: every scope is dropped,
    nothing is left to grant: 401 invalid_scope."""
    answer = _client_credentials(emulator, "/activities/update /read-limited")
    assert answer.status_code == 401 and answer.json()["error"] == "invalid_scope"


def test_scope_the_client_may_not_have_stays_400(emulator):
    """A public client asking a member scope, or a basic member asking /webhook: 400."""
    emulator.control.add_client("APP-PUBLICCLIENT0001", "p", member=False)
    public = _client_credentials(emulator, "/read-limited", "APP-PUBLICCLIENT0001", "p")
    assert public.status_code == 400 and public.json()["error"] == "invalid_scope"
    emulator.control.add_client("APP-BASICMEMBER00002", "b", member=True, premium=False)
    basic = _client_credentials(emulator, "/webhook", "APP-BASICMEMBER00002", "b")
    assert basic.status_code == 400 and basic.json()["error"] == "invalid_scope"
