"""Third-party ORCID clients work against the emulator unchanged (issue item 11).

requests-oauthlib's ``OAuth2Session`` (the library our own client builds on) and the PyPI
``orcid`` package (python-orcid 1.0.3, the most-used Python ORCID client). python-orcid has no
base-URL option: its endpoints are private attributes set in the constructor and its API
version is a module constant (``/v2.0``), so the test points them at the emulator and
``/v3.0`` (notes/toolchain.md).
"""

from __future__ import annotations

import orcid
import orcid.orcid
import pytest
from requests_oauthlib import OAuth2Session

from orcid_pyramid.emulator import seed

from .browser import FormBrowser, query_of

REDIRECT = "http://127.0.0.1:9/callback"
WORK = {"title": {"title": {"value": "Reference client work"}}, "type": "journal-article",
        "external-ids": {"external-id": [{"external-id-type": "doi",
                                          "external-id-value": "10.5555/ref-client",
                                          "external-id-relationship": "self"}]}}


@pytest.fixture(autouse=True)
def _loopback_http(monkeypatch):
    """oauthlib refuses http:// token URLs unless told the transport is trusted (loopback)."""
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")


def _sign_in_and_approve(url: str) -> str:
    browser = FormBrowser()
    browser.get(url)
    browser.submit("signin-form", username=seed.DEMO_EMAIL, password=seed.DEMO_PASSWORD)
    return browser.submit("consent-form", "authorize-button").headers["Location"]


def test_requests_oauthlib_session_logs_in_refreshes_and_calls_the_api(emulator):
    """OAuth2Session: authorization_url → browser → fetch_token → API → refresh_token."""
    oauth = OAuth2Session(seed.DEMO_CLIENT_ID, redirect_uri=REDIRECT,
                          scope=["/read-limited", "/activities/update"])
    url, _ = oauth.authorization_url(emulator.base_url + "/oauth/authorize")
    location = _sign_in_and_approve(url)
    token = oauth.fetch_token(emulator.base_url + "/oauth/token",
                              authorization_response=location,
                              client_secret=seed.DEMO_CLIENT_SECRET, include_client_id=True)
    works = oauth.get(f"{emulator.api_url}/v3.0/{token['orcid']}/works",
                      headers={"Accept": "application/json"}, timeout=10)
    fresh = oauth.refresh_token(emulator.base_url + "/oauth/token",
                                client_id=seed.DEMO_CLIENT_ID,
                                client_secret=seed.DEMO_CLIENT_SECRET,
                                include_client_id=True, revoke_old="false")
    again = oauth.get(f"{emulator.api_url}/v3.0/{token['orcid']}/works",
                      headers={"Accept": "application/json"}, timeout=10)
    assert works.status_code == 200 and "group" in works.json()
    assert fresh["access_token"] != token["access_token"]
    assert again.status_code == 200


@pytest.fixture
def python_orcid(emulator, monkeypatch):
    """python-orcid's MemberAPI pointed at the emulator (root token URL, /v3.0)."""
    monkeypatch.setattr(orcid.orcid, "VERSION", "/v3.0")
    api = orcid.MemberAPI(seed.DEMO_CLIENT_ID, seed.DEMO_CLIENT_SECRET, sandbox=True,
                          timeout=10)
    api._login_or_register_endpoint = emulator.base_url + "/oauth/authorize"
    api._token_url = emulator.base_url + "/oauth/token"
    api._endpoint = emulator.api_url
    return api


def test_python_orcid_exchanges_a_code_and_manages_a_work(emulator, python_orcid):
    """python-orcid: login URL with pre-fill, code exchange, add/read/update/remove a work."""
    url = python_orcid.get_login_url(["/read-limited", "/activities/update"], REDIRECT,
                                     state="po-1", email=seed.DEMO_EMAIL, lang="en")
    location = _sign_in_and_approve(url)
    assert query_of(location)["state"] == "po-1"
    token = python_orcid.get_token_from_authorization_code(query_of(location)["code"],
                                                           REDIRECT)
    orcid_id, access = token["orcid"], token["access_token"]
    put_code = python_orcid.add_record(orcid_id, access, "work", dict(WORK))
    read = python_orcid.read_record_member(orcid_id, "work", access, put_code=put_code)
    changed = dict(read, title={"title": {"value": "Reference client work, revised"}})
    python_orcid.update_record(orcid_id, access, "work", changed, put_code)
    revised = python_orcid.read_record_member(orcid_id, "work", access, put_code=put_code)
    python_orcid.remove_record(orcid_id, access, "work", put_code)
    works = python_orcid.read_record_member(orcid_id, "works", access)
    assert orcid_id == seed.DEMO_ORCID and put_code.isdigit()
    assert read["title"]["title"]["value"] == "Reference client work"
    assert revised["title"]["title"]["value"] == "Reference client work, revised"
    assert works["group"] == []
    calls = [(c["method"], c["host"]) for c in emulator.control.calls()
             if "/v3.0/" in c["path"] or c["path"].endswith("/oauth/token")]
    assert ("POST", "root") in calls and ("DELETE", "api") in calls
