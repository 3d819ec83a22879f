"""Member-API helpers: put codes from Location headers, item kinds, the timeout adapter."""

import pytest

from orcid_pyramid.client import (
    OrcidMalformedResponse,
    OrcidUsageError,
    Redactor,
    TimeoutHTTPAdapter,
    build_session,
    item_kind,
    put_code_from_location,
)


@pytest.mark.parametrize(
    "location,put_code",
    [
        ("http://api.sandbox.orcid.org/orcid-api-web/v3.0/0000-0002-1905-9139/work/950312", 950312),
        ("https://api.orcid.org/v3.0/0000-0002-0942-3697/work/46964761/", 46964761),
        ("/orcid-api-web/v3.0/0000-0002-1825-0097/employment/17", 17),
        ("http://127.0.0.1:8765/api/v3.0/0000-0002-1825-0097/keywords/1001?x=1", 1001),
    ],
)
def test_the_put_code_is_the_last_path_segment_of_location(location, put_code):
    assert put_code_from_location(location) == put_code


@pytest.mark.parametrize("location", [None, "", "https://api.orcid.org/v3.0/x/work/", "/work/abc"])
def test_a_location_without_a_put_code_is_malformed(location):
    with pytest.raises(OrcidMalformedResponse):
        put_code_from_location(location)


@pytest.mark.parametrize(
    "given,path",
    [("work", "work"), ("works", "work"), ("employments", "employment"),
     ("invited-positions", "invited-position"), ("keyword", "keywords"),
     ("keywords", "keywords"), ("addresses", "address"), ("peer-review", "peer-review")],
)
def test_item_kinds_accept_section_names_and_singulars(given, path):
    assert item_kind(given) == path


def test_an_unknown_item_kind_lists_the_known_ones():
    with pytest.raises(OrcidUsageError, match="known kinds: .*work"):
        item_kind("gadget")


def test_the_adapter_applies_its_timeout_only_when_none_was_given():
    adapter = TimeoutHTTPAdapter(2.5)
    assert adapter.timeout == 2.5 and adapter.max_retries.total == 0
    session = build_session(4.0)
    assert session.get_adapter("https://orcid.org").timeout == 4.0
    assert session.get_adapter("http://127.0.0.1").timeout == 4.0


def test_the_add_ons_webhook_callback_token_is_redacted():
    # orcid_pyramid.sync.webhook builds /webhook/<compact iD><40 hex>
    token = "0000000218250097" + "a3" * 20
    url = ("http://127.0.0.1/api/0000-0002-1825-0097/webhook/"
           f"https%3A%2F%2Fsite.example%2Forcid%2Fwebhook%2F{token}")
    assert token not in Redactor().url(url)
