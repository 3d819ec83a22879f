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


LEGACY = ["/orcid-bio/update", "/orcid-works/create", "/orcid-works/update",
          "/affiliations/create", "/affiliations/update", "/funding/create", "/funding/update",
          "/orcid-profile/read-limited"]


def test_legacy_scopes_are_accepted_at_authorize(emulator):
    """ORCID still accepts the 1.2-era scopes at /oauth/authorize: the consent page, not an
    invalid_scope redirect."""
    for scope in LEGACY:
        answer = requests.get(emulator.base_url + "/oauth/authorize", allow_redirects=False,
                              timeout=10, params={"client_id": CLIENT, "response_type": "code",
                                                  "scope": scope,
                                                  "redirect_uri": "http://127.0.0.1:9/cb"})
        assert answer.status_code in (200, 302), scope
        assert "error=" not in answer.headers.get("Location", ""), scope


def _legacy_api(web, emulator, scope):
    from .api_helpers import Api, token_for

    return Api(web, token_for(web, emulator.control, scope))


def test_legacy_write_scopes_write_their_own_sections(web, emulator):
    """Each 1.2-era write scope works on v3.0 as its v3.0 equivalent: works, affiliations,
    fundings, person sections; other sections still answer 403/9038."""
    from .api_helpers import PERSON_ITEMS, affiliation, funding, work

    works = _legacy_api(web, emulator, "/orcid-works/create")
    put_code = works.create("work", work())
    works.put(f"work/{put_code}", work("Changed", **{"put-code": put_code}))
    works.delete(f"work/{put_code}")
    assert works.post("employment", affiliation(), status=403).json["error-code"] == 9038
    affiliations = _legacy_api(web, emulator, "/affiliations/update")
    affiliations.create("education", affiliation())
    assert affiliations.post("work", work(doi="10.1/a"), status=403).json["error-code"] == 9038
    fundings = _legacy_api(web, emulator, "/funding/create")
    fundings.create("funding", funding())
    assert fundings.post("keywords", PERSON_ITEMS["keywords"],
                         status=403).json["error-code"] == 9038
    bio = _legacy_api(web, emulator, "/orcid-bio/update")
    bio.create("keywords", PERSON_ITEMS["keywords"])
    assert bio.post("work", work(doi="10.1/b"), status=403).json["error-code"] == 9038


def test_legacy_read_limited_scope_reads_limited_items(web, emulator, other_api):
    """/orcid-profile/read-limited reads as /read-limited: limited items of other sources."""
    from .api_helpers import work

    put_code = other_api.create("work", work(doi="10.1/lim", visibility="limited"))
    reader = _legacy_api(web, emulator, "/orcid-profile/read-limited")
    assert reader.get(f"work/{put_code}").json["visibility"] == "limited"
