"""Parts shared by ORCID items: the validation error, dates, external ids, organizations
and contributors, with their ORCID 3.0 JSON form.

Value objects here do not validate themselves when built; the item that holds them calls
their ``check(field)`` so that an error names the full path (``work.publication_date.month``)
and so that items read back from ORCID can be kept even when they break our rules.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from . import vocab


class OrcidValidationError(ValueError):
    """An item breaks one of ORCID's rules; ``field`` names the offending member."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}")


# characters XML 1.0 cannot carry (tab, newline and carriage return are fine)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


# -- small checks -------------------------------------------------------------------------


def check_text(field: str, value: Any, *, max_len: int, required: bool = False) -> None:
    """Check an optional (or required) string: non-blank when present, at most ``max_len``."""
    if value is None:
        if required:
            raise OrcidValidationError(field, "is required")
        return
    if not isinstance(value, str):
        raise OrcidValidationError(field, f"must be text, got {type(value).__name__}")
    if not value.strip():
        raise OrcidValidationError(field, "must not be blank")
    if _CONTROL.search(value):
        raise OrcidValidationError(field, "contains control characters that XML cannot carry")
    if len(value) > max_len:
        raise OrcidValidationError(
            field, f"is {len(value)} characters long; ORCID allows {max_len}"
        )


def check_url(field: str, value: Any, *, required: bool = False) -> None:
    """Check an absolute http(s) URL."""
    check_text(field, value, max_len=2084, required=required)
    if value is None:
        return
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or any(c.isspace() for c in value):
        raise OrcidValidationError(field, f"{value!r} is not an absolute http(s) URL")


def check_choice(field: str, value: Any, choices, *, what: str) -> None:
    """Check that ``value`` is one of ``choices``; the message lists them when few."""
    if value in choices:
        return
    listed = ", ".join(sorted(choices)) if len(choices) <= 20 else "see ORCID's list"
    raise OrcidValidationError(field, f"{value!r} is not a valid {what} ({listed})")


def check_country(field: str, value: Any) -> None:
    """Check an ISO 3166-1 alpha-2 country code (upper case, as ORCID stores it)."""
    if value is not None and value not in vocab.COUNTRIES:
        raise OrcidValidationError(field, f"{value!r} is not an ISO 3166-1 alpha-2 country code")


def check_language(field: str, value: Any) -> None:
    """Check an ORCID language code such as ``en`` or ``zh_CN``."""
    if value is not None and not (isinstance(value, str) and vocab.LANGUAGE_CODE.fullmatch(value)):
        raise OrcidValidationError(
            field, f"{value!r} is not a language code such as 'en' or 'zh_CN'"
        )


# -- JSON helpers -------------------------------------------------------------------------


def value_of(node: Any) -> Any:
    """ORCID wraps many scalars as ``{"value": x}``; return ``x`` (or the bare scalar)."""
    if isinstance(node, dict):
        return node.get("value")
    return node


def wrap(value: Any) -> dict | None:
    """The ``{"value": x}`` form, or None when there is no value."""
    return None if value is None else {"value": value}


def compact(pairs: list[tuple[str, Any]]) -> dict:
    """A dict of the pairs whose value is not None, in the given (ORCID's) order."""
    return {key: value for key, value in pairs if value is not None}


def _int_or_none(node: Any) -> int | None:
    raw = value_of(node)
    try:
        return None if raw in (None, "") else int(raw)
    except (TypeError, ValueError):
        return None


# -- dates --------------------------------------------------------------------------------

_DATE_TEXT = re.compile(r"([0-9]{4})(?:-([0-9]{1,2})(?:-([0-9]{1,2}))?)?")


@dataclass(frozen=True)
class FuzzyDate:
    """An ORCID date: a year, optionally a month, optionally a day."""

    year: int
    month: int | None = None
    day: int | None = None

    @classmethod
    def coerce(cls, value: Any, field: str = "date") -> FuzzyDate | None:
        """Accept a FuzzyDate, ``datetime.date``, an int year or ``"YYYY[-MM[-DD]]"``."""
        if value is None or isinstance(value, FuzzyDate):
            return value
        if isinstance(value, datetime.date):
            return cls(value.year, value.month, value.day)
        if isinstance(value, int) and not isinstance(value, bool):
            return cls(value)
        if isinstance(value, str):
            match = _DATE_TEXT.fullmatch(value.strip())
            if match:
                year, month, day = (int(g) if g else None for g in match.groups())
                return cls(year, month, day)
        raise OrcidValidationError(
            field, f"{value!r} is not a date (use YYYY, YYYY-MM or YYYY-MM-DD)"
        )

    def check(self, field: str) -> None:
        """Raise OrcidValidationError unless this is a real date within ORCID's range."""
        if not isinstance(self.year, int) or not 1900 <= self.year <= 2100:
            raise OrcidValidationError(f"{field}.year", f"{self.year!r} is outside 1900-2100")
        if self.day is not None and self.month is None:
            raise OrcidValidationError(f"{field}.day", "a day needs a month")
        if self.month is not None and not (isinstance(self.month, int) and 1 <= self.month <= 12):
            raise OrcidValidationError(f"{field}.month", f"{self.month!r} is not a month (1-12)")
        if self.day is not None:
            try:
                datetime.date(self.year, self.month, self.day)
            except (TypeError, ValueError):
                raise OrcidValidationError(
                    f"{field}.day",
                    f"{self.year:04d}-{self.month:02d}-{self.day!r} is not a real date",
                ) from None

    def parts(self) -> tuple[int, ...]:
        """(year[, month[, day]]) — the precision the date was given with."""
        return tuple(p for p in (self.year, self.month, self.day) if p is not None)

    def to_json(self) -> dict:
        """``{"year": {"value": "2021"}, "month": {"value": "01"}, ...}``."""
        return compact(
            [
                ("year", wrap(f"{self.year:04d}")),
                ("month", wrap(None if self.month is None else f"{self.month:02d}")),
                ("day", wrap(None if self.day is None else f"{self.day:02d}")),
            ]
        )

    @classmethod
    def from_json(cls, data: Any) -> FuzzyDate | None:
        """Parse ORCID's date object; None for null or a date without a year."""
        if not isinstance(data, dict):
            return None
        year = _int_or_none(data.get("year"))
        if year is None:
            return None
        return cls(year, _int_or_none(data.get("month")), _int_or_none(data.get("day")))


def check_date_range(field: str, start: FuzzyDate | None, end: FuzzyDate | None) -> None:
    """ORCID's rule 9050 (an end date needs a start date) and end not before start."""
    if start is not None:
        start.check(f"{field}start_date")
    if end is None:
        return
    end.check(f"{field}end_date")
    if start is None:
        raise OrcidValidationError(f"{field}end_date", "an end date needs a start date")
    common = min(len(start.parts()), len(end.parts()))
    if end.parts()[:common] < start.parts()[:common]:
        raise OrcidValidationError(f"{field}end_date", "the end date is before the start date")


# -- external identifiers -----------------------------------------------------------------


@dataclass(frozen=True)
class ExternalId:
    """An external identifier (DOI, grant number, ...) and its relationship to the item."""

    type: str
    value: str
    relationship: str = "self"
    url: str | None = None

    def check(self, field: str, *, known_types: bool = True) -> None:
        """Check type (against ORCID's list for activities), value, relationship and URL."""
        check_text(f"{field}.type", self.type, max_len=500, required=True)
        if known_types:
            check_choice(
                f"{field}.type", self.type, vocab.EXTERNAL_ID_TYPES, what="external id type"
            )
        check_text(f"{field}.value", self.value, max_len=2084, required=True)
        check_choice(
            f"{field}.relationship", self.relationship, vocab.RELATIONSHIPS, what="relationship"
        )
        check_url(f"{field}.url", self.url)

    def to_json(self) -> dict:
        """One ``external-id`` object."""
        return compact(
            [
                ("external-id-type", self.type),
                ("external-id-value", self.value),
                ("external-id-url", wrap(self.url)),
                ("external-id-relationship", self.relationship),
            ]
        )

    @classmethod
    def from_json(cls, data: dict) -> ExternalId:
        """Parse one ``external-id`` object (normalized forms are ORCID's, and ignored)."""
        return cls(
            type=data.get("external-id-type"),
            value=data.get("external-id-value"),
            relationship=data.get("external-id-relationship"),
            url=value_of(data.get("external-id-url")),
        )


def as_tuple(field: str, value: Any) -> tuple:
    """A list-like value as a tuple (None gives ``()``); anything else is an error."""
    if value is None:
        return ()
    if isinstance(value, (str, bytes, dict)) or not isinstance(value, Iterable):
        # a lone ExternalId/Contributor instead of a list is an easy slip: say so
        raise OrcidValidationError(field, "must be a list")
    return tuple(value)


def normalize_external_ids(field: str, ids: Any) -> tuple:
    """Activity external ids in ORCID's spelling: lower-case type and relationship, trimmed
    value (``DOI`` -> ``doi``). Person external identifiers keep their free-text type."""
    found = []
    for eid in as_tuple(field, ids):
        if isinstance(eid, ExternalId):
            eid = ExternalId(
                eid.type.strip().lower() if isinstance(eid.type, str) else eid.type,
                eid.value.strip() if isinstance(eid.value, str) else eid.value,
                eid.relationship.strip().lower()
                if isinstance(eid.relationship, str)
                else eid.relationship,
                eid.url,
            )
        found.append(eid)
    return tuple(found)


def external_ids_to_json(ids: tuple[ExternalId, ...]) -> dict:
    """The ``external-ids`` wrapper."""
    return {"external-id": [eid.to_json() for eid in ids]}


def external_ids_from_json(data: Any) -> tuple[ExternalId, ...]:
    """Parse the ``external-ids`` wrapper (null or missing gives no ids)."""
    if not isinstance(data, dict):
        return ()
    return tuple(ExternalId.from_json(item) for item in data.get("external-id") or ())


def check_external_ids(
    field: str, ids: tuple[ExternalId, ...], *, known_types: bool = True
) -> None:
    """Check each external id and refuse the same (type, value, relationship) twice."""
    seen = set()
    for index, eid in enumerate(ids):
        if not isinstance(eid, ExternalId):
            raise OrcidValidationError(f"{field}[{index}]", "must be an ExternalId")
        eid.check(f"{field}[{index}]", known_types=known_types)
        key = (eid.type, eid.value, eid.relationship)
        if key in seen:
            raise OrcidValidationError(
                f"{field}[{index}]", f"{eid.type} {eid.value!r} is listed twice"
            )
        seen.add(key)
