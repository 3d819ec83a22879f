"""TokenResponse: every field of the token answer, expiry as a date, secrets out of sight."""

from datetime import UTC, datetime, timedelta

import pytest

from orcid_pyramid.client import OrcidMalformedResponse, TokenResponse, expand_scopes, split_scope

ORCID_EXAMPLE = {  # orcid-facts/oauth.md#token
    "access_token": "89f0181c-168b-4d7d-831c-1fdda2d7bbbb",
    "token_type": "bearer",
    "refresh_token": "69e883f6-d84e-4ae6-87f5-ef0044e3e9a7",
    "expires_in": 631138518,
    "scope": "/read-limited /activities/update /person/update",
    "name": "Sofia Maria Hernandez Garcia",
    "orcid": "0000-0002-7900-5343",
}
NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def test_every_field_of_the_documented_answer_is_kept():
    token = TokenResponse.from_dict(ORCID_EXAMPLE, now=NOW)
    assert token.access_token == ORCID_EXAMPLE["access_token"]
    assert token.refresh_token == ORCID_EXAMPLE["refresh_token"]
    assert token.token_type == "bearer"
    assert token.expires_in == 631138518
    assert token.expires_at == NOW + timedelta(seconds=631138518)
    assert token.expires_at.tzinfo is not None
    assert token.scope == "/read-limited /activities/update /person/update"
    assert token.scopes == {"/read-limited", "/activities/update", "/person/update"}
    assert token.name == "Sofia Maria Hernandez Garcia"
    assert token.orcid == "0000-0002-7900-5343"
    assert token.id_token is None
    assert token.raw == ORCID_EXAMPLE


@pytest.mark.parametrize("name", [None, "", "   ", "<missing>"])
def test_a_private_or_missing_name_becomes_none(name):
    data = dict(ORCID_EXAMPLE)
    if name == "<missing>":
        del data["name"]
    else:
        data["name"] = name
    assert TokenResponse.from_dict(data).name is None


def test_client_credentials_answer_has_no_orcid_and_no_name():
    token = TokenResponse.from_dict({"access_token": "1cecf036-0000-0000-0000-000000000000",
                                     "token_type": "bearer", "expires_in": 631138518,
                                     "scope": "/read-public", "orcid": None})
    assert token.orcid is None and token.name is None and token.refresh_token is None


def test_missing_expiry_means_no_expiry_date():
    data = {k: v for k, v in ORCID_EXAMPLE.items() if k != "expires_in"}
    token = TokenResponse.from_dict(data)
    assert token.expires_in is None and token.expires_at is None
    assert not token.expired()


def test_expired_compares_with_the_expiry_date():
    token = TokenResponse.from_dict(dict(ORCID_EXAMPLE, expires_in=60), now=NOW)
    assert not token.expired(NOW + timedelta(seconds=59))
    assert token.expired(NOW + timedelta(seconds=60))


@pytest.mark.parametrize(
    "data",
    [{}, {"access_token": ""}, {"token_type": "bearer"}, dict(ORCID_EXAMPLE, expires_in="soon"),
     ["not", "a", "dict"]],
)
def test_an_answer_without_a_usable_token_is_malformed(data):
    with pytest.raises(OrcidMalformedResponse):
        TokenResponse.from_dict(data)


def test_repr_and_redacted_never_show_token_values():
    data = dict(ORCID_EXAMPLE, id_token="eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln")
    token = TokenResponse.from_dict(data)
    shown = repr(token) + str(token.redacted())
    for secret in (data["access_token"], data["refresh_token"], data["id_token"]):
        assert secret not in shown
    redacted = token.redacted()
    assert redacted["access_token"] == "[redacted]"
    assert redacted["id_token"] == "[redacted]"
    assert redacted["orcid"] == data["orcid"]
    assert redacted["scopes"] == sorted(token.scopes)


def test_token_response_is_immutable():
    token = TokenResponse.from_dict(ORCID_EXAMPLE)
    with pytest.raises(AttributeError):
        token.access_token = "x"


def test_covers_understands_scopes_that_imply_others():
    token = TokenResponse.from_dict(dict(ORCID_EXAMPLE, scope="openid /read-limited"))
    assert token.covers("/authenticate")
    assert token.covers(["/activities/read-limited", "openid"])
    assert not token.covers("/activities/update")


def test_split_scope_accepts_strings_lists_and_commas():
    assert split_scope("/a  /b,/c") == {"/a", "/b", "/c"}
    assert split_scope(["/a", " ", "/b"]) == {"/a", "/b"}
    assert split_scope(None) == frozenset()
    assert "/read-public" in expand_scopes({"/authenticate"})
