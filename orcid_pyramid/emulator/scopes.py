"""ORCID scopes: which exist, who may ask for them, and what implies what
(orcid-facts/scopes.md)."""

from __future__ import annotations

_AFFILIATIONS = frozenset({"distinction", "education", "employment", "invited-position",
                           "membership", "qualification", "service"})
#: 1.2-era scopes ORCID still grants at authorize, honoured on v3.0 as the part of their v3.0
#: equivalent they named (orcid-facts/scopes.md#legacy-scopes): scope -> (v3.0 scope, the
#: activity sections it writes, or None for all of the v3.0 scope)
LEGACY = {
    "/orcid-bio/update": ("/person/update", None),
    "/orcid-works/create": ("/activities/update", frozenset({"work"})),
    "/orcid-works/update": ("/activities/update", frozenset({"work"})),
    "/affiliations/create": ("/activities/update", _AFFILIATIONS),
    "/affiliations/update": ("/activities/update", _AFFILIATIONS),
    "/funding/create": ("/activities/update", frozenset({"funding"})),
    "/funding/update": ("/activities/update", frozenset({"funding"})),
    "/orcid-profile/read-limited": ("/read-limited", None),
}
#: scopes a user grants at ``/oauth/authorize`` (three-legged)
THREE_LEGGED = frozenset({
    "/authenticate", "openid", "/read-limited", "/activities/update", "/person/update",
    "/activities/read-limited", "/person/read-limited", "/email/read-private",
}) | frozenset(LEGACY)
#: scopes of the client-credentials grant
CLIENT_CREDENTIALS = frozenset({
    "/read-public", "/webhook", "/premium-notification", "/group-id-record/read",
    "/group-id-record/update",
})
MEMBER_ONLY = frozenset({
    "/read-limited", "/activities/update", "/person/update", "/activities/read-limited",
    "/person/read-limited", "/email/read-private", "/webhook", "/premium-notification",
    "/group-id-record/read", "/group-id-record/update",
}) | frozenset(LEGACY)
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
    **{legacy: {"/read-public"} | ({v3} if sections is None else set())
       for legacy, (v3, sections) in LEGACY.items()},
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
    "/orcid-bio/update": "Update your biographical information",
    "/orcid-works/create": "Add works to your record",
    "/orcid-works/update": "Update works on your record",
    "/affiliations/create": "Add affiliations to your record",
    "/affiliations/update": "Update affiliations on your record",
    "/funding/create": "Add funding to your record",
    "/funding/update": "Update funding on your record",
    "/orcid-profile/read-limited": "Read your information with visibility set to Trusted "
                                   "Organizations",
}


def split_scope(text: str | None) -> list[str]:
    """Split a scope parameter (space- or plus-separated) keeping order, without duplicates."""
    seen: list[str] = []
    for item in (text or "").replace("+", " ").split():
        if item not in seen:
            seen.append(item)
    return seen


def expand(scopes) -> frozenset[str]:
    """The scopes together with everything they imply, transitively."""
    result, todo = set(), list(scopes)
    while todo:
        scope = todo.pop()
        if scope not in result:
            result.add(scope)
            todo.extend(_IMPLIES.get(scope, ()))
    return frozenset(result)


def may_write(held, needed: str, section: str) -> bool:
    """Whether expanded scopes ``held`` allow a write needing ``needed`` on ``section``: the
    v3.0 scope itself, or a 1.2-era scope naming that section."""
    return needed in held or any(
        LEGACY[s][0] == needed and LEGACY[s][1] is not None and section in LEGACY[s][1]
        for s in held if s in LEGACY)


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
