"""OpenID Connect id_token verification with PyJWT and ORCID's JWKS (orcid-facts/openid-connect.md).

The JWKS is fetched through the client's transport (so the call is logged and has a
timeout) and cached; an unknown ``kid`` triggers one refetch (key rotation), at most once
per ``min_refetch_seconds``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import threading
import time
from typing import Any

import jwt

from .errors import OrcidIdTokenError, OrcidMalformedResponse
from .http import Transport

ALGORITHMS = ["RS256"]
REQUIRED_CLAIMS = ["iss", "aud", "sub", "exp", "iat"]


class JwksCache:
    """The signing keys of one ORCID environment, by ``kid``."""

    def __init__(self, transport: Transport, jwks_url: str, *, min_refetch_seconds: float = 60.0):
        self._transport = transport
        self._url = jwks_url
        self._keys: dict[str, Any] = {}
        self._fetched_at: float | None = None
        self._lock = threading.Lock()
        self._min_refetch = min_refetch_seconds

    def key_for(self, kid: str | None) -> Any:
        """The public key for ``kid`` (the only key when the token names none)."""
        with self._lock:
            if self._fetched_at is None:
                self._fetch()
            key = self._pick(kid)
            if key is None and time.monotonic() - (self._fetched_at or 0) >= self._min_refetch:
                self._fetch()
                key = self._pick(kid)
        if key is None:
            raise OrcidIdTokenError(f"id_token signed with an unknown key (kid {kid!r})")
        return key

    def _pick(self, kid: str | None) -> Any:
        if kid is not None:
            return self._keys.get(kid)
        return next(iter(self._keys.values())) if len(self._keys) == 1 else None

    def _fetch(self) -> None:
        response = self._transport.request("GET", self._url, kind="jwks",
                                           headers={"Accept": "application/json"})
        try:
            data = response.json()
            keys = jwt.PyJWKSet.from_dict(data).keys
        except (ValueError, jwt.PyJWTError) as exc:
            raise OrcidMalformedResponse(f"ORCID's JWKS could not be read: {exc}") from None
        self._keys = {k.key_id or f"key-{i}": k.key for i, k in enumerate(keys)}
        self._fetched_at = time.monotonic()


def verify_id_token(
    id_token: str,
    *,
    jwks: JwksCache,
    issuer: str,
    client_id: str,
    nonce: str | None = None,
    leeway: float = 60,
    access_token: str | None = None,
) -> dict[str, Any]:
    """The verified claims of ``id_token`` or :class:`OrcidIdTokenError` saying why not.

    Checks the RS256 signature, ``iss`` == ``issuer``, ``aud`` == ``client_id``, ``exp`` and
    ``iat`` (with ``leeway`` seconds), ``nonce`` when one was sent at authorization, and
    ``at_hash`` against ``access_token`` when both are present.
    """
    if not isinstance(id_token, str) or id_token.count(".") != 2:
        raise OrcidIdTokenError("the id_token is not a JWT")
    try:
        header = jwt.get_unverified_header(id_token)
    except jwt.PyJWTError as exc:
        raise OrcidIdTokenError(f"the id_token header cannot be read: {exc}") from None
    if header.get("alg") not in ALGORITHMS:
        raise OrcidIdTokenError(f"the id_token uses algorithm {header.get('alg')!r}, not RS256")
    key = jwks.key_for(header.get("kid"))
    try:
        claims = jwt.decode(
            id_token,
            key,
            algorithms=ALGORITHMS,
            audience=client_id,
            issuer=issuer,
            leeway=leeway,
            options={"require": REQUIRED_CLAIMS},
        )
    except jwt.InvalidAudienceError:
        raise OrcidIdTokenError("the id_token was issued to another client (aud)") from None
    except jwt.InvalidIssuerError:
        raise OrcidIdTokenError("the id_token comes from another issuer (iss)") from None
    except jwt.ExpiredSignatureError:
        raise OrcidIdTokenError("the id_token has expired (exp)") from None
    except jwt.ImmatureSignatureError:
        raise OrcidIdTokenError("the id_token is not valid yet (iat/nbf)") from None
    except jwt.InvalidSignatureError:
        raise OrcidIdTokenError("the id_token signature does not verify") from None
    except jwt.MissingRequiredClaimError as exc:
        raise OrcidIdTokenError(f"the id_token lacks the {exc.claim!r} claim") from None
    except jwt.PyJWTError as exc:
        raise OrcidIdTokenError(f"the id_token is invalid: {type(exc).__name__}") from None
    if nonce is not None and claims.get("nonce") != nonce:
        raise OrcidIdTokenError("the id_token nonce does not match the one sent (replay?)")
    if access_token is not None and "at_hash" in claims:
        if not hmac.compare_digest(str(claims["at_hash"]), at_hash(access_token)):
            raise OrcidIdTokenError("the id_token belongs to another access token (at_hash)")
    return claims


def at_hash(access_token: str) -> str:
    """OIDC ``at_hash`` for RS256: base64url of the left half of SHA-256 (no padding).

    Written here because PyJWT has no helper for it (OpenID Connect Core §3.1.3.6).
    """
    digest = hashlib.sha256(access_token.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest[: len(digest) // 2]).rstrip(b"=").decode("ascii")
