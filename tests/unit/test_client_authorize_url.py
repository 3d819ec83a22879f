"""The authorize URL: scopes, state (BP-1), pre-fill, lang, prompt, show_login."""

from urllib.parse import parse_qs, urlsplit

import pytest

from orcid_pyramid.client import Endpoints, OrcidClient, OrcidUsageError


@pytest.fixture
def client():
    return OrcidClient(Endpoints.for_environment("sandbox"), "APP-RU42Z8TDSYBG7T2S", "s3cret-value",
                       redirect_uri="https://site.example/orcid/callback")


def _query(url):
    parts = urlsplit(url)
    return parts, {k: v[0] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}


def test_url_points_at_the_authorize_page_with_code_flow_parameters(client):
    parts, q = _query(client.authorization_url(["/activities/update", "/read-limited"], "st4te"))
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == "https://sandbox.orcid.org/oauth/authorize"
    assert q == {
        "client_id": "APP-RU42Z8TDSYBG7T2S",
        "response_type": "code",
        "scope": "/activities/update /read-limited",
        "redirect_uri": "https://site.example/orcid/callback",
        "state": "st4te",
    }
    assert "%20" in parts.query and "+" not in parts.query  # ORCID documents %20 for spaces


def test_secret_is_never_part_of_the_url(client):
    assert "s3cret-value" not in client.authorization_url("/authenticate", "s")


def test_prefill_lang_prompt_nonce_and_show_login(client):
    url = client.authorization_url(
        "openid", "s", redirect_uri="https://site.example/other", nonce="n-1",
        prefill={"given_names": "Josiah", "family_names": "Carberry",
                 "email": "josiah@example.org", "orcid": "https://orcid.org/0000-0002-1825-0097"},
        lang="zh-CN", prompt="login", show_login=False,
    )
    _, q = _query(url)
    assert q["redirect_uri"] == "https://site.example/other"
    assert q["given_names"] == "Josiah" and q["family_names"] == "Carberry"
    assert q["email"] == "josiah@example.org"
    assert q["orcid"] == "0000-0002-1825-0097"
    assert q["lang"] == "zh_CN" and q["prompt"] == "login" and q["nonce"] == "n-1"
    assert q["show_login"] == "false"
    assert "%40" in url  # the @ of the email is encoded


def test_empty_prefill_values_unsupported_language_and_bad_orcid_are_left_out(client):
    _, q = _query(client.authorization_url(
        "/authenticate", "s", prefill={"given_names": "", "family_names": None,
                                       "orcid": "0000-0002-1825-0098"}, lang="xx"))
    assert not {"given_names", "family_names", "orcid", "lang"} & set(q)


def test_region_variants_fall_back_to_the_base_language(client):
    _, q = _query(client.authorization_url("/authenticate", "s", lang="es-MX"))
    assert q["lang"] == "es"


@pytest.mark.parametrize(
    "kwargs,message",
    [
        ({"scopes": [], "state": "s"}, "scope"),
        ({"scopes": "/authenticate", "state": ""}, "state"),
        ({"scopes": "/authenticate", "state": "s", "prompt": "always"}, "prompt"),
        ({"scopes": "/authenticate", "state": "s", "prefill": {"phone": "1"}}, "prefill"),
    ],
)
def test_bad_arguments_get_a_clear_message(client, kwargs, message):
    with pytest.raises(OrcidUsageError, match=message):
        client.authorization_url(**kwargs)


def test_a_redirect_uri_is_required():
    client = OrcidClient(Endpoints.for_environment("sandbox"), "APP-X", "secret")
    with pytest.raises(OrcidUsageError, match="redirect_uri"):
        client.authorization_url("/authenticate", "s")


def test_client_needs_credentials():
    with pytest.raises(OrcidUsageError):
        OrcidClient(Endpoints.for_environment("sandbox"), "APP-X", "")
