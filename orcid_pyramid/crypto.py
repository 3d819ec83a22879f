"""Token encryption at rest (DM-4): Fernet keys, newest first, rotated with MultiFernet."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

if TYPE_CHECKING:
    from orcid_pyramid.settings import OrcidSettings


class TokenKeyError(ValueError):
    """The configured key list is empty or holds something that is not a Fernet key."""


class TokenDecryptError(Exception):
    """A stored token cannot be decrypted with any configured key (wrong or dropped key)."""


def generate_key() -> str:
    """A new random Fernet key as text, suitable for ``orcid.token_key``."""
    return Fernet.generate_key().decode("ascii")


class TokenCipher:
    """Encrypts with the first (newest) key and decrypts with any of them."""

    def __init__(self, keys: Iterable[str | bytes]):
        fernets = []
        for position, key in enumerate(keys, start=1):
            try:
                fernets.append(Fernet(key))
            except (ValueError, TypeError):
                # the message names the position only: the key is a secret
                raise TokenKeyError(f"token key #{position} is not a valid Fernet key") from None
        if not fernets:
            raise TokenKeyError("no token key given")
        self._fernet = MultiFernet(fernets)
        self.key_count = len(fernets)

    def __repr__(self) -> str:
        return f"TokenCipher(<{self.key_count} key(s)>)"

    @classmethod
    def from_settings(cls, s: OrcidSettings) -> TokenCipher:
        """The cipher for ``orcid.token_key`` (the emulator's derived key when unset there)."""
        return cls(s.token_keys)

    def encrypt(self, plaintext: str) -> str:
        """Encrypt ``plaintext`` under the newest key."""
        return self._fernet.encrypt(plaintext.encode("utf-8")).decode("ascii")

    def decrypt(self, ciphertext: str) -> str:
        """Decrypt with whichever key fits; ``TokenDecryptError`` when none does."""
        try:
            return self._fernet.decrypt(ciphertext.encode("ascii")).decode("utf-8")
        except (InvalidToken, UnicodeError):
            raise TokenDecryptError(
                "a stored token cannot be decrypted with the configured orcid.token_key "
                "(was a key dropped before running orcid-pyramid rekey?)"
            ) from None

    def rotate(self, ciphertext: str) -> str:
        """Re-encrypt ``ciphertext`` under the newest key (the rekey step)."""
        try:
            return self._fernet.rotate(ciphertext.encode("ascii")).decode("ascii")
        except (InvalidToken, UnicodeError):
            raise TokenDecryptError(
                "a stored token cannot be decrypted with any configured key, so it cannot "
                "be re-encrypted"
            ) from None
