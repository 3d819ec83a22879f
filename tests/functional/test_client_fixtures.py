"""Shared fixtures for the client's functional tests (the real client over HTTP to the emulator).

Other ``test_client_*`` modules import these fixtures by name. This module holds no tests.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from orcid_pyramid.client import Endpoints, OrcidClient

DEMO_CLIENT_ID = "APP-DEMOCLIENT000001"
DEMO_CLIENT_SECRET = "demo-client-secret"
DEMO_ORCID = "0000-0002-1825-0097"
REDIRECT_URI = "http://127.0.0.1:9/orcid/callback"
MEMBER_SCOPES = "/read-limited /activities/update /person/update"


def make_work(doi: str = "10.1087/20120404", title: str = "Work Title") -> dict:
    """A minimal valid v3.0 work (api-facts §5.1)."""
    return {
        "title": {"title": {"value": title}},
        "type": "journal-article",
        "external-ids": {"external-id": [{
            "external-id-type": "doi",
            "external-id-value": doi,
            "external-id-url": {"value": f"https://doi.org/{doi}"},
            "external-id-relationship": "self",
        }]},
    }


def make_employment(role: str = "Professor") -> dict:
    """A minimal employment with a disambiguated organisation (api-facts §5.2)."""
    return {
        "role-title": role,
        "start-date": {"year": {"value": "2021"}, "month": {"value": "01"}},
        "organization": {
            "name": "Boston University",
            "address": {"city": "Boston", "region": "Massachusetts", "country": "US"},
            "disambiguated-organization": {
                "disambiguated-organization-identifier": "https://ror.org/05qwgg493",
                "disambiguation-source": "ROR",
            },
        },
    }


@pytest.fixture
def endpoints(emulator):
    """The emulator's endpoints, exactly as the add-on derives them."""
    return Endpoints.for_environment("emulator", base_url=emulator.base_url)


@pytest.fixture
def records():
    """Every CallRecord the test's clients produced."""
    return []


@pytest.fixture
def client(endpoints, records):
    """The demo member+premium client, recording every call."""
    return OrcidClient(endpoints, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, redirect_uri=REDIRECT_URI,
                       call_sink=records.append, timeout=5.0)


@pytest.fixture
def authorize(emulator):
    """``authorize(scope, orcid=..., nonce=...) -> code`` through /_emulator/authorize."""

    def run(scope=MEMBER_SCOPES, *, orcid=DEMO_ORCID, client_id=DEMO_CLIENT_ID, nonce=None,
            redirect_uri=REDIRECT_URI, state="state-1"):
        redirect = emulator.control.authorize(orcid, client_id, scope, redirect_uri,
                                              state=state, nonce=nonce)
        query = parse_qs(urlsplit(redirect).query)
        assert query["state"] == [state]
        return query["code"][0]

    return run


@pytest.fixture
def connect(client, authorize):
    """``connect(scope, ...) -> TokenResponse``: the full code flow for a user."""

    def run(scope=MEMBER_SCOPES, *, via=None, **kwargs):
        code = authorize(scope, **kwargs)
        return (via or client).exchange_code(code)

    return run


@pytest.fixture
def member(client, connect):
    """The demo researcher's member API with a fresh token."""
    token = connect()
    return client.member(token.access_token, token.orcid, log_context={"user_id": "u-1"})


@pytest.fixture
def other_client(emulator, endpoints, records):
    """A second member client registered in the emulator (another source)."""
    emulator.control.add_client(client_id="APP-OTHERCLIENT00001",
                                client_secret="other-client-secret-1", member=True)
    return OrcidClient(endpoints, "APP-OTHERCLIENT00001", "other-client-secret-1",
                       redirect_uri=REDIRECT_URI, call_sink=records.append, timeout=5.0)
