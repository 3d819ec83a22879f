"""OpenID Connect id_token verification against the emulator's real JWKS and tokens."""

from __future__ import annotations

import base64
import json

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from orcid_pyramid.client import Endpoints, OrcidClient, OrcidIdTokenError
from tests.functional.client.support import (
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    DEMO_ORCID,
    REDIRECT_URI,
)


@pytest.fixture
def token(connect):
    token = connect("openid /read-limited", nonce="nonce-123")
    assert token.id_token
    return token


@pytest.fixture
def id_token(token):
    return token.id_token


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _claims(token: str) -> dict:
    return jwt.decode(token, options={"verify_signature": False})


def test_a_genuine_id_token_verifies_and_gives_the_claims(client, id_token, emulator):
    claims = client.verify_id_token(id_token, nonce="nonce-123")
    assert claims["sub"] == DEMO_ORCID
    assert claims["aud"] == DEMO_CLIENT_ID
    assert claims["iss"] == emulator.base_url
    assert claims["given_name"] == "Josiah"


def test_the_jwks_is_fetched_once_and_cached(client, id_token, records):
    client.verify_id_token(id_token, nonce="nonce-123")
    client.verify_id_token(id_token)
    assert [r.kind for r in records].count("jwks") == 1


def test_a_wrong_nonce_is_rejected(client, id_token):
    with pytest.raises(OrcidIdTokenError, match="nonce"):
        client.verify_id_token(id_token, nonce="another-nonce")


def test_a_token_for_another_client_is_rejected(endpoints, id_token):
    other = OrcidClient(endpoints, "APP-SOMEONEELSE00001", "x-secret", redirect_uri=REDIRECT_URI)
    with pytest.raises(OrcidIdTokenError, match="aud"):
        other.verify_id_token(id_token, nonce="nonce-123")


def test_a_token_from_another_issuer_is_rejected(emulator, id_token):
    # same emulator reached under another host name: its tokens carry 127.0.0.1 as issuer
    localhost = Endpoints.for_environment(
        "emulator", base_url=emulator.base_url.replace("127.0.0.1", "localhost"))
    client = OrcidClient(localhost, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, redirect_uri=REDIRECT_URI)
    with pytest.raises(OrcidIdTokenError, match="iss"):
        client.verify_id_token(id_token, nonce="nonce-123")


def test_a_tampered_signature_is_rejected(client, id_token):
    header, payload, signature = id_token.split(".")
    flipped = ("A" if signature[10] != "A" else "B")
    tampered = f"{header}.{payload}.{signature[:10]}{flipped}{signature[11:]}"
    with pytest.raises(OrcidIdTokenError, match="signature"):
        client.verify_id_token(tampered, nonce="nonce-123")


def test_a_tampered_payload_is_rejected(client, id_token):
    header, _, signature = id_token.split(".")
    claims = dict(_claims(id_token), sub="0000-0001-5109-3700")
    with pytest.raises(OrcidIdTokenError, match="signature"):
        client.verify_id_token(f"{header}.{_b64(claims)}.{signature}", nonce="nonce-123")


def test_a_token_signed_with_a_foreign_key_is_rejected(client, id_token):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = jwt.encode(_claims(id_token), key, algorithm="RS256", headers={"kid": "forged-kid"})
    with pytest.raises(OrcidIdTokenError, match="unknown key"):
        client.verify_id_token(forged, nonce="nonce-123")


def test_an_unsigned_or_hmac_token_is_rejected(client, id_token):
    claims = _claims(id_token)
    unsigned = f"{_b64({'alg': 'none'})}.{_b64(claims)}."
    hmac = jwt.encode(claims, "demo-client-secret-as-hmac-key-32b", algorithm="HS256")
    for token in (unsigned, hmac):
        with pytest.raises(OrcidIdTokenError, match="RS256"):
            client.verify_id_token(token, nonce="nonce-123")


@pytest.mark.parametrize("garbage", ["", "abc", "a.b", "a.b.c", None])
def test_garbage_is_rejected_with_a_reason(client, garbage):
    with pytest.raises(OrcidIdTokenError):
        client.verify_id_token(garbage)


def test_at_hash_ties_the_id_token_to_its_access_token(client, token, connect):
    claims = client.verify_id_token(token.id_token, nonce="nonce-123",
                                    access_token=token.access_token)
    assert claims["sub"] == DEMO_ORCID
    other = connect("/read-limited")
    with pytest.raises(OrcidIdTokenError, match="at_hash"):
        client.verify_id_token(token.id_token, nonce="nonce-123",
                               access_token=other.access_token)
