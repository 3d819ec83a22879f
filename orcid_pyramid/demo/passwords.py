"""Password hashes for a deployed demo (``demo.password_hash``): no password is written in an
ini file or in the code, only its scrypt hash, which comes from the environment.

Written with ``hashlib.scrypt`` (the standard library) rather than a new dependency for one
check; the format is ``scrypt$N$r$p$salt$hash`` (base64). Make one with::

    python -m orcid_pyramid.demo.passwords          # asks for the password twice
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

N, R, P = 2**14, 8, 1


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def hash_password(password: str, *, salt: bytes | None = None) -> str:
    """The ``scrypt$...`` hash of ``password``."""
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=N, r=R, p=P, dklen=32)
    return f"scrypt${N}${R}${P}${_b64(salt)}${_b64(digest)}"


class PasswordHashError(ValueError):
    """A ``demo.password_hash`` value that is not a ``scrypt$...`` hash."""


def parse_hash(value: str) -> tuple[int, int, int, bytes, bytes]:
    """The parts of a hash; :class:`PasswordHashError` when it is not one of ours."""
    try:
        kind, n, r, p, salt, digest = value.split("$")
        if kind != "scrypt":
            raise ValueError(kind)
        return int(n), int(r), int(p), base64.b64decode(salt), base64.b64decode(digest)
    except ValueError:
        raise PasswordHashError("is not a scrypt$N$r$p$salt$hash value; make one with "
                                "python -m orcid_pyramid.demo.passwords") from None


def verify_password(password: str, stored: str) -> bool:
    """True when ``password`` matches the hash ``stored`` (constant-time comparison)."""
    n, r, p, salt, digest = parse_hash(stored)
    candidate = hashlib.scrypt((password or "").encode("utf-8"), salt=salt, n=n, r=r, p=p,
                               dklen=len(digest))
    return hmac.compare_digest(candidate, digest)


def _main() -> None:  # pragma: no cover - interactive
    import getpass

    first = getpass.getpass("Password for the demo accounts: ")
    if first != getpass.getpass("Again: "):
        raise SystemExit("the two passwords differ")
    print(hash_password(first))


if __name__ == "__main__":  # pragma: no cover
    _main()
