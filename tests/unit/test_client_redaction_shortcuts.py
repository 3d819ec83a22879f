"""The redactor's shortcuts (a pattern runs only when a substring shows it could match; plain
JSON is redacted as it stands) never let a secret through."""

import json
import re
import sys

import pytest

from orcid_pyramid.client import REDACTED, Redactor
from orcid_pyramid.client.redaction import _BEARER_HINT, _WEBHOOK_HINT, SECRET_KEYS
from orcid_pyramid.sync.builders import ExternalId, Work

TOKEN = "89f0181c-168b-4d7d-831c-1fdda2d7bbbb"
WEBHOOK_TOKEN = "AbCdEfGhIjKlMnOpQrStUv"


@pytest.mark.parametrize("word", [_BEARER_HINT, _WEBHOOK_HINT])
def test_every_character_ignorecase_matches_to_a_hint_letter_lowers_to_that_letter(word):
    # the case-insensitive patterns are looked for in text.lower(): that is only sound if
    # lower() maps each character re matches under IGNORECASE to the letter itself
    everything = "".join(map(chr, range(sys.maxunicode + 1)))
    for letter in set(word):
        matched = set(re.findall(f"(?i){letter}", everything))
        assert {c.lower() for c in matched} == {letter}, letter


@pytest.mark.parametrize("spelling", ["Bearer", "BEARER", "bEaReR", "bearer"])
def test_bearer_tokens_are_redacted_in_any_letter_case(spelling):
    out = Redactor().text(f"Authorization: {spelling} abc.def-ghi")
    assert "abc.def-ghi" not in out and f"{spelling} {REDACTED}" in out


@pytest.mark.parametrize("word", ["webhook", "WEBHOOK", "WebHook", "webhoo\u212a"])  # Kelvin K
@pytest.mark.parametrize("slash", ["/", "%2F", "%2f"])
def test_webhook_tokens_are_redacted_in_any_letter_case(word, slash):
    out = Redactor().url(f"https://site/orcid/{word}{slash}{WEBHOOK_TOKEN}")
    assert WEBHOOK_TOKEN not in out


@pytest.mark.parametrize("key", sorted(SECRET_KEYS))
@pytest.mark.parametrize("before", ["", "?", "&", ";", "x=1&"])
def test_every_secret_form_field_is_redacted_wherever_the_query_starts(key, before):
    out = Redactor().text(f"{before}{key}=s3cr3t-value&keep=1")
    assert "s3cr3t-value" not in out and out.endswith(f"{key}={REDACTED}&keep=1")


@pytest.mark.parametrize("key", sorted(SECRET_KEYS))
def test_every_secret_json_member_is_redacted_in_truncated_json(key):
    out = Redactor().body(f'{{"a": 1, "{key}": "s3cr3t-value-cut', "application/json")
    assert "s3cr3t" not in out


@pytest.mark.parametrize("text", [TOKEN, TOKEN.upper(), f"x%2F{TOKEN}", f"{TOKEN}y",
                                  f"prefix-{TOKEN}-suffix"])
def test_uuids_are_redacted_at_either_end_and_in_upper_case(text):
    out = Redactor().text(text)
    assert TOKEN not in out.lower() and REDACTED in out


def test_escaped_json_is_still_read_unescaped():
    escaped_key = '{"\\u0061ccess_token": "not-a-uuid-secret", "x": 1}'
    assert "not-a-uuid-secret" not in Redactor().body(escaped_key, "application/json")
    escaped_bearer = '{"error": "Bearer\\u0020abc.def-ghi is invalid"}'
    assert "abc.def-ghi" not in Redactor().body(escaped_bearer, "application/json")
    escaped_uuid = '{"token_echo": "' + TOKEN.replace("-", "\\u002d") + '"}'
    assert TOKEN not in Redactor().body(escaped_uuid, "application/json")


def test_a_secret_member_holding_a_number_or_an_object_is_redacted():
    body = '{"code": 123456, "token": {"value": "x"}, "password": ["a"]}'
    assert json.loads(Redactor().body(body)) == {"code": REDACTED, "token": REDACTED,
                                                  "password": REDACTED}


def test_known_secrets_that_json_could_spell_differently_are_still_redacted():
    # a secret holding JSON's punctuation may only appear once the body is written again
    assert "q1" not in Redactor(['q1", "k']).body('{"a":"q1","k":1}', "application/json")
    # a number-like secret may only appear once a number is written out in full
    out = Redactor(["1234567"]).body('{"n": 1.234567e6}', "application/json")
    assert out == '{"n": [redacted].0}'
    out = Redactor(["Infinity"]).body('{"n": 1e999}', "application/json")
    assert out == '{"n": [redacted]}'


def test_plain_json_without_secrets_is_kept_as_it_stands():
    body = json.dumps({"title": "On codes", "put-code": 12}, indent=2)
    assert Redactor(["demo-client-secret"]).body(body, "application/json") == body


def _bulk(n: int, secret_at: int | None = None) -> tuple[str, str]:
    works = []
    for i in range(n):
        url = f"https://example.org/{i}" + (f"?code={TOKEN}" if i == secret_at else "")
        works.append(Work(title=f"Work {i}", type="journal-article", url=url,
                          external_ids=[ExternalId("doi", f"10.5555/{i}")]))
    as_json = json.dumps({"bulk": [{"work": w.to_json()} for w in works]})
    as_xml = "<bulk>" + "".join(w.to_xml().decode().split("?>", 1)[-1] for w in works) \
        + "</bulk>"
    return as_json, as_xml


def test_a_secret_deep_in_a_large_bulk_body_is_redacted():
    as_json, as_xml = _bulk(100, secret_at=97)
    redactor = Redactor(["demo-client-secret"]).with_secrets([TOKEN])
    for body, kind in ((as_json, "application/vnd.orcid+json"),
                       (as_xml, "application/vnd.orcid+xml")):
        out = redactor.body(body, kind)
        assert TOKEN not in out and "code=[redacted]" in out
    clean_json, _ = _bulk(100)
    assert redactor.body(clean_json, "application/vnd.orcid+json") == clean_json
