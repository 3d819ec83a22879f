"""The base of every ORCID item builder: validation on construction, JSON, hash, XML."""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, ClassVar

from . import vocab
from .common import OrcidValidationError, as_tuple, value_of

# Set while ``from_json(strict=False)`` builds an item: records read from ORCID may hold
# data entered by the user or other clients that our write rules would refuse, and
# Collect must still be able to show it. A ContextVar keeps this per thread/task.
_LENIENT: ContextVar[bool] = ContextVar("orcid_builders_lenient", default=False)


@contextmanager
def lenient() -> Iterator[None]:
    """Build items without running the write rules (for data read back from ORCID)."""
    token = _LENIENT.set(True)
    try:
        yield
    finally:
        _LENIENT.reset(token)


@dataclass(frozen=True)
class OrcidItem:
    """Common behaviour of ORCID 3.0 items (works, affiliations, fundings, person items).

    Subclasses are frozen dataclasses; ``__post_init__`` normalizes (aliases, tuples) and
    validates, raising :class:`OrcidValidationError`. The metadata fields (put code,
    visibility, source) are keyword-only and take no part in equality or the content hash.
    """

    section: ClassVar[str] = ""  # API path kind for one item: "work", "employment", ...
    read_section: ClassVar[str] = ""  # API path of the section summary: "works", ...

    put_code: int | None = field(default=None, kw_only=True, compare=False)
    visibility: str | None = field(default=None, kw_only=True, compare=False)
    source_client_id: str | None = field(default=None, kw_only=True, compare=False)
    source_orcid: str | None = field(default=None, kw_only=True, compare=False)
    source_name: str | None = field(default=None, kw_only=True, compare=False)

    def __post_init__(self) -> None:
        self._normalize()
        if not _LENIENT.get():
            self.validate()

    # -- to be provided by subclasses ---------------------------------------------------
    def _normalize(self) -> None:
        """Bring inputs to ORCID's canonical form (called before validation)."""

    def _validate_content(self) -> None:
        raise NotImplementedError

    def content_json(self) -> dict:
        """The item's ORCID 3.0 JSON without put code."""
        raise NotImplementedError

    @classmethod
    def _fields_from_json(cls, data: dict) -> dict:
        raise NotImplementedError

    # -- shared behaviour ---------------------------------------------------------------
    def _set(self, name: str, value: Any) -> None:
        # frozen dataclass: normalization happens once, during construction
        object.__setattr__(self, name, value)

    def _tuple(self, name: str) -> None:
        self._set(name, as_tuple(f"{self.section}.{name}", getattr(self, name)))

    def validate(self) -> None:
        """Raise :class:`OrcidValidationError` if the item breaks one of ORCID's rules."""
        _check_put_code(self.section, self.put_code)
        if self.visibility is not None and self.visibility not in vocab.VISIBILITIES:
            raise OrcidValidationError(
                f"{self.section}.visibility", f"{self.visibility!r} is not a visibility"
            )
        self._validate_content()

    def to_json(self) -> dict:
        """ORCID 3.0 JSON body; carries ``put-code`` when the item has one (for PUT)."""
        body = self.content_json()
        if self.put_code is not None:
            body = {"put-code": self.put_code, **body}
        return body

    def content_hash(self) -> str:
        """sha256 (hex) of the canonical JSON content, put code and metadata excluded."""
        canonical = json.dumps(
            self.content_json(), sort_keys=True, separators=(",", ":"), ensure_ascii=False
        )
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()

    def to_xml(self) -> bytes:
        """ORCID 3.0 XML body (namespaces and the XSD's element order)."""
        from .xml import item_to_xml  # imported here: xml.py renders these classes

        return item_to_xml(self)

    def with_put_code(self, put_code: int | None):
        """A copy of this item carrying ``put_code`` (for a PUT).

        The content is not validated again, so this works on items parsed leniently too.
        """
        _check_put_code(self.section, put_code)
        twin = copy.copy(self)  # a shallow copy skips __init__, hence the content checks
        object.__setattr__(twin, "put_code", put_code)
        return twin

    @classmethod
    def from_json(cls, data: Any, *, strict: bool = True):
        """Parse an ORCID 3.0 JSON item (full item or summary).

        With ``strict=False`` the item is kept even if it breaks our write rules (data
        entered on ORCID by the user or another client); ``validate()`` can be run later.
        """
        if not isinstance(data, dict):
            raise OrcidValidationError(cls.section, "expected a JSON object")
        try:
            kwargs = cls._fields_from_json(data)
        except (AttributeError, TypeError, KeyError) as exc:
            raise OrcidValidationError(
                cls.section, f"is not an ORCID 3.0 {cls.section} object ({exc})"
            ) from None
        if strict:
            return cls(**kwargs, **meta_from_json(data))
        with lenient():
            return cls(**kwargs, **meta_from_json(data))


def _check_put_code(section: str, put_code: Any) -> None:
    if put_code is not None and (
        isinstance(put_code, bool) or not isinstance(put_code, int) or put_code <= 0
    ):
        raise OrcidValidationError(f"{section}.put_code", f"{put_code!r} is not a put code")


def meta_from_json(data: dict) -> dict:
    """Put code, visibility and source of an item read from ORCID."""
    source = data.get("source") or {}
    client = source.get("source-client-id") or {}
    orcid = source.get("source-orcid") or {}
    put_code = data.get("put-code")
    try:
        put_code = None if put_code is None else int(put_code)
    except (TypeError, ValueError):
        put_code = None
    return {
        "put_code": put_code,
        "visibility": data.get("visibility"),
        "source_client_id": client.get("path"),
        "source_orcid": orcid.get("path"),
        "source_name": value_of(source.get("source-name")),
    }
