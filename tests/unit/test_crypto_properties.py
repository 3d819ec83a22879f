"""Property tests: any token text survives encryption and rotation."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from orcid_pyramid.crypto import TokenCipher, generate_key

OLD, NEW = generate_key(), generate_key()
OLD_ONLY, BOTH, NEW_ONLY = TokenCipher([OLD]), TokenCipher([NEW, OLD]), TokenCipher([NEW])


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_any_text_round_trips_and_survives_rotation(token):
    stored = OLD_ONLY.encrypt(token)
    assert BOTH.decrypt(stored) == token
    assert NEW_ONLY.decrypt(BOTH.rotate(stored)) == token


@settings(max_examples=100, deadline=None)
@given(st.text(min_size=8, alphabet=st.characters(codec="ascii", categories=["L", "N"])))
def test_the_ciphertext_never_contains_the_token(token):
    assert token not in OLD_ONLY.encrypt(token)
