"""Shared fixtures for the client's functional tests (the real client over HTTP to the emulator).

Values and helpers are in ``support.py``.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from orcid_pyramid.client import Endpoints, OrcidClient
from tests.functional.client.support import (  # noqa: F401
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    DEMO_ORCID,
    MEMBER_SCOPES,
    REDIRECT_URI,
    make_employment,
    make_work,
)


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
