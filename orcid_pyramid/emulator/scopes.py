"""ORCID scopes: which exist, who may ask for them, and what implies what
(orcid-facts/scopes.md)."""

from __future__ import annotations

#: scopes a user grants at ``/oauth/authorize`` (three-legged)
THREE_LEGGED = frozenset({
    "/authenticate", "openid", "/read-limited", "/activities/update", "/person/update",
    "/activities/read-limited", "/person/read-limited", "/email/read-private",
})
#: scopes of the client-credentials grant
CLIENT_CREDENTIALS = frozenset({
    "/read-public", "/webhook", "/premium-notification", "/group-id-record/read",
    "/group-id-record/update",
})
MEMBER_ONLY = frozenset({
    "/read-limited", "/activities/update", "/person/update", "/activities/read-limited",
    "/person/read-limited", "/email/read-private", "/webhook", "/premium-notification",
    "/group-id-record/read", "/group-id-record/update",
})
PREMIUM_ONLY = frozenset({"/webhook", "/premium-notification"})
KNOWN = THREE_LEGGED | CLIENT_CREDENTIALS

#: scope -> the scopes it includes (ScopePathType)
_IMPLIES = {
    "openid": {"/authenticate", "/read-public"},
    "/authenticate": {"/read-public"},
    "/read-limited": {"/activities/read-limited", "/person/read-limited", "/read-public"},
    "/activities/read-limited": {"/read-public"},
    "/person/read-limited": {"/read-public"},
    "/activities/update": {"/read-public"},
    "/person/update": {"/read-public"},
    "/premium-notification": {"/basic-notification"},
}

SCOPE_WORDS = {
    "/authenticate": "Get your ORCID iD",
    "openid": "Get your ORCID iD (sign in with ORCID)",
    "/read-limited": "Read your information with visibility set to Trusted Organizations",
    "/activities/update": "Add or update your research activities (works, affiliations, funding)",
    "/person/update": "Add or update your biographical information",
    "/activities/read-limited": "Read your research activities set to Trusted Organizations",
    "/person/read-limited": "Read your biographical information set to Trusted Organizations",
    "/email/read-private": "Read your private email addresses",
}


def split_scope(text: str | None) -> list[str]:
    """Split a scope parameter (space- or plus-separated) keeping order, without duplicates."""
    seen: list[str] = []
    for item in (text or "").replace("+", " ").split():
        if item not in seen:
            seen.append(item)
    return seen


def expand(scopes) -> frozenset[str]:
    """The scopes together with everything they imply."""
    result = set(scopes)
    for scope in scopes:
        result |= _IMPLIES.get(scope, set())
    return frozenset(result)


def covers(held, wanted) -> bool:
    """True when a token holding ``held`` already grants every scope in ``wanted``."""
    return set(wanted) <= expand(held)


def check_for_client(scopes, member: bool, premium: bool) -> str | None:
    """The first scope this client may not have, or None."""
    for scope in scopes:
        if scope not in KNOWN:
            return scope
        if scope in MEMBER_ONLY and not member:
            return scope
        if scope in PREMIUM_ONLY and not premium:
            return scope
    return None


def describe(scopes) -> list[str]:
    """The scopes in words, for the consent page."""
    return [SCOPE_WORDS.get(s, s) for s in scopes]


def join(scopes) -> str:
    """The scope string as ORCID answers it."""
    return " ".join(sorted(scopes))
