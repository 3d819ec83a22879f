"""The OAuth calls go through requests-oauthlib's ``OAuth2Session`` (oauthlib underneath),
still through our transport: its compliance hooks fire, oauthlib checks what they leave, its
https check holds (with the one loopback exception), and its loggers never write a secret."""

from __future__ import annotations

import json
import logging
import os
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from orcid_pyramid.client import Endpoints, OrcidClient, OrcidOAuthError, OrcidUsageError
from tests.functional.client.support import (
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    DEMO_ORCID,
    MEMBER_SCOPES,
    REDIRECT_URI,
)


def _recording_hooks(seen: list) -> dict:
    def request_hook(name):
        def hook(url, headers, body):
            seen.append((name, urlsplit(url).path))
            return url, headers, body
        return hook

    def response_hook(name):
        def hook(response):
            seen.append((name, response.status_code))
            return response
        return hook

    return {
        "access_token_request": [request_hook("access_token_request")],
        "access_token_response": [response_hook("access_token_response")],
        "refresh_token_request": [request_hook("refresh_token_request")],
        "refresh_token_response": [response_hook("refresh_token_response")],
    }


def test_every_token_grant_runs_requests_oauthlibs_compliance_hooks(endpoints, authorize,
                                                                    records):
    seen: list = []
    client = OrcidClient(endpoints, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, redirect_uri=REDIRECT_URI,
                         call_sink=records.append, compliance_hooks=_recording_hooks(seen))
    token = client.exchange_code(authorize())
    client.refresh(token.refresh_token, scopes="/read-limited")
    client.client_credentials("/read-public")
    assert seen == [
        ("access_token_request", "/oauth/token"), ("access_token_response", 200),
        ("refresh_token_request", "/oauth/token"), ("refresh_token_response", 200),
        ("access_token_request", "/oauth/token"), ("access_token_response", 200),
    ]
    # the same three exchanges, each once in the call log (the transport sent them)
    assert [(r.kind, r.status) for r in records] == [("token", 200)] * 3


def test_oauthlib_checks_the_answer_the_hooks_hand_it(endpoints, authorize, records):
    """A response hook that drops the access token: oauthlib's validation refuses the answer
    (MissingTokenError), as our own error; nothing secret in it."""

    def drop_access_token(response):
        data = json.loads(response.content)
        data.pop("access_token")
        response._content = json.dumps(data).encode()
        return response

    client = OrcidClient(endpoints, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, redirect_uri=REDIRECT_URI,
                         call_sink=records.append,
                         compliance_hooks={"access_token_response": [drop_access_token]})
    code = authorize()
    with pytest.raises(OrcidOAuthError) as caught:
        client.exchange_code(code)
    assert caught.value.error == "missing_token" and caught.value.status == 200
    assert code not in str(caught.value) and DEMO_CLIENT_SECRET not in str(caught.value)
    [record] = records
    assert record.status == 200 and '"access_token": "[redacted]"' in record.response_body


def test_an_unknown_hook_type_is_a_usage_error(endpoints):
    with pytest.raises(OrcidUsageError, match="protected_request"):
        OrcidClient(endpoints, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET,
                    compliance_hooks={"protected_request": [lambda *a: a]})


def test_plain_http_to_a_registry_off_this_machine_is_refused_before_any_call(records):
    """oauthlib's https check (DM-2) stands for every OAuth call; OAUTHLIB_INSECURE_TRANSPORT
    is not set, and nothing is sent."""
    assert "OAUTHLIB_INSECURE_TRANSPORT" not in os.environ
    endpoints = Endpoints("http://orcid.invalid", "https://api.orcid.invalid")
    client = OrcidClient(endpoints, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, redirect_uri=REDIRECT_URI,
                         call_sink=records.append, timeout=2.0)
    calls = [
        lambda: client.authorization_url("/authenticate", "state-1"),
        lambda: client.exchange_code("Ab12Cd"),
        lambda: client.refresh("refresh-token-value"),
        lambda: client.client_credentials("/read-public"),
        lambda: client.revoke("access-token-value"),
    ]
    for call in calls:
        with pytest.raises(OrcidUsageError, match="plain http"):
            call()
    assert records == []


def test_a_plain_http_loopback_emulator_works_without_the_insecure_transport_variable(
        emulator_factory, records):
    """The demo's quick start (an emulator over plain http on 127.0.0.1): every OAuth call
    reaches it through OAuth2Session, and the process-wide variable stays unset."""
    emu = emulator_factory(tls=False)
    assert emu.base_url.startswith("http://127.0.0.1:")
    endpoints = Endpoints.for_environment("emulator", base_url=emu.base_url)
    client = OrcidClient(endpoints, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, redirect_uri=REDIRECT_URI,
                         call_sink=records.append, timeout=5.0)
    url = client.authorization_url(MEMBER_SCOPES, "state-1")
    assert url.startswith(emu.base_url + "/oauth/authorize?")
    assert requests.get(url, timeout=5).status_code == 200
    redirect = emu.control.authorize(DEMO_ORCID, DEMO_CLIENT_ID, MEMBER_SCOPES, REDIRECT_URI,
                                     state="state-1")
    token = client.exchange_code(parse_qs(urlsplit(redirect).query)["code"][0])
    fresh = client.refresh(token.refresh_token)
    client.client_credentials("/read-public")
    client.revoke(fresh.access_token)
    assert [(r.kind, r.status) for r in records] == [("token", 200)] * 3 + [("revoke", 200)]
    assert all(r.url.startswith(emu.base_url) for r in records)
    assert "OAUTHLIB_INSECURE_TRANSPORT" not in os.environ


def test_oauth_libraries_never_log_a_secret_even_when_set_to_debug(client, authorize, caplog):
    """A host (or caplog) may set requests_oauthlib and oauthlib to DEBUG, where OAuth2Session
    writes request data and tokens: the records below INFO never reach a handler."""
    for name in ("", "requests_oauthlib", "requests_oauthlib.oauth2_session", "oauthlib"):
        caplog.set_level(logging.DEBUG, logger=name)
    assert logging.getLogger("requests_oauthlib.oauth2_session").isEnabledFor(logging.DEBUG)
    code = authorize()
    token = client.exchange_code(code)
    fresh = client.refresh(token.refresh_token)
    client.revoke(fresh.access_token)
    text = "\n".join(record.getMessage() for record in caplog.records)
    assert "ORCID token POST" in text  # the capture saw these calls
    for secret in (code, token.access_token, token.refresh_token, fresh.access_token,
                   fresh.refresh_token, DEMO_CLIENT_SECRET):
        assert secret not in text
    oauth_debug = [r for r in caplog.records if r.levelno < logging.INFO
                   and r.name.startswith(("requests_oauthlib", "oauthlib"))]
    assert oauth_debug == []
