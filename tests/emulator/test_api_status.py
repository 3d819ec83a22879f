"""The API status route ``/v3.0/status`` on every API host (orcid-facts/hosts.md)."""

from __future__ import annotations

import pytest

from .api_helpers import JSON


@pytest.mark.parametrize("prefix", ["", "/api", "/pub"])
def test_status_route_answers_ok_i_am_here_as_plain_text_without_a_token(web, prefix):
    """orcid-facts/hosts.md: ``GET /v3.0/status`` answers ``OK I am here`` (viewStatusText),
    text/plain."""
    answer = web.get(f"{prefix}/v3.0/status", status=200)
    assert answer.content_type == "text/plain"
    assert answer.text == "OK I am here"


def test_status_route_is_plain_text_whatever_the_accept_header(web):
    """orcid-facts/hosts.md: the status text is the only representation, so an ORCID Accept still
    gets it."""
    answer = web.get("/api/v3.0/status", headers={"Accept": JSON}, status=200)
    assert answer.content_type == "text/plain"
    assert answer.text == "OK I am here"


def test_status_route_refuses_other_methods_with_the_five_key_error(web):
    """orcid-facts/hosts.md, orcid-facts/errors.md: the status route is read-only; a POST answers
    405 in ORCID's error shape."""
    answer = web.post("/api/v3.0/status", "", headers={"Accept": JSON}, status=405)
    assert answer.json["response-code"] == 405
    assert answer.json["error-code"] == 9001
    assert list(answer.json) == ["response-code", "developer-message", "user-message",
                                 "error-code", "more-info"]
