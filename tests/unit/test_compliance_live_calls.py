"""How the live target reads the site's call log as "what ORCID received" (``describe_call``),
for the real sandbox's hosts (the rehearsal in ``test_compliance_live.py`` covers loopback)."""

from __future__ import annotations

from orcid_pyramid.compliance.live import describe_call, settings_overrides
from orcid_pyramid.settings import load_settings

ENV = {"ORCID_CLIENT_ID": "APP-0000000000000001", "ORCID_CLIENT_SECRET": "s3cret",
       "ORCID_SANDBOX_EMAIL": "r@example.org", "ORCID_SANDBOX_PASSWORD": "pw"}


def _settings(**env):
    from orcid_pyramid.crypto import generate_key

    overrides = settings_overrides({**ENV, **env})
    return load_settings({**overrides, "orcid.token_key": generate_key(),
                          "orcid.support_email": "support@example.org"})


def test_the_live_sandbox_settings_are_the_sandbox_over_https():
    settings = _settings()
    assert settings.environment == "sandbox"
    assert settings.token_url == "https://sandbox.orcid.org/oauth/token"
    assert settings.redirect_uri.startswith("https://")


def test_calls_to_the_sandbox_hosts_are_told_apart():
    settings = _settings()
    token = describe_call(settings, "POST", "https://sandbox.orcid.org/oauth/token", 200)
    work = describe_call(settings, "POST",
                         "https://api.sandbox.orcid.org/v3.0/0000-0002-1825-0097/work", 201)
    public = describe_call(settings, "GET",
                           "https://pub.sandbox.orcid.org/v3.0/0000-0002-1825-0097/record?x=1",
                           200)
    stray = describe_call(settings, "POST", "https://api.sandbox.orcid.org/oauth/token", 200)
    assert (token["host"], token["path"]) == ("root", "/oauth/token")
    assert (work["host"], work["path"]) == ("api", "/v3.0/0000-0002-1825-0097/work")
    assert (public["host"], public["path"], public["query"]) == (
        "pub", "/v3.0/0000-0002-1825-0097/record", "x=1")
    assert (stray["host"], stray["path"]) == ("api", "/oauth/token")  # DM-3 would catch it


def test_a_rehearsal_on_a_loopback_emulator_runs_in_its_environment():
    settings = _settings(ORCID_SANDBOX_BASE_URL="http://127.0.0.1:9999",
                         ORCID_SANDBOX_API_URL="http://127.0.0.1:9999/api")
    assert settings.environment == "emulator"
    call = describe_call(settings, "GET", "http://127.0.0.1:9999/api/v3.0/x/works", 200)
    assert (call["host"], call["path"]) == ("api", "/v3.0/x/works")
    assert describe_call(settings, "GET", "http://127.0.0.1:9999/pub/v3.0/x", 200)["host"] == "pub"
