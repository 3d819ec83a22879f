"""HTTPS: ``orcid-pyramid emulator --tls`` serves every host over TLS with a throwaway local CA
(docs/orcid-facts/hosts.md), and tells ORCID's three hosts apart by name."""

from __future__ import annotations

import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner
from cryptography import x509

from orcid_pyramid.cli.emulator import emulator as emulator_command
from orcid_pyramid.compliance.browser import NO_CHROMIUM, chromium_path
from orcid_pyramid.emulator import seed

WORKS = f"/v3.0/{seed.DEMO_ORCID}/works"


@pytest.fixture
def tls_process(tmp_path):
    """``orcid-pyramid emulator --tls`` as a real process; yields (base URL, CA dir, output)."""
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    env.pop("REQUESTS_CA_BUNDLE", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "orcid_pyramid", "emulator", "--port", "0", "--tls",
         "--tls-dir", str(tmp_path / "ca")],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
    try:
        lines = [process.stdout.readline() for _ in range(11)]
        match = re.search(r"at (https://127\.0\.0\.1:\d+)", lines[0])
        assert match, lines
        yield match.group(1), tmp_path / "ca", "".join(lines)
    finally:
        process.terminate()
        process.wait(10)
        process.stdout.close()


@pytest.mark.subprocess
def test_the_tls_command_serves_https_that_only_its_local_ca_vouches_for(tls_process):
    """A client trusting the printed CA file gets the discovery document, whose every URL is
    https; a client trusting only the usual authorities refuses the certificate; plain http to
    the same port gets no HTTP answer at all."""
    base, ca_dir, printed = tls_process
    ca_file = ca_dir / "ca.pem"
    assert f"REQUESTS_CA_BUNDLE={ca_file}" in printed
    assert "--ignore-certificate-errors-spki-list=" in printed
    doc = requests.get(base + "/.well-known/openid-configuration", verify=str(ca_file),
                       timeout=10).json()
    assert doc["issuer"] == base
    assert all(value.startswith(base) for key, value in doc.items()
               if key.endswith("_endpoint") or key == "jwks_uri"), doc
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(base + "/.well-known/openid-configuration", verify=True, timeout=10)
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.get(base.replace("https:", "http:") + "/userStatus.json", timeout=10)


@pytest.mark.subprocess
def test_the_hosts_are_told_apart_by_name_as_at_orcid(tls_process):
    """``api.`` names the member API (a token is required), ``pub.`` the public API (read
    without one), any other name the registry; on 127.0.0.1 the path prefixes still work."""
    base, ca_dir, _ = tls_process
    verify = str(ca_dir / "ca.pem")

    def get(path: str, host: str | None = None) -> requests.Response:
        headers = {"Accept": "application/json"}
        if host:
            headers["Host"] = host
        return requests.get(base + path, headers=headers, verify=verify, timeout=10)

    assert get(WORKS, "api.sandbox.orcid.org").status_code in (401, 403)
    assert get(WORKS, "pub.sandbox.orcid.org").status_code == 200
    assert get("/userStatus.json", "sandbox.orcid.org").json() == {"loggedIn": False}
    assert get("/pub" + WORKS).status_code == 200
    assert get("/api" + WORKS).status_code in (401, 403)


def test_the_local_ca_signs_a_certificate_for_loopback_and_orcids_names(tmp_path):
    """The CA is a CA (and nothing else may be signed below it); the server certificate names
    loopback and ORCID's three sandbox hosts; the key files are readable by their owner only."""
    result = CliRunner().invoke(emulator_command, ["--tls-dir", str(tmp_path)])
    assert result.exit_code == 2 and "--tls-dir needs --tls" in result.output
    from orcid_pyramid.emulator.serve import make_local_ca

    ca = make_local_ca(tmp_path / "ca")
    ca_cert = x509.load_pem_x509_certificate(ca.ca_file.read_bytes())
    server = x509.load_pem_x509_certificates(ca.cert_file.read_bytes())[0]
    basic = ca_cert.extensions.get_extension_for_class(x509.BasicConstraints).value
    assert basic.ca and basic.path_length == 0
    names = server.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    dns = set(names.get_values_for_type(x509.DNSName))
    assert {"localhost", "sandbox.orcid.org", "api.sandbox.orcid.org",
            "pub.sandbox.orcid.org"} <= dns
    assert {str(ip) for ip in names.get_values_for_type(x509.IPAddress)} >= {"127.0.0.1"}
    assert server.issuer == ca_cert.subject
    for path in (ca.key_file, ca.cert_file, ca.ca_file):
        assert stat.S_IMODE(Path(path).stat().st_mode) == 0o600


def test_the_test_emulator_is_https_and_faults_still_cut_the_connection(emulator):
    """The suite's own emulator serves HTTPS, records the scheme of each request, and its
    ``reset`` fault still drops the connection through the TLS front."""
    assert emulator.base_url.startswith("https://127.0.0.1:")
    response = requests.get(emulator.pub_url + WORKS, headers={"Accept": "application/json"},
                            timeout=10)
    assert response.status_code == 200
    assert emulator.control.calls()[-1]["scheme"] == "https"
    emulator.control.set_faults(rate=1, kinds=["reset"], seed=1)
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.get(emulator.pub_url + WORKS, headers={"Accept": "application/json"},
                     timeout=10)


@pytest.mark.browser
def test_chromium_trusts_the_local_ca_only_with_its_key_hash(emulator):
    """Chromium opens the emulator's sign-in page when given the CA's key hash, and refuses
    the certificate without it: the trust is this CA's, not an "ignore errors" switch."""
    if chromium_path() is None:
        pytest.skip(NO_CHROMIUM)
    from playwright.sync_api import Error

    from orcid_pyramid.compliance.browser import launch_chromium

    url = emulator.base_url + "/"
    for trust, ok in ((False, False), (True, True)):
        with launch_chromium(trust_local_ca=trust) as browser:
            page = browser.new_page()
            if ok:
                assert page.goto(url).status == 200
            else:
                with pytest.raises(Error, match="ERR_CERT_AUTHORITY_INVALID"):
                    page.goto(url)


@pytest.mark.browser
def test_two_browsers_can_be_open_at_once_in_one_process():
    """The suite's session browser stays open while a test launches its own (features and
    the browser tests share xdist workers); Playwright's sync API allows one driver per
    thread, so both come from the process's one driver (failed before: "Sync API inside the
    asyncio loop")."""
    if chromium_path() is None:
        pytest.skip(NO_CHROMIUM)
    from orcid_pyramid.compliance.browser import launch_chromium

    with launch_chromium() as first, launch_chromium() as second:
        assert first.is_connected() and second.is_connected()
        assert first.new_page().evaluate("1 + 1") == 2
        assert second.new_page().evaluate("2 + 2") == 4


@pytest.mark.subprocess
def test_the_control_clients_ca_file_wins_over_requests_ca_bundle(tls_process, monkeypatch):
    """``EmulatorControl(verify=CA file)`` trusts that CA even where ``REQUESTS_CA_BUNDLE``
    names another bundle (requests prefers the variable to a session's own ``verify``).
    Fails on main: SSLError, certificate verify failed."""
    import certifi

    from orcid_pyramid.emulator.control_client import EmulatorControl

    base, ca_dir, _ = tls_process
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", certifi.where())
    control = EmulatorControl(base, verify=str(ca_dir / "ca.pem"))
    assert any(c["client_id"] == seed.DEMO_CLIENT_ID for c in control.clients())
