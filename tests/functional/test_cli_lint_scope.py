"""The lint covers what it claims, shown through ``orcid-pyramid check`` and the site's start:
the emulator environment talks only to this machine; outside it the redirect URI is
configured (and linted), never built from the request's Host header."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from pyramid.exceptions import ConfigurationError

from orcid_pyramid.cli import main
from orcid_pyramid.crypto import generate_key
from tests.functional.test_cli_db import write_ini

BASE = {
    "orcid.client_id": "APP-NPXKK6HFN6TJ4YYI",
    "orcid.client_secret": "secret",
    "orcid.support_email": "support@example.org",
    "orcid.token_key": generate_key(),
    "sqlalchemy.url": "sqlite://",
}


def check(tmp_path, **settings):
    return CliRunner().invoke(main, ["check", write_ini(tmp_path, **{**BASE, **settings})],
                              catch_exceptions=False)


@pytest.mark.parametrize(("key", "url"), [
    ("orcid.base_url", "https://orcid.org"),
    ("orcid.api_url", "https://api.orcid.org"),
    ("orcid.redirect_uri", "https://demo.example.org/orcid/callback"),
])
def test_the_emulator_environment_accepts_only_loopback_urls(tmp_path, key, url):
    """Fails on main: check said OK for the emulator environment with https://orcid.org (and
    tokens were then encrypted with a key derived from the public client id)."""
    result = check(tmp_path, **{"orcid.environment": "emulator", key: url})
    assert result.exit_code == 1
    assert f"{key}: {url} is not on this machine" in result.output
    assert "only loopback URLs" in result.output


def test_the_emulator_on_loopback_is_fine(tmp_path):
    result = check(tmp_path, **{"orcid.environment": "emulator",
                                "orcid.base_url": "http://127.0.0.1:8765",
                                "orcid.api_url": "http://localhost:8765/api"})
    assert (result.exit_code, result.output) == (0, "OK\n")


@pytest.mark.parametrize("environment", ["sandbox", "production"])
def test_outside_the_emulator_the_redirect_uri_is_required(tmp_path, environment):
    """Fails on main: without it check said OK and the callback URL came from the Host
    header (an http://attacker.example/... redirect URI was sent in production)."""
    result = check(tmp_path, **{"orcid.environment": environment})
    assert result.exit_code == 1
    assert result.output.startswith("orcid.redirect_uri: is required outside the emulator")
    configured = check(tmp_path, **{"orcid.environment": environment,
                                    "orcid.redirect_uri": "https://site.example.org/orcid/cb"})
    assert (configured.exit_code, configured.output) == (0, "OK\n")


def test_a_configured_redirect_uri_is_linted(tmp_path):
    result = check(tmp_path, **{"orcid.redirect_uri": "http://site.example.org/orcid/cb"})
    assert result.exit_code == 1 and "orcid.redirect_uri: http://site.example.org" in result.output


def test_the_site_does_not_start_without_a_redirect_uri_outside_the_emulator(app_settings):
    """The startup lint (config.include) refuses what check refuses."""
    from orcid_pyramid.demo import main as demo_main

    settings = {**app_settings, "orcid.environment": "sandbox", "orcid.base_url": "",
                "orcid.api_url": ""}
    with pytest.raises(ConfigurationError) as err:
        demo_main({}, **settings)
    assert "orcid.redirect_uri: is required outside the emulator" in str(err.value)
