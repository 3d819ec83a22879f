"""Bad input never breaks the emulator: any JSON in any field of a write answers ORCID's 4xx
with its five-key body, never a 500 (house rule; orcid-facts/errors.md)."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .api_helpers import affiliation, funding, peer_review, research_resource, work

_JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 5) | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
        st.sampled_from(["value", "title", "year", "external-id", "name", "x"]), inner,
        max_size=3),
    max_leaves=6)
_BASES = {"work": work(), "employment": affiliation(), "funding": funding(),
          "peer-review": peer_review(), "research-resource": research_resource()}


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(section=st.sampled_from(sorted(_BASES)), data=st.data())
def test_any_value_in_any_field_answers_a_clean_status(api, emulator, section, data):
    """Replace one field (or nested field) with random JSON: 201, 400 or 409, never 500."""
    body = json.loads(json.dumps(_BASES[section]))
    key = data.draw(st.sampled_from(sorted(body)))
    if isinstance(body[key], dict) and body[key] and data.draw(st.booleans()):
        inner = data.draw(st.sampled_from(sorted(body[key])))
        body[key][inner] = data.draw(_JSON)
    else:
        body[key] = data.draw(_JSON)
    answer = api.send("POST", section, body, status="*")
    assert answer.status_int in (201, 400, 409), answer.text
    if answer.status_int != 201:
        assert answer.json["response-code"] == answer.status_int
    assert emulator.state.errors == []
