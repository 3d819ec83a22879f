"""Redaction: no token, secret or code survives into a call record (DM-7)."""

import json
import uuid

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orcid_pyramid.client import REDACTED, Redactor
from orcid_pyramid.client.calllog import CallRecord, cap

TOKEN = "89f0181c-168b-4d7d-831c-1fdda2d7bbbb"
REFRESH = "69e883f6-d84e-4ae6-87f5-ef0044e3e9a7"
JWT = "eyJraWQiOiJrMSIsImFsZyI6IlJTMjU2In0.eyJzdWIiOiIwMDAwIn0.c2lnbmF0dXJlX2hlcmU"


@pytest.fixture
def redactor():
    return Redactor(["demo-client-secret"])


def test_form_fields_holding_secrets_are_redacted_but_their_names_stay(redactor):
    body = ("grant_type=authorization_code&client_id=APP-1&client_secret=demo-client-secret"
            "&code=eUeiz2&redirect_uri=https%3A%2F%2Fsite%2Fcb")
    out = redactor.body(body, "application/x-www-form-urlencoded")
    assert out == ("grant_type=authorization_code&client_id=APP-1&client_secret=[redacted]"
                   "&code=[redacted]&redirect_uri=https%3A%2F%2Fsite%2Fcb")


def test_revoke_and_refresh_forms(redactor):
    assert redactor.body(f"token={TOKEN}&client_id=APP-1") == "token=[redacted]&client_id=APP-1"
    out = redactor.body("grant_type=refresh_token&refresh_token=abc-not-uuid&revoke_old=false")
    assert "abc-not-uuid" not in out and "revoke_old=false" in out


def test_json_members_holding_secrets_are_redacted(redactor):
    answer = {"access_token": TOKEN, "token_type": "bearer", "refresh_token": REFRESH,
              "expires_in": 631138518, "scope": "/read-limited", "name": "Sofia",
              "orcid": "0000-0002-7900-5343", "id_token": JWT, "nested": {"token": "xyzxyzxyz"}}
    out = json.loads(redactor.body(json.dumps(answer), "application/json;charset=UTF-8"))
    assert out["access_token"] == out["refresh_token"] == out["id_token"] == REDACTED
    assert out["nested"]["token"] == REDACTED
    assert out["orcid"] == "0000-0002-7900-5343" and out["expires_in"] == 631138518


def test_truncated_json_is_still_redacted(redactor):
    body = '{"access_token":"not-a-uuid-secret-value","refresh_token":"69e883f6-d84e'
    out = redactor.body(body, "application/json")
    assert "not-a-uuid-secret-value" not in out and "69e883f6-d84e" not in out


def test_bearer_tokens_uuids_and_jwts_in_free_text(redactor):
    text = (f"Invalid access token: {TOKEN}; header Authorization: Bearer abc.def-ghi; "
            f"id {JWT}")
    out = redactor.text(text)
    for secret in (TOKEN, "abc.def-ghi", JWT):
        assert secret not in out
    assert "Bearer [redacted]" in out


def test_urls_lose_secret_query_parameters_and_encoded_uuids(redactor):
    url = (f"http://127.0.0.1/api/0000-0002-1825-0097/webhook/"
           f"https%3A%2F%2Fsite%2Fcb%2F{TOKEN}?code=abcdef&state=keep")
    out = redactor.url(url)
    assert TOKEN not in out and "abcdef" not in out
    assert "state=keep" in out and "0000-0002-1825-0097" in out


def test_webhook_callback_tokens_are_redacted_even_when_not_uuid_shaped(redactor):
    url = ("http://127.0.0.1/api/0000-0002-1825-0097/webhook/"
           "https%3A%2F%2Fsite%2Forcid%2Fwebhook%2FAbCdEfGhIjKlMnOpQrStUv")
    assert "AbCdEfGhIjKlMnOpQrStUv" not in redactor.url(url)


def test_known_secret_values_are_redacted_wherever_they_appear(redactor):
    assert redactor.text("<x>demo-client-secret</x>") == "<x>[redacted]</x>"
    per_call = redactor.with_secrets(["s3cr3t-code", None, "abc"])  # short values ignored
    assert per_call.text("a s3cr3t-code b abc") == "a [redacted] b abc"
    assert "s3cr3t-code" in redactor.text("s3cr3t-code")  # the base redactor is unchanged


def test_orcid_bodies_stay_readable(redactor):
    work = {"title": {"title": {"value": "On codes"}}, "type": "journal-article",
            "put-code": 1234, "language-code": "en", "error-code": 9021}
    assert json.loads(redactor.body(json.dumps(work))) == work
    assert redactor.body(b"") == "" and redactor.body(None) is None


def test_headers_hide_authorization(redactor):
    headers = redactor.headers({"Authorization": f"Bearer {TOKEN}", "Accept": "x/y"})
    assert headers == {"Authorization": REDACTED, "Accept": "x/y"}


def test_cap_cuts_after_redaction_and_says_how_much():
    assert cap("abcdef", 10) == "abcdef"
    assert cap("abcdefghij" * 3, 10) == "abcdefghij... [20 more characters]"
    assert cap(None, 3) is None


def test_call_record_as_dict_is_json_ready():
    from datetime import UTC, datetime

    record = CallRecord(at=datetime(2026, 1, 1, tzinfo=UTC), method="GET", url="u", status=200,
                        duration_ms=1.5, request_body=None, response_body="{}", orcid=None,
                        user_id="7", error=None, kind="api")
    assert json.loads(json.dumps(record.as_dict()))["at"] == "2026-01-01T00:00:00+00:00"


_noise = st.text(alphabet=st.characters(codec="utf-8", exclude_characters="\x00"), max_size=40)


@settings(deadline=None)  # timing is not what these tests check
@given(st.uuids(), _noise, _noise, st.sampled_from(["form", "json", "text", "url"]))
def test_a_uuid_token_never_survives_in_any_kind_of_body(token, before, after, shape):
    token = str(token)
    variants = {
        "form": f"a={before}&token={token}&b={after}",
        "json": json.dumps({"x": before, "access_token": token, "y": [after, token]}),
        "text": f"{before} Bearer {token} {after}",
        "url": f"http://h/p/{token}?q={before}",
    }
    out = Redactor().body(variants[shape]) if shape != "url" else Redactor().url(variants[shape])
    assert token not in out and token.upper() not in out


@settings(deadline=None)  # timing is not what these tests check
@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-_", min_size=6, max_size=40))
def test_a_known_secret_of_any_shape_never_survives(secret):
    out = Redactor([secret]).body(f"client_id=APP-1&other={secret}&client_secret={secret}")
    assert secret not in out.replace(REDACTED, "")  # no leftover copy anywhere


def test_uuid_case_and_position_do_not_matter():
    token = str(uuid.uuid4()).upper()
    assert token not in Redactor().text(f"x%2F{token}y")
