"""The audit's proxy: ORCID's host names reach the emulator over HTTPS (the emulator's own
certificate, trusted through the CA file alone); nothing else is let through."""

from __future__ import annotations

import socket

import pytest
import requests

from orcid_pyramid.compliance.audit.proxy import OrcidHostProxy
from orcid_pyramid.compliance.fixtures.emulator import process_ca


@pytest.fixture
def proxy(emulator):
    started = OrcidHostProxy(("127.0.0.1", emulator.front.port)).start()
    yield started
    started.stop()


def _session(proxy) -> requests.Session:
    session = requests.Session()
    session.trust_env = False
    session.verify = str(process_ca().ca_file)
    session.proxies = {"https": proxy.url, "http": proxy.url}
    return session


@pytest.mark.parametrize(("host", "kind", "path"), [
    ("sandbox.orcid.org", "root", "/userStatus.json"),
    ("api.sandbox.orcid.org", "api", "/v3.0/0000-0002-1825-0097/record"),
    ("pub.sandbox.orcid.org", "pub", "/v3.0/0000-0002-1825-0097/record")])
def test_orcid_host_names_reach_the_emulator_over_https(emulator, proxy, host, kind, path):
    with _session(proxy) as session:
        response = session.get(f"https://{host}{path}", timeout=10)
    assert response.status_code in (200, 401, 403, 404)
    last = [c for c in emulator.control.calls() if not c["path"].startswith("/_emulator")][-1]
    assert (last["host"], last["scheme"], last["path"]) == (kind, "https", path)


@pytest.mark.parametrize("target", ["example.org:443", "sandbox.orcid.org:80",
                                    "127.0.0.1:22", "evil-orcid.org:443"])
def test_anything_but_orcids_names_on_443_is_refused(proxy, target):
    with socket.create_connection(("127.0.0.1", proxy.port), timeout=5) as sock:
        sock.sendall(f"CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n\r\n".encode())
        answer = sock.recv(200)
    assert answer.startswith(b"HTTP/1.1 403")
    assert proxy.refused == [f"CONNECT {target}"]


def test_plain_http_through_the_proxy_is_refused(proxy):
    with socket.create_connection(("127.0.0.1", proxy.port), timeout=5) as sock:
        sock.sendall(b"GET http://sandbox.orcid.org/ HTTP/1.1\r\nHost: sandbox.orcid.org\r\n\r\n")
        assert sock.recv(200).startswith(b"HTTP/1.1 403")
