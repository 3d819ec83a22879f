"""The startup lint: settings that would make the integration fail ORCID's review or break.

``lint(s)`` returns every problem at once; ``check_or_raise(s)`` raises one
``ConfigurationError`` that lists them. Each :class:`LintProblem` names the setting, what is
wrong and how to fix it, so ``orcid-pyramid check`` can print one line per problem.
Checklist IDs: DM-2 (HTTPS), DM-3 (root token URI), REV-1 (message version 3.0).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from cryptography.fernet import Fernet
from pyramid.exceptions import ConfigurationError
from pyramid.path import DottedNameResolver

from .client.endpoints import is_loopback_host

if TYPE_CHECKING:
    from orcid_pyramid.settings import OrcidSettings

POLICIES = ("respect", "re-add")
# ORCID's published Member API limit; going over it earns 503s (orcid-facts/rate-limits.md).
ORCID_MAX_RATE, ORCID_MAX_BURST = 24.0, 40
PRODUCTION_HOSTS = frozenset({"orcid.org", "api.orcid.org", "pub.orcid.org"})
USER_SCOPES = frozenset({
    "openid", "/authenticate", "/read-limited", "/activities/update", "/person/update",
    "/activities/read-limited", "/person/read-limited", "/email/read-private",
})


@dataclass(frozen=True)
class LintProblem:
    """One configuration problem: the setting, what is wrong, and how to fix it."""

    setting: str
    message: str
    fix: str

    def __str__(self) -> str:
        return f"{self.setting}: {self.message}. Fix: {self.fix}."


def format_problems(problems: list[LintProblem]) -> str:
    """All problems as one message, one line each."""
    lines = [f"orcid-pyramid: {len(problems)} configuration problem(s):"]
    lines += [f"  - {p}" for p in problems]
    return "\n".join(lines)


def check_or_raise(s: OrcidSettings) -> None:
    """Raise ``ConfigurationError`` listing every lint problem; return quietly when clean."""
    problems = lint(s)
    if problems:
        raise ConfigurationError(format_problems(problems))


#: localhost, 127.0.0.0/8 and ::1: the client's rule, so that the plain http the lint lets
#: through (a loopback emulator) is the plain http the OAuth client accepts
is_loopback = is_loopback_host


def lint_url(s: OrcidSettings, setting: str, url: str) -> list[LintProblem]:
    """DM-2 for one URL: https everywhere; plain http only for a loopback emulator."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return [LintProblem(setting, f"{url!r} is not an absolute http(s) URL",
                            "write a full https:// URL")]
    if parts.scheme == "http" and not (s.environment == "emulator" and is_loopback(parts.hostname)):
        where = ("plain http is allowed only for the emulator on a loopback host"
                 if s.environment == "emulator" else
                 f"the {s.environment} environment requires HTTPS")
        return [LintProblem(setting, f"{url} uses plain http; {where} (DM-2)",
                            f"use https://{parts.netloc}{parts.path}")]
    problems = []
    host = parts.hostname.lower()
    if s.environment == "emulator" and not is_loopback(host):
        # the emulator environment relaxes what protects real accounts (a key derived from
        # the client id, no rate limit): it may only ever talk to this machine
        problems.append(LintProblem(setting, f"{url} is not on this machine; the emulator "
                                    "environment accepts only loopback URLs (localhost, "
                                    "127.0.0.1, ::1)", "set orcid.environment = sandbox or "
                                    "production for a real ORCID, or use the emulator's "
                                    "loopback URL"))
    if s.environment == "production" and "sandbox.orcid.org" in host:
        problems.append(LintProblem(setting, f"{url} is a sandbox URL in the production "
                                    "environment", "use the orcid.org host or set "
                                    "orcid.environment = sandbox"))
    if s.environment == "sandbox" and host in PRODUCTION_HOSTS:
        problems.append(LintProblem(setting, f"{url} is a production URL in the sandbox "
                                    "environment", "use the sandbox.orcid.org host or set "
                                    "orcid.environment = production"))
    return problems


def lint_redirect_uri(s: OrcidSettings, url: str) -> list[LintProblem]:
    """DM-2 for the redirect URI; the web layer also calls it on the computed callback URL."""
    problems = lint_url(s, "orcid.redirect_uri", url)
    if "#" in url:
        problems.append(LintProblem("orcid.redirect_uri", f"{url} has a fragment",
                                    "remove the part after #"))
    return problems


def lint(s: OrcidSettings) -> list[LintProblem]:
    """Every problem with the settings ``s``; an empty list means ready for ORCID."""
    problems: list[LintProblem] = []
    for rule in (_urls, _token_url, _version, _required, _keys, _features, _scopes, _numbers,
                 _policy, _misc):
        problems += rule(s)
    return problems


def _urls(s: OrcidSettings) -> list[LintProblem]:
    problems = lint_url(s, "orcid.base_url", s.base_url) + lint_url(s, "orcid.api_url", s.api_url)
    if (urlsplit(s.api_url).hostname or "").lower().startswith("pub."):
        problems.append(LintProblem("orcid.api_url", f"{s.api_url} is the public API, which "
                                    "cannot read limited data or write",
                                    "use the member API host (api.)"))
    if s.redirect_uri:
        problems += lint_redirect_uri(s, s.redirect_uri)
    elif s.environment != "emulator":
        # built from the request, the callback URL would follow whatever Host header and
        # scheme a client sends: outside the emulator it is configured, and linted here
        problems.append(LintProblem("orcid.redirect_uri", "is required outside the emulator "
                                    "(it is never taken from the request's Host header)",
                                    "set it to the https callback URL registered at ORCID, "
                                    "e.g. https://your.site/orcid/callback"))
    return problems


def _token_url(s: OrcidSettings) -> list[LintProblem]:
    expected = s.base_url + "/oauth/token"
    problems = lint_url(s, "orcid.token_url", s.token_url)
    if s.token_url.rstrip("/") == expected:
        return problems
    host = (urlsplit(s.token_url).hostname or "").lower()
    if host.startswith(("api.", "pub.")) or s.token_url.startswith(s.api_url):
        why = "is on the API host; ORCID wants the code exchanged at the root token URI (DM-3)"
    else:
        why = f"is not the root token URI {expected} (DM-3)"
    problems.append(LintProblem("orcid.token_url", f"{s.token_url} {why}",
                                f"remove orcid.token_url or set it to {expected}"))
    return problems


def _version(s: OrcidSettings) -> list[LintProblem]:
    if s.api_version.lstrip("v") == "3.0":
        return []
    return [LintProblem("orcid.api_version", f"message version {s.api_version} is not "
                        "supported; ORCID's review expects the current schema 3.0 (REV-1)",
                        "remove orcid.api_version or set it to 3.0")]


#: how to supply each required setting (the settings table says which are required)
REQUIRED_FIXES = {
    "orcid.client_id": "copy the client id from ORCID's developer tools",
    "orcid.client_secret": "copy the client secret ORCID issued",
    "orcid.support_email": "give the address users should write to when ORCID fails (DM-8)",
    "orcid.sqlalchemy.url": "set orcid.sqlalchemy.url or the host's sqlalchemy.url",
}


def _required(s: OrcidSettings) -> list[LintProblem]:
    from orcid_pyramid.settings import REQUIRED, SETTINGS_DOC  # settings imports this module

    problems = []
    for key in (row.key for row in SETTINGS_DOC if row.key in REQUIRED):
        if key == "orcid.token_key":
            continue  # _keys says more (and the emulator derives one)
        if not getattr(s, key.removeprefix("orcid.").replace(".", "_")):
            problems.append(LintProblem(key, "is required and missing",
                                        REQUIRED_FIXES.get(key, f"set {key}")))
    if s.support_email and "@" not in s.support_email:
        problems.append(LintProblem("orcid.support_email",
                                    f"{s.support_email!r} is not an e-mail address",
                                    "write an address like support@example.org"))
    if "webhooks" in s.features and not s.webhook_secret:
        problems.append(LintProblem("orcid.webhook_secret", "is required when the webhooks "
                                    "feature is on", "set a long random string"))
    return problems


def _keys(s: OrcidSettings) -> list[LintProblem]:
    if not s.token_keys:
        return [LintProblem("orcid.token_key", "is required to encrypt stored tokens (DM-4)",
                            "generate one with: python -c \"from cryptography.fernet import "
                            "Fernet; print(Fernet.generate_key().decode())\"")]
    problems = []
    for position, key in enumerate(s.token_keys, start=1):
        try:
            Fernet(key)
        except (ValueError, TypeError):
            # never echo the key itself: it is a secret
            problems.append(LintProblem("orcid.token_key", f"key #{position} is not a valid "
                                        "Fernet key (32 url-safe base64-encoded bytes)",
                                        "generate a key with Fernet.generate_key()"))
    return problems


def _features(s: OrcidSettings) -> list[LintProblem]:
    from orcid_pyramid.settings import FEATURES  # settings imports this module first

    problems = []
    for feature in sorted(s.features - FEATURES):
        near = difflib.get_close_matches(feature, sorted(FEATURES), n=1)
        fix = f"did you mean {near[0]}?" if near else "choose from " + " ".join(sorted(FEATURES))
        problems.append(LintProblem("orcid.features", f"unknown feature {feature!r}", fix))
    if {"openid", "authenticate"} <= s.features:
        problems.append(LintProblem("orcid.features", "openid and authenticate grant the same "
                                    "access; ORCID asks for one or the other",
                                    "keep openid (it adds the id_token) and drop authenticate"))
    return problems


def _scopes(s: OrcidSettings) -> list[LintProblem]:
    if not s.scope_explicit:
        return []
    bad = [scope for scope in s.scopes if scope not in USER_SCOPES]
    return [LintProblem("orcid.scope", f"{scope!r} cannot be requested from a user",
                        "use scopes from: " + " ".join(sorted(USER_SCOPES)))
            for scope in bad]


def _numbers(s: OrcidSettings) -> list[LintProblem]:
    problems = []
    try:
        rate, burst = s.rate_per_second, s.rate_burst
    except ValueError as exc:
        problems.append(LintProblem("orcid.rate_limit", str(exc), "write RATE/BURST, e.g. 24/40"))
    else:
        if s.environment != "emulator" and (rate > ORCID_MAX_RATE or burst > ORCID_MAX_BURST):
            problems.append(LintProblem("orcid.rate_limit", f"{s.rate_limit} is above ORCID's "
                                        "limit of 24 requests/s with a burst of 40",
                                        "use 24/40 or less"))
    for setting, value in (("orcid.timeout", s.timeout), ("orcid.state_ttl", s.state_ttl)):
        if value <= 0:
            problems.append(LintProblem(setting, f"{value} must be more than 0",
                                        "use a positive number of seconds"))
    for setting, value in (("orcid.call_log_retention_days", s.call_log_retention_days),
                           ("orcid.call_log_body_limit", s.call_log_body_limit),
                           ("orcid.outbox_retention_days", s.outbox_retention_days)):
        if value < 0:
            problems.append(LintProblem(setting, f"{value} is negative", "use 0 or more"))
    if s.max_body_size < 1024:
        problems.append(LintProblem("orcid.max_body_size", f"{s.max_body_size} bytes is too "
                                    "small for the add-on's forms", "use 1024 or more"))
    return problems


def _policy(s: OrcidSettings) -> list[LintProblem]:
    if s.deleted_item_policy in POLICIES:
        return []
    near = difflib.get_close_matches(s.deleted_item_policy, POLICIES, n=1, cutoff=0.4)
    fix = f"did you mean {near[0]}?" if near else "use respect or re-add"
    return [LintProblem("orcid.deleted_item_policy",
                        f"{s.deleted_item_policy!r} is not a policy", fix)]


def _misc(s: OrcidSettings) -> list[LintProblem]:
    problems = []
    if not s.route_prefix.startswith("/"):
        problems.append(LintProblem("orcid.route_prefix", f"{s.route_prefix!r} does not start "
                                    "with /", f"write /{s.route_prefix}"))
    if s.support_url and urlsplit(s.support_url).scheme not in ("http", "https"):
        problems.append(LintProblem("orcid.support_url", f"{s.support_url!r} is not a web "
                                    "address", "write a full https:// URL"))
    if s.user_info:
        try:
            target = DottedNameResolver().resolve(s.user_info)
        except (ImportError, ValueError, AttributeError) as exc:
            problems.append(LintProblem("orcid.user_info", f"{s.user_info!r} cannot be "
                                        f"imported ({exc})", "give module.callable"))
        else:
            if not callable(target):
                problems.append(LintProblem("orcid.user_info", f"{s.user_info!r} is not "
                                            "callable", "point it at callable(request) -> dict"))
    return problems
