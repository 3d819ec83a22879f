"""Bad input never produces a traceback (issue item 8): 413, 404/405 in ORCID's shapes, and
unexpected exceptions become a 9008 that the test run sees."""

from __future__ import annotations

import pytest

from orcid_pyramid.emulator import seed

from .wsgi import InProcess


@pytest.fixture
def emu():
    handle = InProcess()
    yield handle
    handle.close()


def test_bodies_over_one_megabyte_are_413(emu):
    """API and token paths refuse bodies over 1 MB."""
    big = b"x" * (1024 * 1024 + 1)
    api = emu.web.post(f"/api/v3.0/{seed.DEMO_ORCID}/work", big, status=413,
                       headers={"Content-Type": "application/json"})
    token = emu.web.post("/oauth/token", big, status=413,
                         headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert api.json["response-code"] == 413
    assert token.json["error"] == "invalid_request"


def test_unknown_api_path_is_a_five_key_404(emu):
    """Unrouted paths on the API hosts answer 404 with 9001."""
    body = emu.web.get("/api/v9.9/nothing", status=404).json
    assert list(body) == ["response-code", "developer-message", "user-message", "error-code",
                          "more-info"]
    assert body["error-code"] == 9001


def test_unknown_oauth_path_and_method_are_oauth_json(emu):
    """Under /oauth errors are OAuth JSON: 404 unknown endpoint, 405 wrong method."""
    assert emu.web.get("/oauth/nothing", status=404).json["error"] == "invalid_request"
    assert emu.web.post("/oauth/jwks", status=405).json["error"] == "invalid_request"


def test_unknown_registry_page_is_an_html_404(emu):
    page = emu.web.get("/no/such/page", status=404)
    assert page.content_type == "text/html" and "Page not found" in page.text


def test_webhook_with_a_bad_callback_is_400(emu):
    """orcid-facts/webhooks.md: "Webhook uri: … is syntactically incorrect"."""
    headers = {"Authorization": f"Bearer {emu.client_token('/webhook')}"}
    answer = emu.web.put(f"/api/{seed.DEMO_ORCID}/webhook/not-a-url", headers=headers,
                         status=400)
    assert "syntactically incorrect" in answer.json["developer-message"]


def test_an_unexpected_exception_is_a_9008_and_is_kept_for_the_test(emu):
    """The safety net: a crash answers ORCID's 500/9008 and lands in ``state.errors``."""
    emu.state.records["0000-0000-0000-0002"] = object()  # a broken record: crashes on use
    answer = emu.web.get("/_emulator/records/0000-0000-0000-0002", status=500)
    errors = emu.web.get("/_emulator/errors").json["errors"]
    assert answer.json["error-code"] == 9008
    assert len(errors) == 1 and "AttributeError" in errors[0]


@pytest.mark.parametrize("method, path, body, shape", [
    ("get", "/oauth/authorize?client_id=%ff&redirect_uri=%fe", None, "html"),
    ("post", "/oauth/token", b"client_id=APP-DEMOCLIENT000001&client_secret=demo-client-secret"
     b"&grant_type=%ff", "oauth"),
    ("put", "/api/%ff/webhook/%fe", None, "api"),
    ("get", "/_emulator/records/%ff", None, "control"),
    ("post", "/oauth/authorize?client_id=APP-DEMOCLIENT000001&redirect_uri=http://x/"
     "&scope=/authenticate", "csrf=\u00e9".encode(), "html"),
])
def test_input_that_is_not_utf8_is_a_400_in_the_path_s_own_shape(emu, method, path, body, shape):
    """Undecodable paths, queries and forms are the client's mistake: 400, never a crash."""
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    kwargs = {"params": body} if body is not None else {}
    answer = getattr(emu.web, method)(path, headers=headers, status=400, **kwargs)
    if shape == "html":
        assert answer.content_type == "text/html"
    elif shape == "oauth":  # WebOb decodes forms leniently: the grant is simply unknown
        assert answer.json["error"] == "unsupported_grant_type"
    elif shape == "api":
        assert answer.json["error-code"] == 9001
    else:
        assert "UTF-8" in answer.json["error"]
    assert emu.state.errors == []
