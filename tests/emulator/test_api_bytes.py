"""ORCID's bytes: the XML declaration and error element as ORCID writes them, and compact JSON,
for clients that match text (orcid-facts/errors.md#bytes)."""

from __future__ import annotations

import json

from .api_helpers import CLIENT, SECRET, XML, Api, work

DECLARATION = b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'


def _compact(data) -> bytes:
    return json.dumps(data, separators=(",", ":")).encode("utf-8")


def test_error_xml_uses_the_default_namespace_and_orcids_declaration(api):
    """``<error xmlns="http://www.orcid.org/ns/error">``, no ``error:`` prefix, and the
    declaration with double quotes and standalone="yes"."""
    answer = api.get("work/12345", status=404, accept=XML)
    assert answer.body.startswith(DECLARATION + b"\n")
    assert b'<error xmlns="http://www.orcid.org/ns/error"><response-code>404</response-code>' \
        in answer.body
    assert b"<error:" not in answer.body and b"xmlns:error" not in answer.body


def test_xml_reads_carry_orcids_declaration(api):
    """Every XML document starts with ORCID's declaration."""
    api.create("work", work())
    assert api.get("works", accept=XML).body.startswith(DECLARATION + b"\n")


def test_json_reads_and_errors_are_compact(api):
    """JSON without spaces after separators, as ORCID's Jackson writes it."""
    api.create("work", work())
    for answer in (api.get("works"), api.get("work/12345", status=404),
                   Api(api.web, "not-a-token").get("works", status=401)):
        assert answer.body == _compact(answer.json)


def test_token_answers_are_compact_json(web):
    """The token endpoint's JSON, success and error, is compact too."""
    form = {"client_id": CLIENT, "client_secret": SECRET, "grant_type": "client_credentials",
            "scope": "/read-public"}
    ok = web.post("/oauth/token", form)
    bad = web.post("/oauth/token", dict(form, client_secret="wrong"), status=401)
    assert ok.body == _compact(ok.json) and bad.body == _compact(bad.json)
