"""New HTTPS connections share the process's TLS context for their CA bundle (issue 13).

requests hands each new connection the CA bundle's path and urllib3 parses the whole bundle
for it: with certifi's, the default, 18.7 ms of CPU a connection against 3.8 ms shared, so a
first push whose 50 threads open a connection each spent 0.93 s of CPU on it
(``bench_tls_connect.py``). Shown
through real clients over HTTPS to the emulator: the bundle is parsed once for many clients,
and verification is as strict as before (a bundle that does not vouch for the server is
refused).
"""

from __future__ import annotations

import ssl

import pytest
import requests

from orcid_pyramid.client import OrcidClient, build_session
from tests.functional.client.support import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, REDIRECT_URI

CLIENTS = 6


@pytest.fixture
def loads(monkeypatch):
    """Every CA bundle a TLS context parsed during the test (the standard library's
    ``SSLContext.load_verify_locations``, counted, not replaced)."""
    seen: list = []
    original = ssl.SSLContext.load_verify_locations

    def counted(self, cafile=None, capath=None, cadata=None):
        seen.append(cafile or capath or "data")
        return original(self, cafile, capath, cadata)

    monkeypatch.setattr(ssl.SSLContext, "load_verify_locations", counted)
    return seen


def test_many_clients_parse_the_ca_bundle_once(emulator, endpoints, loads):
    if not emulator.base_url.startswith("https"):
        pytest.skip("the emulator serves plain HTTP here (ORCID_EMULATOR_TLS=0)")
    clients = [OrcidClient(endpoints, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET,
                           redirect_uri=REDIRECT_URI, timeout=5.0) for _ in range(CLIENTS)]
    for client in clients:  # each on its own session, so each opens its own connection
        assert client.client_credentials("/read-public").access_token
    # before: one parse per client's connection (6)
    assert len(loads) <= 1, loads


def test_a_bundle_that_does_not_vouch_for_the_server_is_still_refused(emulator, loads):
    if not emulator.base_url.startswith("https"):
        pytest.skip("the emulator serves plain HTTP here (ORCID_EMULATOR_TLS=0)")
    import certifi  # requests' own default bundle: public CAs, not the emulator's local CA

    session = build_session(5.0)
    with pytest.raises(requests.exceptions.SSLError):
        session.get(emulator.base_url + "/_emulator/faults", verify=certifi.where())
    # and twice: the shared context for that bundle refuses again, and so does a new one
    with pytest.raises(requests.exceptions.SSLError):
        build_session(5.0).get(emulator.base_url + "/_emulator/faults",
                               verify=certifi.where())
    # the emulator's own bundle (the tests trust it through REQUESTS_CA_BUNDLE) is accepted
    assert build_session(5.0).get(emulator.base_url + "/_emulator/faults").ok
