"""Property tests: coercion accepts every well-formed value and keeps the host's text."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from orcid_pyramid.settings import FEATURES, load_settings


@given(st.integers(min_value=0, max_value=10**9), st.floats(min_value=0.001, max_value=1e6))
def test_numbers_written_as_text_are_read_back(ttl, timeout):
    raw = {"orcid.state_ttl": f" {ttl} ", "orcid.timeout": repr(timeout)}
    s = load_settings(raw)
    assert (s.state_ttl, s.timeout) == (ttl, timeout)
    assert raw["orcid.state_ttl"] == f" {ttl} "  # the host's value is left as written


@given(st.lists(st.sampled_from(sorted(FEATURES)), unique=True),
       st.sampled_from([" ", ",", "\n", ", "]))
def test_features_parse_with_any_separator(features, separator):
    s = load_settings({"orcid.features": separator.join(features) or "openid"})
    assert s.features == (frozenset(features) or {"openid"})
