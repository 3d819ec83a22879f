"""ORCID iD format and the ISO 7064 MOD 11-2 check character (orcid-facts/orcid-id.md)."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orcid_pyramid.client import OrcidUsageError, checksum, is_valid_orcid, normalize, to_uri

KNOWN_VALID = [
    "0000-0002-1825-0097",
    "0000-0002-9079-593X",
    "0000-0001-5109-3700",
    "0009-0001-5055-9262",
    "0000-0001-2345-6789",
]


@pytest.mark.parametrize("orcid", KNOWN_VALID)
def test_checksum_matches_the_check_character_of_known_ids(orcid):
    digits = orcid.replace("-", "")
    assert checksum(digits[:15]) == digits[15]
    assert checksum(orcid[:-1]) == digits[15]  # hyphenated form accepted
    assert is_valid_orcid(orcid)


@pytest.mark.parametrize(
    "value",
    [
        "0000-0002-1825-0098",  # wrong check digit
        "0000-0002-9079-5930",  # X expected
        "0000000218250097",  # no hyphens: not the bare form
        "0000-0002-1825-009",
        "https://orcid.org/0000-0002-1825-0097",  # URI: normalize() accepts it, is_valid does not
        "0000-0002-1825-0097 ",
        "",
        None,
        12345,
    ],
)
def test_is_valid_orcid_rejects_anything_but_a_correct_bare_id(value):
    assert not is_valid_orcid(value)


@pytest.mark.parametrize(
    "value",
    [
        "0000-0002-1825-0097",
        "0000000218250097",
        " 0000-0002-1825-0097 ",
        "https://orcid.org/0000-0002-1825-0097",
        "http://orcid.org/0000-0002-1825-0097",
        "https://sandbox.orcid.org/0000-0002-1825-0097/",
        "orcid.org/0000-0002-1825-0097",
    ],
)
def test_normalize_accepts_the_uri_and_compact_forms(value):
    assert normalize(value) == "0000-0002-1825-0097"


def test_normalize_upper_cases_the_x_check_character():
    assert normalize("0000-0002-9079-593x") == "0000-0002-9079-593X"


@pytest.mark.parametrize(
    "value",
    ["0000-0002-1825-0098", "https://example.org/0000-0002-1825-0097", "abc", "", "0-0-0-0"],
)
def test_normalize_rejects_bad_ids_with_a_clear_message(value):
    with pytest.raises(OrcidUsageError, match="ORCID iD"):
        normalize(value)


def test_checksum_needs_exactly_fifteen_digits():
    with pytest.raises(OrcidUsageError, match="15 digits"):
        checksum("1234")
    with pytest.raises(OrcidUsageError):
        checksum("00000002182500a")


def test_to_uri_gives_the_full_https_form_for_display():
    assert to_uri("0000000218250097") == "https://orcid.org/0000-0002-1825-0097"
    assert to_uri("0000-0002-1825-0097", "https://sandbox.orcid.org/") == (
        "https://sandbox.orcid.org/0000-0002-1825-0097"
    )


def _format(digits: str) -> str:
    return "-".join(digits[i:i + 4] for i in range(0, 16, 4))


@settings(deadline=None)  # timing is not what these tests check
@given(st.text(alphabet="0123456789", min_size=15, max_size=15))
def test_any_fifteen_digits_plus_their_checksum_form_a_valid_id(base):
    orcid = _format(base + checksum(base))
    assert is_valid_orcid(orcid)
    assert normalize(orcid.replace("-", "")) == orcid


@settings(deadline=None)  # timing is not what these tests check
@given(
    st.text(alphabet="0123456789", min_size=15, max_size=15),
    st.integers(min_value=0, max_value=14),
    st.integers(min_value=1, max_value=9),
)
def test_changing_any_single_digit_is_detected(base, position, delta):
    # MOD 11-2 detects every single-digit substitution
    orcid = base + checksum(base)
    changed = list(orcid)
    changed[position] = str((int(changed[position]) + delta) % 10)
    assert not is_valid_orcid(_format("".join(changed)))
