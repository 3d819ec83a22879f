"""The add-on's ``orcid.*`` settings: defaults, coercion and one frozen object.

``load_settings(settings)`` reads every ``orcid.*`` key of a Pyramid settings dict and returns an
:class:`OrcidSettings`. It never overwrites a value the host set; missing keys with a plain
default are written back so that the host (and ``pshell``) sees the effective value. Values that
cannot be coerced (``orcid.timeout = soon``) raise :class:`SettingsError` listing every such
problem. Everything that *can* be read but is wrong for ORCID (plain http, the wrong token URL,
an unknown feature...) is the lint's job: see :mod:`orcid_pyramid.lint`, re-exported here.
"""

from __future__ import annotations

import base64
import hashlib
import logging
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass
from typing import NamedTuple

from pyramid.exceptions import ConfigurationError
from pyramid.settings import asbool, falsey, truthy

from orcid_pyramid.client.tokens import expand_scopes
from orcid_pyramid.lint import (
    LintProblem,
    check_or_raise,
    format_problems,
    lint,
    lint_redirect_uri,
)

__all__ = [
    "ENVIRONMENTS",
    "FEATURES",
    "FEATURE_SCOPES",
    "LintProblem",
    "OrcidSettings",
    "SETTINGS_DOC",
    "SettingsError",
    "check_or_raise",
    "expand_scopes",
    "lint",
    "lint_redirect_uri",
    "load_settings",
    "settings_from_registry",
]

log = logging.getLogger(__name__)

ENVIRONMENTS = {
    # environment: (base_url, api_url, display_host)
    "sandbox": ("https://sandbox.orcid.org", "https://api.sandbox.orcid.org", "sandbox.orcid.org"),
    "production": ("https://orcid.org", "https://api.orcid.org", "orcid.org"),
    "emulator": ("http://127.0.0.1:8765", "http://127.0.0.1:8765/api", "sandbox.orcid.org"),
}

# feature -> the 3-legged scope it needs (None: the feature needs no user scope)
FEATURE_SCOPES: dict[str, str | None] = {
    "authenticate": "/authenticate",
    "openid": "openid",
    "collect": "/read-limited",
    "connect-activities": "/activities/update",
    "connect-person": "/person/update",
    "webhooks": None,  # a client-credentials scope (/webhook), never asked of the user
}
FEATURES = frozenset(FEATURE_SCOPES)

PREFIX = "orcid."


class Setting(NamedTuple):
    """One row of the settings table: the ini key, its default as written in an ini file
    (``(derived)``, ``(required)``... in parentheses when there is no plain value) and what it
    means."""

    key: str
    default: str
    meaning: str


# The one table of the add-on's settings: load_settings's defaults, the lint's required keys,
# ``orcid-pyramid check --help`` and the README's table (a test compares) all come from it.
SETTINGS_DOC: tuple[Setting, ...] = tuple(Setting(*row) for row in (
    ("orcid.environment", "sandbox", "`sandbox`, `production` or `emulator` (the local sandbox)"),
    ("orcid.base_url", "(derived)", "ORCID registry root: authorize, token, revoke, OpenID"),
    ("orcid.api_url", "(derived)", "Member API root, without the `/v3.0` version"),
    ("orcid.token_url", "(derived)", "token endpoint; must be `base_url + /oauth/token` (DM-3)"),
    ("orcid.api_version", "3.0", "Member API message version; only 3.0 is accepted (REV-1)"),
    ("orcid.client_id", "(required)", "the client id ORCID issued (`APP-...`)"),
    ("orcid.client_secret", "(required)", "the client secret ORCID issued"),
    ("orcid.features", "openid collect connect-activities",
     "enabled features: authenticate openid collect connect-activities connect-person webhooks"),
    ("orcid.scope", "(derived)", "requested scopes, space separated; derived from the features"),
    ("orcid.redirect_uri", "(required outside the emulator)",
     "redirect URI registered at ORCID (https); the emulator environment uses the "
     "orcid.callback URL when unset"),
    ("orcid.support_email", "(required)", "support contact shown on every error page (DM-8)"),
    ("orcid.support_url", "", "optional support page shown next to the e-mail address"),
    ("orcid.token_key", "(required)",
     "Fernet key(s) encrypting stored tokens, comma separated, newest first; "
     "optional in the emulator environment"),
    ("orcid.sqlalchemy.url", "(required)",
     "database of the add-on's tables; the host's `sqlalchemy.url` when unset"),
    ("orcid.create_tables", "false", "create missing tables at startup (demo/emulator only)"),
    ("orcid.user_info", "", "dotted name of `callable(request) -> dict` used to pre-fill ORCID"),
    ("orcid.route_prefix", "/orcid", "path prefix of the add-on's routes"),
    ("orcid.deleted_item_policy", "respect",
     "an item the user deleted on ORCID: `respect` (leave it) or `re-add`"),
    ("orcid.rate_limit", "24/40", "requests per second / burst towards ORCID (ORCID allows 24/40)"),
    ("orcid.max_body_size", "65536",
     "bytes a request to the add-on's pages may send; a larger body gets a 413 page"),
    ("orcid.timeout", "10", "seconds to wait for ORCID on every call"),
    ("orcid.sync_lease", "60",
     "seconds a sync worker keeps a researcher it is not sending for; then another worker "
     "(thread, process or machine) may take them over. Each request extends it past "
     "`orcid.timeout`, so a slow batch never loses it"),
    ("orcid.state_ttl", "600", "seconds an OAuth `state` stays valid"),
    ("orcid.call_log_retention_days", "90", "days the call log is kept"),
    ("orcid.call_log_body_limit", "16384", "bytes of each request/response body kept in the log"),
    ("orcid.outbox_retention_days", "30",
     "days the sync worker keeps finished outbox rows (what it sent, with their errors); then "
     "it deletes them. 0 keeps them"),
    ("orcid.disconnect_delete_items", "true", "disconnect deletes the user's put codes"),
    ("orcid.disconnect_delete_calls", "true", "disconnect deletes the user's call-log rows"),
    ("orcid.admin_permission", "orcid.admin", "permission guarding the admin call log"),
    ("orcid.webhook_secret", "(required with webhooks)", "secret for the webhook path token"),
    ("orcid.webhook_debounce", "5",
     "seconds a webhook delivery waits for the sync worker's read, so a burst of deliveries "
     "for one record causes one read"),
    ("orcid.lang", "", "ORCID UI language sent when the host gives none (`en`, `es`, ...)"),
    ("orcid.site_name", "this site",
     "the site's name in the panel's and connect page's sentences (\"so that <name> can ...\")"),
    ("orcid.layout", "(the add-on's own page)",
     "asset spec of the host's base Jinja2 template the add-on's pages extend; it must define "
     "the blocks `title`, `head` (inside `<head>`) and `content`"),
))

#: the plain defaults, written back into the host's settings when a key is missing
_PLAIN_DEFAULTS = {row.key: row.default for row in SETTINGS_DOC
                   if row.default and not row.default.startswith("(")}
#: keys without which the add-on cannot work (the lint names each missing one)
REQUIRED = frozenset(row.key for row in SETTINGS_DOC if row.default == "(required)")


def settings_table() -> str:
    """The settings table in Markdown, as the README shows it."""
    lines = ["| key | default | meaning |", "|---|---|---|"]
    for key, default, meaning in SETTINGS_DOC:
        shown = default if default.startswith("(") or not default else f"`{default}`"
        lines.append(f"| `{key}` | {shown} | {meaning} |")
    return "\n".join(lines)


class SettingsError(ConfigurationError):
    """Settings that cannot be read at all; ``problems`` holds one :class:`LintProblem` each."""

    def __init__(self, problems: list[LintProblem]):
        self.problems = problems
        super().__init__(format_problems(problems))


@dataclass(frozen=True)
class OrcidSettings:
    """The effective ``orcid.*`` settings, coerced. Build it with :func:`load_settings`."""

    environment: str
    base_url: str
    api_url: str
    token_url: str
    client_id: str | None
    client_secret: str | None
    features: frozenset[str]
    scopes: tuple[str, ...]
    redirect_uri: str | None
    support_email: str | None
    support_url: str | None
    token_keys: tuple[str, ...]
    sqlalchemy_url: str | None
    user_info: str | None
    route_prefix: str
    deleted_item_policy: str
    rate_limit: str
    timeout: float
    state_ttl: int
    call_log_retention_days: int
    call_log_body_limit: int
    outbox_retention_days: int
    disconnect_delete_items: bool
    disconnect_delete_calls: bool
    admin_permission: str
    webhook_secret: str | None
    lang: str | None
    display_host: str
    api_version: str = "3.0"
    create_tables: bool = False
    scope_explicit: bool = False
    token_key_derived: bool = False
    site_name: str = "this site"
    layout: str | None = None
    sync_lease: float = 60.0
    max_body_size: int = 65536
    webhook_debounce: float = 5.0

    def __repr__(self) -> str:  # secrets must never reach a log through repr()
        return (
            f"OrcidSettings(environment={self.environment!r}, base_url={self.base_url!r}, "
            f"api_url={self.api_url!r}, client_id={self.client_id!r}, "
            f"features={sorted(self.features)!r})"
        )

    @property
    def rate_per_second(self) -> float:
        """Requests per second from ``rate_limit``; ``ValueError`` when it is malformed."""
        return parse_rate_limit(self.rate_limit)[0]

    @property
    def rate_burst(self) -> int:
        """Burst size from ``rate_limit``; ``ValueError`` when it is malformed."""
        return parse_rate_limit(self.rate_limit)[1]

    def id_uri(self, orcid: str) -> str:
        """The full iD URI shown to people, e.g. ``https://orcid.org/0000-0002-1825-0097``."""
        return f"https://{self.display_host}/{orcid}"


def parse_rate_limit(value: str) -> tuple[float, int]:
    """``"24/40"`` -> ``(24.0, 40)``; raises ``ValueError`` with a readable reason."""
    rate, sep, burst = value.partition("/")
    try:
        per_second, size = float(rate), int(burst)
    except ValueError:
        raise ValueError(f"{value!r} is not RATE/BURST, e.g. 24/40") from None
    if not sep or per_second <= 0 or size < 1:
        raise ValueError(f"{value!r} needs a positive rate and a burst of at least 1")
    return per_second, size


def split_words(value: str | None) -> tuple[str, ...]:
    """Split a list setting written with spaces, commas or new lines."""
    return tuple((value or "").replace(",", " ").split())


def derive_emulator_key(client_id: str | None) -> str:
    """A stable Fernet key for the emulator environment only (tokens there are fake)."""
    digest = hashlib.sha256(f"orcid-pyramid emulator {client_id or ''}".encode()).digest()
    return base64.urlsafe_b64encode(digest).decode()


def load_settings(settings: MutableMapping[str, object]) -> OrcidSettings:
    """Read, default and coerce every ``orcid.*`` key of a Pyramid settings dict.

    Missing keys that have a plain default are written back into ``settings``; a value the
    host set is never replaced. Raises :class:`SettingsError` when values cannot be coerced.
    """
    for key, default in _PLAIN_DEFAULTS.items():
        if _blank(settings.get(key)):
            settings[key] = default
    problems: list[LintProblem] = []
    reader = _Reader(settings, problems)

    environment = reader.text("orcid.environment").lower()
    if environment not in ENVIRONMENTS:
        problems.append(LintProblem(
            "orcid.environment", f"{environment!r} is not an environment",
            "use sandbox, production or emulator"))
        environment = "sandbox"
    base_default, api_default, display_host = ENVIRONMENTS[environment]
    base_url = (reader.optional("orcid.base_url") or base_default).rstrip("/")
    api_url = (reader.optional("orcid.api_url") or api_default).rstrip("/")
    token_url = reader.optional("orcid.token_url") or base_url + "/oauth/token"

    features = frozenset(w.lower() for w in split_words(reader.text("orcid.features")))
    explicit_scope = reader.optional("orcid.scope")
    if explicit_scope:
        scopes = split_words(explicit_scope)
    else:
        scopes = tuple(s for f, s in FEATURE_SCOPES.items() if f in features and s)
    client_id = reader.optional("orcid.client_id")
    token_keys = split_words(reader.optional("orcid.token_key"))
    derived = False
    if not token_keys and environment == "emulator":
        token_keys = (derive_emulator_key(client_id),)
        derived = True
        log.warning("orcid.token_key is not set: using a key derived from the client id. "
                    "This is acceptable only with the emulator.")
    sqlalchemy_url = reader.optional("orcid.sqlalchemy.url") or reader.optional("sqlalchemy.url")

    result = OrcidSettings(
        environment=environment,
        base_url=base_url,
        api_url=api_url,
        token_url=token_url,
        client_id=client_id,
        client_secret=reader.optional("orcid.client_secret"),
        features=features,
        scopes=scopes,
        redirect_uri=reader.optional("orcid.redirect_uri"),
        support_email=reader.optional("orcid.support_email"),
        support_url=reader.optional("orcid.support_url"),
        token_keys=token_keys,
        sqlalchemy_url=sqlalchemy_url,
        user_info=reader.optional("orcid.user_info"),
        route_prefix=reader.text("orcid.route_prefix"),
        deleted_item_policy=reader.text("orcid.deleted_item_policy").lower(),
        rate_limit=reader.text("orcid.rate_limit").replace(" ", ""),
        timeout=reader.number("orcid.timeout", float),
        sync_lease=reader.positive("orcid.sync_lease", float),
        state_ttl=reader.number("orcid.state_ttl", int),
        call_log_retention_days=reader.number("orcid.call_log_retention_days", int),
        call_log_body_limit=reader.number("orcid.call_log_body_limit", int),
        outbox_retention_days=reader.number("orcid.outbox_retention_days", int),
        disconnect_delete_items=reader.boolean("orcid.disconnect_delete_items"),
        disconnect_delete_calls=reader.boolean("orcid.disconnect_delete_calls"),
        admin_permission=reader.text("orcid.admin_permission"),
        webhook_secret=reader.optional("orcid.webhook_secret"),
        lang=reader.optional("orcid.lang"),
        display_host=display_host,
        api_version=reader.text("orcid.api_version"),
        create_tables=reader.boolean("orcid.create_tables"),
        scope_explicit=bool(explicit_scope),
        token_key_derived=derived,
        site_name=reader.text("orcid.site_name"),
        layout=reader.optional("orcid.layout"),
        max_body_size=reader.number("orcid.max_body_size", int),
        webhook_debounce=reader.number("orcid.webhook_debounce", float),
    )
    if problems:
        raise SettingsError(problems)
    return result


def settings_from_registry(registry: MutableMapping[str, object]) -> OrcidSettings:
    """The :class:`OrcidSettings` of a Pyramid registry, loaded once and kept in
    ``registry["orcid.settings"]`` so every part of the add-on sees the same object."""
    cached = registry.get("orcid.settings")
    if isinstance(cached, OrcidSettings):
        return cached
    loaded = load_settings(registry.settings)  # type: ignore[attr-defined]
    registry["orcid.settings"] = loaded
    return loaded


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


class _Reader:
    """Reads one key at a time, recording a problem instead of raising on the first error."""

    def __init__(self, settings: Mapping[str, object], problems: list[LintProblem]):
        self.settings = settings
        self.problems = problems

    def optional(self, key: str) -> str | None:
        value = self.settings.get(key)
        return None if _blank(value) else str(value).strip()

    def text(self, key: str) -> str:
        return self.optional(key) or _PLAIN_DEFAULTS.get(key, "")

    def number(self, key: str, kind: type):
        fallback = kind(_PLAIN_DEFAULTS[key])
        raw = self.settings.get(key)
        if isinstance(raw, int | float) and not isinstance(raw, bool):
            return kind(raw)
        try:
            return kind(str(raw).strip())
        except ValueError:
            noun = "a whole number" if kind is int else "a number"
            self.problems.append(LintProblem(key, f"{raw!r} is not {noun}",
                                             f"write {noun}, e.g. {fallback}"))
            return fallback

    def positive(self, key: str, kind: type):
        value = self.number(key, kind)
        if value <= 0:
            fallback = kind(_PLAIN_DEFAULTS[key])
            self.problems.append(LintProblem(key, f"{value!r} is not above 0",
                                             f"write a number above 0, e.g. {fallback}"))
            return fallback
        return value

    def boolean(self, key: str) -> bool:
        raw = self.settings.get(key)
        if isinstance(raw, bool):
            return raw
        word = str(raw).strip().lower()
        if word in truthy or word in falsey or not word:
            return asbool(word)
        self.problems.append(LintProblem(key, f"{raw!r} is not true or false",
                                         "write true or false"))
        return False
