"""ORCID iD format, the ISO 7064 MOD 11-2 check character, and normalisation
(orcid-facts/orcid-id.md)."""

from __future__ import annotations

import re

from .errors import OrcidUsageError

_BARE = re.compile(r"^(\d{4})-(\d{4})-(\d{4})-(\d{3}[\dX])$")
_LOOSE = re.compile(
    r"^(?:(?:https?://)?(?:www\.)?(?:sandbox\.)?orcid\.org/)?"
    r"(\d{4})-?(\d{4})-?(\d{4})-?(\d{3}[\dXx])/?$"
)
#: An iD anywhere in a text (a ``Location`` header, a message).
ORCID_IN_TEXT = re.compile(r"\d{4}-\d{4}-\d{4}-\d{3}[\dX]")


def checksum(base15: str) -> str:
    """The check character ('0'-'9' or 'X') for the first 15 digits of an iD.

    Hyphens are ignored, so both ``"000000021825009"`` and ``"0000-0002-1825-009"`` work.
    """
    digits = base15.replace("-", "")
    if len(digits) != 15 or not digits.isdigit():
        raise OrcidUsageError(f"An ORCID iD checksum needs exactly 15 digits, got {base15!r}")
    total = 0
    for char in digits:
        total = (total + int(char)) * 2
    result = (12 - total % 11) % 11
    return "X" if result == 10 else str(result)


def is_valid_orcid(value: object) -> bool:
    """True for a bare iD ``dddd-dddd-dddd-dddX`` whose check character is right."""
    if not isinstance(value, str):
        return False
    match = _BARE.match(value)
    if not match:
        return False
    digits = "".join(match.groups())
    return checksum(digits[:15]) == digits[15]


def normalize(value: str) -> str:
    """The bare iD for any accepted form, or :class:`OrcidUsageError`.

    Accepts the bare form, the 16 characters without hyphens, a lower-case ``x`` and the URI
    forms (``https://orcid.org/…``, ``https://sandbox.orcid.org/…``, ``orcid.org/…``).
    Leading zeros are kept; the checksum must be right.
    """
    if not isinstance(value, str):
        raise OrcidUsageError(f"An ORCID iD must be a string, got {type(value).__name__}")
    match = _LOOSE.match(value.strip())
    if not match:
        raise OrcidUsageError(f"{value!r} is not an ORCID iD (expected 0000-0000-0000-000X)")
    bare = "-".join(match.groups()).upper()
    if not is_valid_orcid(bare):
        raise OrcidUsageError(f"{value!r} is not a valid ORCID iD: its check character is wrong")
    return bare


def to_uri(orcid: str, host: str = "https://orcid.org") -> str:
    """The full iD URI for display and storage, e.g. ``https://orcid.org/0000-0002-1825-0097``."""
    return f"{host.rstrip('/')}/{normalize(orcid)}"
