"""TokenCipher: encryption at rest and key rotation."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet

from orcid_pyramid.crypto import TokenCipher, TokenDecryptError, TokenKeyError, generate_key
from orcid_pyramid.settings import load_settings

TOKEN = "89f0181c-168b-4d7d-831c-1fdda2d7bbbb"


def test_round_trip_and_ciphertext_hides_the_token():
    cipher = TokenCipher([generate_key()])
    secret = cipher.encrypt(TOKEN)
    assert TOKEN not in secret
    assert cipher.decrypt(secret) == TOKEN
    assert cipher.encrypt(TOKEN) != secret  # random IV: equal tokens do not look equal


def test_generated_keys_are_valid_fernet_keys_and_differ():
    first, second = generate_key(), generate_key()
    Fernet(first)
    assert first != second and isinstance(first, str)


def test_key_rotation_round_trip():
    old, new = generate_key(), generate_key()
    stored = TokenCipher([old]).encrypt(TOKEN)
    both = TokenCipher([new, old])
    assert both.decrypt(stored) == TOKEN  # the old key still decrypts
    rotated = both.rotate(stored)
    new_only = TokenCipher([new])
    assert new_only.decrypt(rotated) == TOKEN  # after rekey the old key can be dropped
    with pytest.raises(TokenDecryptError):
        new_only.decrypt(stored)  # ...but not before
    assert both.encrypt(TOKEN) and new_only.decrypt(both.encrypt(TOKEN)) == TOKEN


def test_a_wrong_key_raises_the_project_error_without_the_token():
    stored = TokenCipher([generate_key()]).encrypt(TOKEN)
    with pytest.raises(TokenDecryptError, match="orcid.token_key") as info:
        TokenCipher([generate_key()]).decrypt(stored)
    assert TOKEN not in str(info.value)
    with pytest.raises(TokenDecryptError):
        TokenCipher([generate_key()]).rotate(stored)
    with pytest.raises(TokenDecryptError):
        TokenCipher([generate_key()]).decrypt("not a fernet token é")


def test_bad_keys_are_refused_by_position_without_echoing_them():
    with pytest.raises(TokenKeyError, match="#2") as info:
        TokenCipher([generate_key(), "short-secret"])
    assert "short-secret" not in str(info.value)
    with pytest.raises(TokenKeyError, match="no token key"):
        TokenCipher([])


def test_from_settings_uses_every_configured_key():
    old, new = generate_key(), generate_key()
    cipher = TokenCipher.from_settings(load_settings({"orcid.token_key": f"{new},{old}"}))
    assert cipher.key_count == 2
    assert cipher.decrypt(TokenCipher([old]).encrypt(TOKEN)) == TOKEN
    assert new not in repr(cipher) and old not in repr(cipher)


def test_the_emulator_derived_key_works():
    cipher = TokenCipher.from_settings(load_settings({"orcid.environment": "emulator"}))
    assert cipher.decrypt(cipher.encrypt(TOKEN)) == TOKEN
