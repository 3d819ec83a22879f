"""Content negotiation, tokens and error bodies of the member API
(orcid-facts/member-api.md#content-types, orcid-facts/errors.md)."""

from __future__ import annotations

import json

import pytest
from lxml import etree
from webtest import TestApp

from .api_helpers import ALL_SCOPES, JSON, ORCID, XML, Api, public_token, token_for, work

FIVE_KEYS = ["response-code", "developer-message", "user-message", "error-code", "more-info"]
ERROR_NS = "{http://www.orcid.org/ns/error}"


@pytest.mark.parametrize("accept", [None, "*/*", "application/*", "text/html, */*;q=0.1"])
def test_no_accept_or_wildcards_answer_xml(api, accept):
    """orcid-facts/member-api.md#content-types: no Accept or */* → XML (vnd.orcid+xml has the
    highest server weight)."""
    answer = api.get("works", accept=accept)
    assert answer.content_type == "application/vnd.orcid+xml"
    assert etree.fromstring(answer.body).tag == "{http://www.orcid.org/ns/activities}works"


@pytest.mark.parametrize("accept,expected", [
    ("application/vnd.orcid+json", "application/vnd.orcid+json"),
    ("application/orcid+json", "application/orcid+json"),
    ("application/json", "application/json"),
    ("application/xml", "application/xml"),
    ("application/orcid+xml", "application/orcid+xml"),
    ("application/json;q=0.9, application/xml;q=0.1", "application/json"),
])
def test_each_orcid_media_type_is_served(api, accept, expected):
    """orcid-facts/member-api.md#content-types: the six produced types; q values weigh in."""
    assert api.get("works", accept=accept).content_type == expected


def test_unsatisfiable_accept_is_406(api, emulator):
    """orcid-facts/member-api.md#content-types: an Accept nothing matches → 406 (9001), without a
    Content-Type (as observed)."""
    unlinted = TestApp(emulator.app, lint=False)  # WebTest's lint insists on a Content-Type
    answer = unlinted.get(api.url("works"), headers=api.headers("text/html"), status=406)
    assert "Content-Type" not in answer.headers
    assert etree.fromstring(answer.body).findtext(f"{ERROR_NS}error-code") == "9001"


@pytest.mark.parametrize("content_type", [None, "text/plain", "application/x-www-form-urlencoded"])
def test_post_without_an_orcid_content_type_is_415(api, content_type):
    """orcid-facts/member-api.md#content-types: missing or wrong Content-Type on POST → 415."""
    answer = api.web.post(api.url("work"), json.dumps(work()), status=415,
                          headers=api.headers(JSON, content_type))
    assert answer.json["response-code"] == 415


def test_xml_body_with_json_accept_is_fine(api):
    """orcid-facts/member-api.md#content-types: the request and response formats are independent."""
    xml = (b'<work:work xmlns:common="http://www.orcid.org/ns/common" '
           b'xmlns:work="http://www.orcid.org/ns/work"><work:title><common:title>T'
           b'</common:title></work:title><work:type>book</work:type><common:external-ids>'
           b'<common:external-id><common:external-id-type>isbn</common:external-id-type>'
           b'<common:external-id-value>978</common:external-id-value>'
           b'<common:external-id-relationship>self</common:external-id-relationship>'
           b'</common:external-id></common:external-ids></work:work>')
    put_code = int(api.post("work", xml, content_type=XML).headers["Location"].rsplit("/")[-1])
    assert api.get(f"work/{put_code}").json["type"] == "book"


def test_error_bodies_have_the_five_keys_in_order_in_json(api):
    """orcid-facts/errors.md#the-v30-error-body: response-code, developer-message, user-message,
    error-code, more-info."""
    body = api.get("work/12345", status=404).json
    assert list(body) == FIVE_KEYS
    assert body["response-code"] == 404 and body["error-code"] == 9016
    assert body["more-info"] == "https://members.orcid.org/api/resources/troubleshooting"


def test_error_bodies_in_xml_are_error_error(api):
    """orcid-facts/errors.md#the-v30-error-body: XML errors are ``error:error`` with the five
    children in order."""
    answer = api.get("work/12345", status=404, accept=XML)
    root = etree.fromstring(answer.body)
    assert root.tag == f"{ERROR_NS}error"
    assert [etree.QName(c).localname for c in root] == FIVE_KEYS


def test_malformed_json_is_400_9047(api):
    """orcid-facts/errors.md#status-and-error-codes: invalid JSON → 400/9047."""
    assert api.post("work", "{not json", status=400).json["error-code"] == 9047


def test_malformed_xml_is_400_9020(api):
    """orcid-facts/errors.md#status-and-error-codes: an XML body that is not ORCID's schema →
    400/9020."""
    assert api.post("work", b"<work", status=400, content_type=XML).json["error-code"] == 9020
    wrong_root = b'<keyword:keyword xmlns:keyword="http://www.orcid.org/ns/keyword"/>'
    assert api.post("work", wrong_root, status=400,
                    content_type=XML).json["error-code"] == 9020


def test_xml_elements_out_of_xsd_order_are_400_9020(api):
    """orcid-facts/member-api.md#validation: XML element order matters (work: title before type)."""
    xml = (b'<work:work xmlns:common="http://www.orcid.org/ns/common" '
           b'xmlns:work="http://www.orcid.org/ns/work"><work:type>book</work:type>'
           b'<work:title><common:title>T</common:title></work:title></work:work>')
    answer = api.post("work", xml, status=400, content_type=XML)
    assert answer.json["error-code"] == 9020 and "order" in answer.json["developer-message"]


def test_xml_entities_are_not_resolved(api):
    """Safety: an external entity in an XML body is not fetched or expanded."""
    xml = (b'<?xml version="1.0"?><!DOCTYPE w [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
           b'<work:work xmlns:common="http://www.orcid.org/ns/common" '
           b'xmlns:work="http://www.orcid.org/ns/work"><work:title><common:title>&x;'
           b'</common:title></work:title></work:work>')
    answer = api.post("work", xml, status=400, content_type=XML)
    assert "root:" not in answer.text


def test_unknown_token_is_401_invalid_token_oauth_json(api):
    """orcid-facts/errors.md#the-v30-error-body: a bad token → 401 OAuth JSON ``invalid_token``
    naming the token."""
    bad = Api(api.web, "not-a-token")
    answer = bad.get("works", status=401)
    assert answer.json == {"error": "invalid_token",
                           "error_description": "Invalid access token: not-a-token"}


def test_revoked_token_401s_on_get_post_put_but_delete_still_answers_204(api, emulator):
    """Issue + orcid-facts/errors.md#the-v30-error-body: after the user revokes, GET/POST/PUT → 401,
    DELETE still 204."""
    put_code = api.create("work", work())
    assert emulator.control.revoke(ORCID, api_client()) >= 1
    assert api.get("works", status=401).json["error"] == "invalid_token"
    api.post("work", work(doi="10.1/new"), status=401)
    api.put(f"work/{put_code}", work(**{"put-code": put_code}), status=401)
    api.delete(f"work/{put_code}", status=204)


def api_client() -> str:
    """The demo client id (the fixture's token belongs to it)."""
    from orcid_pyramid.emulator.seed import DEMO_CLIENT_ID

    return DEMO_CLIENT_ID


def test_no_token_on_the_member_api_is_403(web):
    """orcid-facts/errors.md#the-v30-error-body: a member endpoint called without a token → 403."""
    anonymous = Api(web, None)
    assert anonymous.get("works", status=403).json["response-code"] == 403


def test_token_for_another_record_is_401_9017(api, emulator):
    """orcid-facts/member-api.md#reads: the token must belong to the record in the URL →
    401/9017."""
    other = emulator.control.add_user("Ada", "Lovelace", "ada@example.org", "pw")
    answer = Api(api.web, api.token, orcid=other).get("works", status=401)
    assert answer.json["error-code"] == 9017


def test_missing_update_scope_is_403_9038(web, emulator):
    """orcid-facts/errors.md#status-and-error-codes: posting with a /read-limited-only token →
    403/9038."""
    reader = Api(web, token_for(web, emulator.control, "/read-limited"))
    assert reader.post("work", work(), status=403).json["error-code"] == 9038
    assert reader.post("keywords", {"content": "x"}, status=403).json["error-code"] == 9038


def test_person_update_scope_does_not_allow_activity_writes(web, emulator):
    """orcid-facts/scopes.md: /person/update covers person sections only."""
    writer = Api(web, token_for(web, emulator.control, "/person/update"))
    writer.post("keywords", {"content": "x"})
    assert writer.post("work", work(), status=403).json["error-code"] == 9038


def test_read_public_token_cannot_write(web):
    """orcid-facts/scopes.md: a client-credentials /read-public token has no write scope →
    403/9038."""
    assert Api(web, public_token(web)).post("work", work(), status=403).json["error-code"] == 9038


def test_unknown_path_is_404_9001_and_unknown_method_405_9001(api):
    """orcid-facts/errors.md#status-and-error-codes: unrouted path → 404/9001; wrong method →
    405/9001, in the five-key shape."""
    assert api.get("nonsense", status=404).json["error-code"] == 9001
    answer = api.web.request(api.url("works"), method="DELETE", headers=api.headers(),
                             status=405)
    assert answer.json["error-code"] == 9001 and list(answer.json) == FIVE_KEYS
    assert api.web.get("/api/v3.0/not-an-orcid/works", headers=api.headers(),
                       status=404).json["error-code"] == 9001


def test_public_api_is_read_only(web, emulator):
    """orcid-facts/hosts.md: the pub host answers reads only."""
    writer = Api(web, token_for(web, emulator.control, ALL_SCOPES), prefix="/pub")
    assert writer.post("work", work(), status=405).json["error-code"] == 9001


def test_non_numeric_put_code_is_400(api):
    """orcid-facts/errors.md#status-and-error-codes: a put code must be a number."""
    assert api.get("work/abc", status=400).json["response-code"] == 400


def test_body_over_one_megabyte_is_413(api):
    """Limits: a body over 1 MB → 413."""
    big = json.dumps(work(**{"short-description": "x" * (1024 * 1024 + 10)}))
    assert api.post("work", big, status=413).json["response-code"] == 413


def test_expired_token_is_401_invalid_token_even_for_delete(api, emulator):
    """orcid-facts/errors.md#the-v30-error-body: an expired token → 401 invalid_token; the
    revoked-DELETE quirk is not for it."""
    put_code = api.create("work", work())
    with emulator.state.lock:
        emulator.state.tokens[api.token].expires_at = emulator.state.now() - 1
    assert api.get("works", status=401).json["error"] == "invalid_token"
    api.delete(f"work/{put_code}", status=401)


@pytest.mark.parametrize("method,path,status", [
    ("POST", "works/1,2", 405), ("DELETE", "employments", 405), ("GET", "work", 405),
    ("PUT", "record", 405), ("GET", "work/1/extra", 404), ("GET", "keyword", 404),
])
def test_routes_answer_404_or_405_as_orcid(api, method, path, status):
    """orcid-facts/errors.md#status-and-error-codes: unrouted paths 404/9001, known paths with
    another method 405/9001."""
    answer = api.web.request(api.url(path), method=method, headers=api.headers(),
                             status=status)
    assert answer.json["error-code"] == 9001
