"""The token endpoint's answer as an immutable object that knows its expiry
(orcid-facts/oauth.md#token)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from .errors import OrcidMalformedResponse

REDACTED = "[redacted]"

#: The add-on's one table of ORCID's scope hierarchy: a granted scope also grants these
#: (ORCID's ScopePathType, folded transitively; orcid-facts/scopes.md). ``/read-limited``
#: covers ``/read-public`` through the per-section read-limited scopes it includes.
IMPLIED_SCOPES: dict[str, frozenset[str]] = {
    "openid": frozenset({"/authenticate", "/read-public"}),
    "/authenticate": frozenset({"/read-public"}),
    "/read-limited": frozenset(
        {"/activities/read-limited", "/person/read-limited", "/read-public"}
    ),
    "/activities/read-limited": frozenset({"/read-public"}),
    "/person/read-limited": frozenset({"/read-public"}),
    "/activities/update": frozenset({"/read-public"}),
    "/person/update": frozenset({"/read-public"}),
    "/premium-notification": frozenset({"/basic-notification"}),
    # 1.2-era scopes ORCID still grants (orcid-facts/scopes.md#legacy-scopes): the whole of
    # their v3.0 equivalent where they named all of it; the per-section ones (works,
    # affiliations, funding) grant only part of /activities/update, so not the scope itself
    "/orcid-bio/update": frozenset({"/person/update", "/read-public"}),
    "/orcid-profile/read-limited": frozenset(
        {"/read-limited", "/activities/read-limited", "/person/read-limited", "/read-public"}
    ),
    **{legacy: frozenset({"/read-public"}) for legacy in (
        "/orcid-works/create", "/orcid-works/update", "/affiliations/create",
        "/affiliations/update", "/funding/create", "/funding/update")},
}


def split_scope(scope: str | Iterable[str] | None) -> frozenset[str]:
    """A scope string (space- or comma-separated) or iterable as a set of scope names."""
    if scope is None:
        return frozenset()
    if isinstance(scope, str):
        scope = scope.replace(",", " ").split()
    return frozenset(s.strip() for s in scope if s and s.strip())


def expand_scopes(scopes: Iterable[str]) -> frozenset[str]:
    """``scopes`` plus every scope they imply."""
    result = set(scopes)
    for scope in list(result):
        result |= IMPLIED_SCOPES.get(scope, frozenset())
    return frozenset(result)


@dataclass(frozen=True)
class TokenResponse:
    """One token response. Secrets are left out of ``repr``; ``raw`` is never logged."""

    access_token: str = field(repr=False)
    token_type: str
    refresh_token: str | None = field(repr=False)
    expires_in: int | None
    expires_at: datetime | None
    scope: str
    scopes: frozenset[str]
    name: str | None
    orcid: str | None
    id_token: str | None = field(default=None, repr=False)
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, now: datetime | None = None) -> TokenResponse:
        """Build from the token JSON; ``expires_at`` = receipt time + ``expires_in``.

        A missing, null or blank ``name`` (private name, client credentials) becomes None;
        a missing access token is a malformed answer.
        """
        if not isinstance(data, Mapping):
            raise OrcidMalformedResponse("ORCID's token answer is not a JSON object")
        access_token = data.get("access_token")
        if not isinstance(access_token, str) or not access_token:
            raise OrcidMalformedResponse("ORCID's token answer has no access_token")
        now = now or datetime.now(UTC)
        expires_in = _int_or_none(data.get("expires_in"))
        try:
            expires_at = now + timedelta(seconds=expires_in) if expires_in is not None else None
        except OverflowError:
            raise OrcidMalformedResponse(
                f"ORCID's token answer has an impossible expires_in: {expires_in}") from None
        scope = _str_or_none(data.get("scope"), "scope") or ""
        return cls(
            access_token=access_token,
            token_type=_str_or_none(data.get("token_type"), "token_type") or "bearer",
            refresh_token=_str_or_none(data.get("refresh_token"), "refresh_token"),
            expires_in=expires_in,
            expires_at=expires_at,
            scope=scope,
            scopes=split_scope(scope),
            name=_str_or_none(data.get("name"), "name"),
            orcid=_str_or_none(data.get("orcid"), "orcid"),
            id_token=_str_or_none(data.get("id_token"), "id_token"),
            raw=dict(data),
        )

    def covers(self, scopes: str | Iterable[str]) -> bool:
        """True when this token's scopes (with the ones they imply) include ``scopes``."""
        return split_scope(scopes) <= expand_scopes(self.scopes)

    def expired(self, now: datetime | None = None) -> bool:
        """True once ``expires_at`` has passed (False when ORCID gave no expiry)."""
        if self.expires_at is None:
            return False
        return (now or datetime.now(UTC)) >= self.expires_at

    def redacted(self) -> dict[str, Any]:
        """Every field for display, with the token values replaced by ``[redacted]``."""
        return {
            "access_token": REDACTED,
            "token_type": self.token_type,
            "refresh_token": REDACTED if self.refresh_token else None,
            "expires_in": self.expires_in,
            "expires_at": self.expires_at.isoformat() if self.expires_at else None,
            "scope": self.scope,
            "scopes": sorted(self.scopes),
            "name": self.name,
            "orcid": self.orcid,
            "id_token": REDACTED if self.id_token else None,
        }


def _int_or_none(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise OrcidMalformedResponse(f"ORCID's token answer has a bad expires_in: {value!r}")
    try:
        return int(value)
    except (TypeError, ValueError, OverflowError):
        raise OrcidMalformedResponse(
            f"ORCID's token answer has a bad expires_in: {value!r}"
        ) from None


def _str_or_none(value: Any, field_name: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise OrcidMalformedResponse(
            f"ORCID's token answer has a {type(value).__name__} where {field_name} should be text"
        )
    return value.strip() or None
