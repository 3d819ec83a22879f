"""Whatever ORCID (or something pretending to be it) answers, only the client's errors escape."""

import json

import requests
from hypothesis import given, settings
from hypothesis import strategies as st

from orcid_pyramid.client import OrcidError, OrcidMalformedResponse, Redactor, TokenResponse
from orcid_pyramid.client.mapping import error_from_response, parse_error_body

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=12,
)
token_keys = st.sampled_from(["access_token", "token_type", "refresh_token", "expires_in",
                              "scope", "name", "orcid", "id_token", "other"])


token_answers = st.one_of(
    st.dictionaries(token_keys, json_values, max_size=9),
    st.fixed_dictionaries({"access_token": st.text(min_size=1, max_size=10)},
                          optional={k: json_values for k in ("token_type", "refresh_token",
                                                             "expires_in", "scope", "name",
                                                             "orcid", "id_token")}),
)


@settings(max_examples=300, deadline=None)
@given(token_answers)
def test_token_answers_either_parse_or_are_malformed(data):
    try:
        token = TokenResponse.from_dict(data)
    except OrcidMalformedResponse:
        return
    assert isinstance(token.access_token, str) and token.access_token
    assert isinstance(token.scope, str)
    assert all(isinstance(s, str) for s in token.scopes)


def _response(status, body, content_type):
    response = requests.Response()
    response.status_code = status
    response._content = body
    response.headers["Content-Type"] = content_type
    response.url = "https://api.sandbox.orcid.org/v3.0/0000-0002-1825-0097/work"
    response.request = requests.Request("GET", response.url).prepare()
    return response


bodies = st.one_of(
    st.binary(max_size=200),
    json_values.map(lambda v: json.dumps(v).encode()),
    st.dictionaries(st.sampled_from(["response-code", "error-code", "developer-message",
                                     "user-message", "error", "error_description",
                                     "error-desc", "more-info"]),
                    json_values, max_size=6).map(lambda d: json.dumps(d).encode()),
)


@settings(max_examples=150, deadline=None)
@given(st.integers(min_value=300, max_value=599), bodies,
       st.sampled_from(["application/json", "application/vnd.orcid+xml", "text/html", ""]))
def test_any_error_answer_maps_to_an_orcid_error(status, body, content_type):
    response = _response(status, body, content_type)
    assert isinstance(parse_error_body(response), dict)
    error = error_from_response(response, Redactor())
    assert isinstance(error, OrcidError)
    assert isinstance(str(error), str) and error.user_text()
    if status >= 500:
        assert error.retryable
