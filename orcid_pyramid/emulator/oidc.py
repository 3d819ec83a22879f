"""OpenID Connect: discovery, JWKS, userinfo and RS256 id_tokens (orcid-facts/openid-connect.md).

The RSA key is generated once per process on first use (nothing happens at import time) and
published under a ``kid`` shaped like ORCID's (``<env>-orcid-org-<32 chars>``).
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import string
import threading
import uuid

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from webob import Request, Response

from .errors import invalid_token_body
from .responses import json_response, oauth_error
from .state import Client, EmulatorState, Token

ID_TOKEN_SECONDS = 86400
_key_lock = threading.Lock()
_key: dict = {}


def signing_key():
    """(private key, kid), made once per process."""
    with _key_lock:
        if not _key:
            _key["private"] = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            alphabet = string.ascii_lowercase + string.digits
            _key["kid"] = "emulator-orcid-org-" + "".join(
                secrets.choice(alphabet) for _ in range(32))
        return _key["private"], _key["kid"]


def public_name(record) -> str | None:
    """The record's public name (given + family), or None."""
    if record is None:
        return None
    if hasattr(record, "display_name"):  # honours the name's visibility
        return record.display_name
    parts = [getattr(record, "given_names", None), getattr(record, "family_names", None)]
    return " ".join(p for p in parts if p) or None


def _public_part(record, attr: str) -> str | None:
    """A name part for id_token/userinfo claims, only when the name is public."""
    if record is None or getattr(record, "name_visibility", "public") != "public":
        return None
    return getattr(record, attr, None)


def issuer(request: Request) -> str:
    """The emulator's own base URL (honours SCRIPT_NAME)."""
    return request.application_url


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def id_token(state: EmulatorState, request: Request, client: Client, record,
             token: Token | None, nonce: str | None = None, auth_time: float | None = None,
             orcid: str | None = None) -> str:
    """Sign an id_token for ``token`` (claims as ORCID's OpenIDConnectTokenEnhancer); without
    a token (implicit ``response_type=id_token``) for ``orcid``, with no ``at_hash``."""
    key, kid = signing_key()
    now = int(state.now())
    at_hash = None
    if token is not None:
        digest = hashlib.sha256(token.access_token.encode("ascii")).digest()
        at_hash = _b64(digest[: len(digest) // 2])
    claims = {
        "at_hash": at_hash,
        "aud": client.client_id,
        "sub": token.orcid if token is not None else orcid,
        "auth_time": int(auth_time if auth_time is not None else now),
        "iss": issuer(request),
        "exp": now + ID_TOKEN_SECONDS,
        "given_name": _public_part(record, "given_names"),
        "family_name": _public_part(record, "family_names"),
        "iat": now,
        "jti": str(uuid.uuid4()),
    }
    if nonce:
        claims["nonce"] = nonce
    if client.member:
        claims["amr"] = "pwd"
    claims = {k: v for k, v in claims.items() if v is not None}  # private names are left out
    # ORCID's header is {"kid", "alg"} only: typ=None drops PyJWT's default "typ": "JWT"
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": kid, "typ": None})


def jwks(request: Request, state: EmulatorState) -> Response:
    """``GET /oauth/jwks``."""
    key, kid = signing_key()
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    return _cors(request, json_response(
        {"keys": [{"kty": "RSA", "e": jwk["e"], "use": "sig", "kid": kid, "n": jwk["n"]}]}))


def discovery(request: Request, state: EmulatorState) -> Response:
    """``GET /.well-known/openid-configuration`` (field order as ORCID's, issuer last)."""
    base = issuer(request)
    doc = {
        "token_endpoint_auth_signing_alg_values_supported": ["RS256"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "userinfo_endpoint": f"{base}/oauth/userinfo",
        "authorization_endpoint": f"{base}/oauth/authorize",
        "token_endpoint": f"{base}/oauth/token",
        "jwks_uri": f"{base}/oauth/jwks",
        "claims_supported": ["family_name", "given_name", "name", "auth_time", "iss", "sub"],
        "scopes_supported": ["openid"],
        "subject_types_supported": ["public"],
        "response_types_supported": ["code", "id_token", "id_token token"],
        "claims_parameter_supported": False,
        "token_endpoint_auth_methods_supported": ["client_secret_post"],
        "grant_types_supported": ["authorization_code", "implicit", "refresh_token"],
        "issuer": base,
    }
    return _cors(request, json_response(doc))


def bearer(request: Request) -> str | None:
    """The bearer token of the request, or None."""
    header = request.headers.get("Authorization", "")
    if header[:7].lower() == "bearer ":
        return header[7:].strip() or None
    return None


def userinfo(request: Request, state: EmulatorState) -> Response:
    """``GET|POST /oauth/userinfo``."""
    if request.method not in ("GET", "POST"):
        return oauth_error("invalid_request", f"Request method '{request.method}' is not "
                           "supported", 405)
    value = bearer(request)
    token = state.find_token(value)
    if token is None or not token.live(state.now()) or token.orcid is None:
        body = invalid_token_body(value, token.revoke_reason if token else None) if value \
            else {"error": "invalid_token", "error_description": "Invalid access token"}
        return oauth_error(body["error"], body["error_description"], 401)
    if not {"openid", "/authenticate"} & set(token.scopes):
        # ORCID's 2026 answer uses a hyphenated key here
        return _cors(request, json_response(
            {"error": "access_denied", "error-description": "access_token is invalid"}, 403))
    record = state.record(token.orcid)
    base = issuer(request)
    body = {
        "id": f"{base}/{token.orcid}",
        "sub": token.orcid,
        "name": public_name(record),
        "family_name": _public_part(record, "family_names"),
        "given_name": _public_part(record, "given_names"),
    }
    return _cors(request, json_response(body))


def _cors(request: Request, response: Response) -> Response:
    origin = request.headers.get("Origin")
    if origin:
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Allow-Credentials"] = "true"
    return response
