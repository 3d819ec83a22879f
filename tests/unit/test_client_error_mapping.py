"""Mapping ORCID's answers and transport failures to the client's error classes."""

import json
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
import requests

from orcid_pyramid.client import (
    OrcidBadRequest,
    OrcidConflict,
    OrcidDeprecated,
    OrcidError,
    OrcidForbidden,
    OrcidMalformedResponse,
    OrcidNotFound,
    OrcidOAuthError,
    OrcidRateLimited,
    OrcidServerError,
    OrcidTimeout,
    OrcidTransportError,
    OrcidUnauthorized,
    Redactor,
)
from orcid_pyramid.client.mapping import (
    error_from_exception,
    error_from_response,
    retry_after_seconds,
)

TOKEN = "89f0181c-168b-4d7d-831c-1fdda2d7bbbb"


def make_response(status, body=b"", content_type="application/json", headers=None,
                  url="https://api.sandbox.orcid.org/v3.0/0000-0002-1825-0097/work"):
    response = requests.Response()
    response.status_code = status
    response._content = body.encode() if isinstance(body, str) else body
    response.headers["Content-Type"] = content_type
    response.headers.update(headers or {})
    response.url = url
    response.request = requests.Request("POST", url).prepare()
    return response


def v3(status, code, developer="dev", user="user"):
    return json.dumps({"response-code": status, "developer-message": developer,
                       "user-message": user, "error-code": code,
                       "more-info": "https://members.orcid.org/api/resources/troubleshooting"})


def mapped(status, body="", **kw):
    return error_from_response(make_response(status, body, **kw), Redactor())


def test_invalid_token_is_unauthorized_and_the_echoed_token_is_redacted():
    error = mapped(401, json.dumps({"error": "invalid_token",
                                    "error_description": f"Invalid access token: {TOKEN}"}))
    assert isinstance(error, OrcidUnauthorized) and not error.retryable
    assert TOKEN not in str(error) and TOKEN not in repr(error.developer_message)
    assert "connect" in error.user_text().lower()


def test_wrong_record_token_is_unauthorized_with_9017():
    error = mapped(401, v3(401, 9017))
    assert isinstance(error, OrcidUnauthorized) and error.wrong_record


@pytest.mark.parametrize("code,flag", [(9010, "not_source"), (9038, "missing_scope")])
def test_forbidden_says_why(code, flag):
    error = mapped(403, v3(403, code))
    assert isinstance(error, OrcidForbidden) and getattr(error, flag)
    assert error.error_code == code and error.status == 403


def test_not_found():
    error = mapped(404, v3(404, 9016))
    assert isinstance(error, OrcidNotFound) and "deleted" in error.user_text()


def test_duplicate_conflict_carries_the_existing_put_code():
    message = ("409 Conflict: You have already added this activity (matched by external "
               "identifiers), please see element with put-code 178602. If you are trying to "
               "edit the item, please use PUT instead of POST.")
    error = mapped(409, v3(409, 9021, developer=message))
    assert isinstance(error, OrcidConflict) and error.duplicate
    assert error.existing_put_code == 178602
    assert error.user_text() == "This item is already on your ORCID record."


@pytest.mark.parametrize("code", [9018, 9036, 9044])
def test_record_state_conflicts_block_writes(code):
    error = mapped(409, v3(409, code))
    assert isinstance(error, OrcidConflict) and error.record_unavailable
    assert error.existing_put_code is None


@pytest.mark.parametrize("status", [400, 413, 406, 415])
def test_validation_and_other_client_errors_are_bad_requests(status):
    error = mapped(status, v3(status, 9023, user="A work needs an external identifier"))
    assert isinstance(error, OrcidBadRequest)
    assert "A work needs an external identifier" in error.user_text()


def test_xml_error_bodies_are_read_too():
    xml = ('<error:error xmlns:error="http://www.orcid.org/ns/error">'
           "<error:response-code>409</error:response-code>"
           "<error:developer-message>dup put-code 55</error:developer-message>"
           "<error:user-message>dup</error:user-message>"
           "<error:error-code>9021</error:error-code>"
           "<error:more-info>x</error:more-info></error:error>")
    error = mapped(409, xml, content_type="application/vnd.orcid+xml")
    assert isinstance(error, OrcidConflict) and error.error_code == 9021
    assert error.existing_put_code == 55


@pytest.mark.parametrize("error_name", ["invalid_grant", "invalid_scope", "access_denied",
                                        "unsupported_grant_type"])
def test_oauth_errors_keep_error_and_description(error_name):
    error = mapped(400, json.dumps({"error": error_name, "error_description": "why"}))
    assert isinstance(error, OrcidOAuthError)
    assert (error.error, error.description) == (error_name, "why")
    assert error.user_text()


def test_invalid_client_is_an_oauth_error_not_a_revoked_link():
    error = mapped(401, json.dumps({"error_description": "Client authentication failed",
                                    "error": "invalid_client"}))
    assert isinstance(error, OrcidOAuthError) and error.error == "invalid_client"


def test_legacy_error_desc_shape():
    error = mapped(400, json.dumps({"error": "invalid_grant",
                                    "error-desc": {"value": "Invalid authorization code"}}))
    assert isinstance(error, OrcidOAuthError)
    assert error.description == "Invalid authorization code"


def test_userinfo_access_denied_is_forbidden():
    error = mapped(403, json.dumps({"error": "access_denied",
                                    "error-description": "access_token is invalid"}))
    assert isinstance(error, OrcidForbidden)


def test_rate_limited_503_is_retryable_and_honours_retry_after():
    error = mapped(503, v3(503, 9008), headers={"Retry-After": "3"})
    assert isinstance(error, OrcidRateLimited) and isinstance(error, OrcidServerError)
    assert error.retryable and error.retry_after == 3.0


@pytest.mark.parametrize("status", [500, 502, 504])
def test_server_errors_are_retryable(status):
    error = mapped(status, "<html>oops</html>", content_type="text/html")
    assert type(error) is OrcidServerError and error.retryable and error.status == status


def test_deprecated_record_names_the_primary_id():
    error = mapped(301, v3(301, 9007), headers={
        "Location": "https://api.sandbox.orcid.org/v3.0/0000-0001-5109-3700/work"})
    assert isinstance(error, OrcidDeprecated)
    assert error.primary_orcid == "0000-0001-5109-3700"


def test_garbage_error_bodies_still_map_by_status():
    for body in (b"\xff\xfe garbage", b"{not json", b"<unclosed"):
        assert isinstance(mapped(404, body), OrcidNotFound)


def test_retry_after_accepts_seconds_and_http_dates():
    assert retry_after_seconds("0") == 0.0
    assert retry_after_seconds(None) is None and retry_after_seconds("soon") is None
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=120), usegmt=True)
    assert 100 < retry_after_seconds(later) <= 120


def test_transport_exceptions_map_to_transport_errors():
    redactor = Redactor()
    prepared = requests.Request("GET", f"http://127.0.0.1:9/x?code={TOKEN}").prepare()
    timeout = error_from_exception(requests.ReadTimeout("read timed out", request=prepared),
                                   redactor)
    assert isinstance(timeout, OrcidTimeout) and timeout.retryable
    assert TOKEN not in str(timeout) and TOKEN not in timeout.url
    reset = error_from_exception(requests.ConnectionError("Connection reset by peer"), redactor)
    assert type(reset) is OrcidTransportError and reset.retryable
    cut = error_from_exception(requests.exceptions.ChunkedEncodingError("IncompleteRead"),
                               redactor)
    assert isinstance(cut, OrcidMalformedResponse) and cut.retryable


def test_a_real_refused_connection_is_a_transport_error():
    import socket

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()  # nothing listens on this port now
    try:
        requests.get(f"http://127.0.0.1:{port}/", timeout=2)
    except requests.RequestException as exc:
        error = error_from_exception(exc, Redactor())
    assert type(error) is OrcidTransportError


def test_every_error_has_a_plain_user_text_and_a_summary():
    for cls in OrcidError.__subclasses__() + [OrcidTimeout, OrcidRateLimited]:
        error = cls("e", status=500) if cls is not OrcidOAuthError else cls("x", "y")
        assert error.user_text().endswith(".")
        assert "ORCID" in error.user_text() or "sign-in" in error.user_text()
        assert error.summary().startswith(cls.__name__)


def test_low_level_failures_from_custom_transports_are_mapped_too():
    import http.client

    redactor = Redactor()
    assert type(error_from_exception(ConnectionResetError("reset"), redactor)) is (
        OrcidTransportError)
    assert isinstance(error_from_exception(TimeoutError("slow"), redactor), OrcidTimeout)
    assert type(error_from_exception(http.client.RemoteDisconnected("gone"), redactor)) is (
        OrcidTransportError)
