"""Users, ORCID iDs and the ``demo`` seed.

iDs carry ISO 7064 MOD 11-2 check characters (orcid-facts/orcid-id.md) and are drawn from the range
ORCID assigns since 2023 (``0009-…``). The demo seed (docs/architecture.md) registers one member +
premium client and one researcher.
"""

from __future__ import annotations

import hmac
import re
import secrets

from .state import Client, EmulatorState

DEMO_CLIENT_ID = "APP-DEMOCLIENT000001"
DEMO_CLIENT_SECRET = "demo-client-secret"
DEMO_CLIENT_NAME = "orcid-pyramid demo"
DEMO_ORCID = "0000-0002-1825-0097"
DEMO_GIVEN, DEMO_FAMILY = "Josiah", "Carberry"
DEMO_EMAIL = "josiah.carberry@example.org"
DEMO_PASSWORD = "demo-password"

SEEDS = ("demo", "empty")
ORCID_RE = re.compile(r"^\d{4}-\d{4}-\d{4}-\d{3}[\dX]$")
_URI_PREFIX = re.compile(r"^https?://([a-z]+\.)*orcid\.org/", re.IGNORECASE)


def check_character(first15: str) -> str:
    """The MOD 11-2 check character for 15 digits."""
    total = 0
    for ch in first15:
        total = (total + int(ch)) * 2
    remainder = (12 - total % 11) % 11
    return "X" if remainder == 10 else str(remainder)


def valid_orcid(value: str) -> bool:
    """True for a well-formed iD whose check character is right."""
    if not isinstance(value, str) or not ORCID_RE.match(value):
        return False
    digits = value.replace("-", "")
    return check_character(digits[:15]) == digits[15]


def new_orcid(state: EmulatorState) -> str:
    """A fresh, valid iD not used in ``state``."""
    while True:
        digits = "0009" + f"{secrets.randbelow(10 ** 11):011d}"
        digits += check_character(digits)
        orcid = "-".join(digits[i:i + 4] for i in range(0, 16, 4))
        if state.record(orcid) is None:
            return orcid


def record_emails(record) -> list[str]:
    """The record's email addresses, lower-cased."""
    emails = getattr(record, "emails", None)
    if emails is None:
        email = getattr(record, "email", None)
        emails = [email] if email else []
    result = []
    for item in emails:
        value = item if isinstance(item, str) else getattr(item, "email", None)
        if value:
            result.append(value.lower())
    return result


def find_user(state: EmulatorState, login: str | None):
    """The record for an email address or iD (bare or as an orcid.org URI), or None."""
    if not login:
        return None
    value = _URI_PREFIX.sub("", login.strip())
    if ORCID_RE.match(value.upper()):
        return state.record(value.upper())
    wanted = value.lower()
    with state.lock:
        for record in state.records.values():
            if wanted in record_emails(record):
                return record
    return None


def check_password(record, password: str | None) -> bool:
    """Compare a password with the record's, in constant time."""
    if not password:
        return False
    checker = getattr(record, "check_password", None)
    if callable(checker):
        return bool(checker(password))
    stored = getattr(record, "password", None) or ""
    return hmac.compare_digest(stored.encode("utf-8"), password.encode("utf-8"))


def create_user(state: EmulatorState, given_names: str, family_names: str | None,
                email: str, password: str, orcid: str | None = None, **options):
    """Create a record (``records.new_record``, which takes the optional ``options``) and
    store it; return it."""
    from . import records  # imported late to keep imports cheap

    with state.lock:
        orcid = orcid or new_orcid(state)
        record = records.new_record(orcid=orcid, given_names=given_names,
                                    family_names=family_names, email=email, password=password,
                                    **options)
        state.records[orcid] = record
    return record


def add_client(state: EmulatorState, client_id: str, client_secret: str, name: str,
               redirect_uris=(), member: bool = True, premium: bool = False) -> Client:
    """Register a client."""
    client = Client(client_id=client_id, client_secret=client_secret, name=name,
                    redirect_uris=list(redirect_uris), member=member, premium=premium)
    with state.lock:
        state.clients[client_id] = client
    return client


def apply_seed(state: EmulatorState, seed: str | None) -> None:
    """Load a named seed into an empty state (``demo`` or ``empty``/None)."""
    if seed in (None, "", "empty"):
        return
    if seed != "demo":
        raise ValueError(f"unknown seed {seed!r}; known: {', '.join(SEEDS)}")
    add_client(state, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_CLIENT_NAME,
               member=True, premium=True)
    create_user(state, DEMO_GIVEN, DEMO_FAMILY, DEMO_EMAIL, DEMO_PASSWORD, orcid=DEMO_ORCID)


def credentials_text(seed: str | None, base_url: str) -> str:
    """What the command line prints about a seed."""
    lines = [f"ORCID sandbox emulator at {base_url}",
             f"  member API: {base_url}/api/v3.0/   token URL: {base_url}/oauth/token"]
    if seed == "demo":
        lines += [
            f"  client: {DEMO_CLIENT_ID} / {DEMO_CLIENT_SECRET} (member, premium; any "
            "redirect URI)",
            f"  researcher: {DEMO_ORCID} {DEMO_GIVEN} {DEMO_FAMILY} <{DEMO_EMAIL}> / "
            f"{DEMO_PASSWORD}",
        ]
    lines.append(f"  control API: {base_url}/_emulator/")
    return "\n".join(lines)
