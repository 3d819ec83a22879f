"""ORCID endpoint URLs: root token URI (DM-3), /v3.0 API base (REV-1), webhook encoding."""

import pytest

from orcid_pyramid.client import Endpoints, OrcidUsageError


def test_sandbox_endpoints_use_the_root_host_for_tokens_and_v3_for_the_api():
    ep = Endpoints.for_environment("sandbox")
    assert ep.token_url == "https://sandbox.orcid.org/oauth/token"
    assert ep.authorize_url == "https://sandbox.orcid.org/oauth/authorize"
    assert ep.revoke_url == "https://sandbox.orcid.org/oauth/revoke"
    assert ep.userinfo_url == "https://sandbox.orcid.org/oauth/userinfo"
    assert ep.jwks_url == "https://sandbox.orcid.org/oauth/jwks"
    assert ep.logout_url == "https://sandbox.orcid.org/userStatus.json?logUserOut=true"
    assert ep.signout_url == "https://sandbox.orcid.org/signout"
    assert ep.issuer == "https://sandbox.orcid.org"
    assert ep.api_base == "https://api.sandbox.orcid.org/v3.0"
    assert ep.is_https and not ep.is_loopback


def test_production_endpoints():
    ep = Endpoints.for_environment("production")
    assert ep.token_url == "https://orcid.org/oauth/token"
    assert ep.api_base == "https://api.orcid.org/v3.0"
    assert ep.record_url("0000-0002-1825-0097") == "https://orcid.org/0000-0002-1825-0097"


def test_emulator_environment_derives_the_api_host_under_slash_api():
    ep = Endpoints.for_environment("emulator", base_url="http://127.0.0.1:8765/")
    assert ep.base_url == "http://127.0.0.1:8765"
    assert ep.api_url == "http://127.0.0.1:8765/api"
    assert ep.token_url == "http://127.0.0.1:8765/oauth/token"
    assert ep.api_record_url("0000-0002-1825-0097", "/works/") == (
        "http://127.0.0.1:8765/api/v3.0/0000-0002-1825-0097/works"
    )
    assert ep.is_loopback and not ep.is_https


def test_loopback_is_the_lints_rule_so_the_oauth_client_accepts_what_the_lint_lets_through():
    """The whole of 127.0.0.0/8, localhost and ::1; not a loopback host beside a real one."""
    for base in ("http://127.0.0.2:8765", "http://localhost:8765", "http://[::1]:8765"):
        assert Endpoints.for_environment("emulator", base_url=base).is_loopback
    mixed = Endpoints("http://127.0.0.1:8765", "https://api.sandbox.orcid.org")
    assert not mixed.is_loopback


def test_an_explicit_token_url_is_kept():
    ep = Endpoints("https://sandbox.orcid.org", "https://api.sandbox.orcid.org",
                   token_url="https://api.sandbox.orcid.org/oauth/token")
    assert ep.token_url == "https://api.sandbox.orcid.org/oauth/token"


def test_webhook_url_has_no_version_and_encodes_the_whole_callback():
    ep = Endpoints.for_environment("sandbox")
    url = ep.webhook_url("0000-0002-1825-0097", "https://site.example/orcid/webhook/abc?x=1&y=2")
    assert url == (
        "https://api.sandbox.orcid.org/0000-0002-1825-0097/webhook/"
        "https%3A%2F%2Fsite.example%2Forcid%2Fwebhook%2Fabc%3Fx%3D1%26y%3D2"
    )


@pytest.mark.parametrize("env,kwargs", [("staging", {}), ("emulator", {})])
def test_unknown_environment_or_missing_emulator_url_is_refused(env, kwargs):
    with pytest.raises(OrcidUsageError):
        Endpoints.for_environment(env, **kwargs)


@pytest.mark.parametrize("base", ["ftp://orcid.org", "orcid.org", "", None])
def test_non_http_urls_are_refused(base):
    with pytest.raises(OrcidUsageError, match="base_url"):
        Endpoints(base, "https://api.orcid.org")
