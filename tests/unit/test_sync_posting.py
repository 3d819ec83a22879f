"""The worker reads a create call's put code strictly: anything but a positive integer is a
malformed answer (retried), never a crash."""

import pytest

from orcid_pyramid.client.errors import OrcidMalformedResponse
from orcid_pyramid.sync.posting import answered_put_code


@pytest.mark.parametrize("value, expected", [(12, 12), ("12", 12), (" 7 ", 7)])
def test_a_positive_integer_put_code_is_accepted(value, expected):
    assert answered_put_code(value) == expected


@pytest.mark.parametrize("value", [None, "", "12abc", "-3", 0, -1, True, 1.5, b"12", [12]])
def test_no_or_a_non_integer_put_code_is_a_retryable_malformed_answer(value):
    with pytest.raises(OrcidMalformedResponse) as raised:
        answered_put_code(value)
    assert raised.value.retryable
    assert repr(value) in str(raised.value)
