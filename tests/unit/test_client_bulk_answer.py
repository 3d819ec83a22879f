"""The client reads a bulk answer for its put codes and errors alone (``msgspec``): every shape
ORCID does not send is still its malformed answer, never a crash or a wrong put code."""

from __future__ import annotations

import pytest
import requests

from orcid_pyramid.client.api import _bulk_entries
from orcid_pyramid.client.errors import OrcidMalformedResponse


def _answer(body: bytes) -> requests.Response:
    response = requests.Response()
    response.status_code = 200
    response._content = body
    return response


def test_put_codes_and_errors_are_read_and_the_rest_skipped():
    entries = _bulk_entries(_answer(
        b'{"bulk": [{"work": {"put-code": 12, "title": {"title": {"value": "x"}},'
        b' "source": {"source-name": {"value": "s"}}}},'
        b' {"error": {"response-code": 409, "developer-message": "dup"}}]}'))
    assert entries[0].work.put_code == 12 and entries[0].error is None
    assert entries[1].work is None and entries[1].error["response-code"] == 409


@pytest.mark.parametrize("body", [
    b'{"bulk": {"work": {}}}',  # not a list
    b'{"nothing": []}',  # no bulk
    b'{"bulk": [{"work": "12"}]}',  # a work that is not an object
    b'[1, 2]',
    b'{"bulk": [',  # cut off
    b'\xff\xfe',  # not UTF-8
])
def test_anything_else_is_a_malformed_answer(body):
    with pytest.raises(OrcidMalformedResponse):
        _bulk_entries(_answer(body))
