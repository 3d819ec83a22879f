"""Deliberately broken configurations of the demo, for the compliance suite's meta-test.

Each breakage is the kind of mistake ORCID's reviewers see, made only through the add-on's
public seams (its settings object, its registry utilities, asset overrides) or the host's own
(the session factory, the security policy, its templates), never by editing the add-on. The
meta-test runs the compliance features against each and checks that exactly the checklist IDs
listed here fail.

Use: ``break_app(app.registry, "non-root-token-url")`` on a built app (the suite's
``--orcid-breakage NAME``), or ``apply(config, name)`` from a host's ``main`` after
``config.include("orcid_pyramid")``.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

#: the add-on's client factory: the sync worker, the webhook and pull take their clients from it
CLIENT_FACTORY = "orcid.client_factory"
BREAKAGE_TEMPLATES = "orcid_pyramid:compliance/templates/breakage/"
NOSIGNOUT_TEMPLATE = BREAKAGE_TEMPLATES + "connect_nosignout.jinja2"


@dataclass(frozen=True)
class Breakage:
    """One broken configuration and the checklist IDs it must make fail."""

    name: str
    ids: frozenset[str]
    description: str
    apply: Callable[[object], None]
    #: pytest -m expression selecting the scenarios worth running against it (default: the
    #: scenarios of its IDs that need no browser)
    selection: str = ""

    def __post_init__(self) -> None:
        if not self.selection:
            wanted = " or ".join(sorted(self.ids))
            object.__setattr__(self, "selection", f"({wanted}) and not browser")


def _swap_settings(registry, **changes) -> None:
    settings = replace(registry["orcid.settings"], **changes)
    registry["orcid.settings"] = settings


def _rebuild_client(registry, *, call_sink="keep") -> None:
    """New clients like the add-on's own, from the (changed) settings in the registry: the app's
    client and the factory the worker, the webhook and pull take theirs from."""
    from orcid_pyramid.client.factory import client_factory

    old = registry["orcid.client"]
    factory = client_factory(registry["orcid.settings"], session=old.transport.session)
    registry[CLIENT_FACTORY] = factory
    sink = registry.get("orcid.call_sink") if call_sink == "keep" else call_sink
    registry["orcid.client"] = factory(sink, old.transport.rate_limiter)


def _http_redirect_uri(registry) -> None:
    _swap_settings(registry, redirect_uri="http://demo.example.org/orcid/callback")


def _non_root_token_url(registry) -> None:
    token_url = registry["orcid.settings"].api_url + "/oauth/token"
    _swap_settings(registry, token_url=token_url)
    _rebuild_client(registry)


def _no_call_log(registry) -> None:
    _rebuild_client(registry, call_sink=None)


class PlainCipher:
    """Stores tokens as they are: the mistake DM-4 forbids."""

    def encrypt(self, plaintext: str) -> str:
        """No encryption."""
        return plaintext

    def decrypt(self, ciphertext: str) -> str:
        """Nothing to decrypt."""
        return ciphertext

    def rotate(self, ciphertext: str) -> str:
        """Nothing to rotate."""
        return ciphertext


def _plaintext_tokens(registry) -> None:
    registry["orcid.cipher"] = PlainCipher()


def _no_signout(registry) -> None:
    from pyramid.config import Configurator

    config = Configurator(registry=registry)
    config.override_asset("orcid_pyramid:templates/connect.jinja2", NOSIGNOUT_TEMPLATE)
    config.commit()


def _post_for_updates(registry) -> None:
    make = registry[CLIENT_FACTORY]

    def factory(call_sink, rate_limiter):
        client = make(call_sink, rate_limiter)
        member = client.member

        def broken_member(*args, **kwargs):
            api = member(*args, **kwargs)

            def update(kind, put_code, item):
                # the mistake: send the changed item as a new one instead of PUT /{put-code}
                body = {key: value for key, value in dict(item).items() if key != "put-code"}
                api.create(kind, body)
                return body

            api.update = update
            return api

        client.member = broken_member
        return client

    registry[CLIENT_FACTORY] = factory


class _StateCheckOff:
    """The host's session, except that any callback ``state`` looks like one the site issued
    (to the signed-in user, unexpired): the state check is in effect turned off (BP-1)."""

    def __init__(self, session, request) -> None:
        self._session = session
        self._request = request

    def get(self, key, default=None):
        """The stored value; for the add-on's pending states, also the incoming one."""
        from orcid_pyramid.services.state import SESSION_KEY

        value = self._session.get(key, default)
        incoming = self._request.GET.get("state") if key == SESSION_KEY else None
        if not incoming:
            return value
        stored = dict(value or {})
        if incoming not in stored:
            newest = max(stored.values(), key=lambda entry: entry.get("exp", 0), default={})
            stored[incoming] = {
                "user": str(self._request.authenticated_userid),
                "exp": time.time() + 600,
                "nonce": newest.get("nonce"),
                "redirect_uri": newest.get("redirect_uri")
                or self._request.route_url("orcid.callback"),
            }
        return stored

    def __getattr__(self, name):
        return getattr(self._session, name)

    def __getitem__(self, key):
        return self._session[key]

    def __setitem__(self, key, value) -> None:
        self._session[key] = value

    def __delitem__(self, key) -> None:
        del self._session[key]

    def __contains__(self, key) -> bool:
        return key in self._session

    def __iter__(self):
        return iter(self._session)

    def __len__(self) -> int:
        return len(self._session)


def _state_off(registry) -> None:
    from pyramid.interfaces import ISessionFactory

    inner = registry.getUtility(ISessionFactory)

    def factory(request):
        return _StateCheckOff(inner(request), request)

    registry.registerUtility(factory, ISessionFactory)


class _NoRevokeClient:
    """The add-on's app client, except that revoking does nothing: the site forgets the
    token locally and leaves it live at ORCID (the mistake BP-3 forbids)."""

    def __init__(self, client) -> None:
        self._client = client

    def revoke(self, token: str, *, log_context=None) -> None:
        """Not sent to ORCID."""

    def __getattr__(self, name):
        return getattr(self._client, name)


def _no_revoke_on_disconnect(registry) -> None:
    registry["orcid.client"] = _NoRevokeClient(registry["orcid.client"])


def _reask_permissions(registry) -> None:
    from pyramid.config import Configurator

    from orcid_pyramid.services.request import orcid_link

    def link_unless_connecting(request):
        route = request.matched_route
        if route is not None and route.name == "orcid.connect":
            # the mistake: connect never looks at the stored permission before asking again
            return None
        return orcid_link(request)

    config = Configurator(registry=registry)
    # the router reads the registry's request extensions in place, so this takes effect on
    # an app that is already built
    config.add_request_method(link_unless_connecting, "orcid_link", reify=True)
    config.commit()


#: where the numbers the broken worker keeps instead of ORCID's put codes start: the site's
#: own item numbers (a plausible put code, so the add-on cannot tell it is not ORCID's)
LOCAL_NUMBERS_FROM = 900_000_000


def _forget_put_codes(registry) -> None:
    make = registry[CLIENT_FACTORY]
    local_numbers = itertools.count(LOCAL_NUMBERS_FROM)

    def factory(call_sink, rate_limiter):
        client = make(call_sink, rate_limiter)
        member = client.member

        def forgetful_member(*args, **kwargs):
            api = member(*args, **kwargs)
            create, create_works = api.create, api.create_works

            def forget_one(kind, item):
                # the mistake: the item is written but the put code ORCID answers is dropped,
                # and the site's own number for the item is kept in its place
                create(kind, item)
                return next(local_numbers)

            def forget_bulk(items):
                return [result if isinstance(result, Exception) else next(local_numbers)
                        for result in create_works(items)]

            api.create, api.create_works = forget_one, forget_bulk
            return api

        client.member = forgetful_member
        return client

    registry[CLIENT_FACTORY] = factory


def _override_templates(registry, overrides: dict[str, str]) -> None:
    """Replace templates by the breakage's own (``config.override_asset``, as a host would)."""
    from pyramid.config import Configurator

    config = Configurator(registry=registry)
    for template, replacement in overrides.items():
        config.override_asset(template, BREAKAGE_TEMPLATES + replacement)
    config.commit()


def _error_page_without_support(registry) -> None:
    # the host's own error page, in its look: title and message, but no support contact
    _override_templates(registry, {
        "orcid_pyramid:templates/error.jinja2": "error_without_support.jinja2"})


def _bare_ids_on_host_pages(registry) -> None:
    # the host's own pages print the stored iD instead of calling the add-on's orcid_id macro
    _override_templates(registry, {
        "orcid_pyramid:demo/templates/people.jinja2": "people_bare_ids.jinja2",
        "orcid_pyramid:demo/templates/profile.jinja2": "profile_bare_ids.jinja2"})


def _explicit_scope(registry, scopes: tuple[str, ...]) -> None:
    """The site sets ``orcid.scope`` by hand and the features keep their defaults (the
    startup check lets a hand-written scope through: the site may know better)."""
    _swap_settings(registry, scopes=scopes, scope_explicit=True)


def _no_read_limited(registry) -> None:
    _explicit_scope(registry, ("openid", "/activities/update"))


def _no_activities_update(registry) -> None:
    _explicit_scope(registry, ("openid", "/read-limited"))


class _UnverifiedIdTokenClient:
    """The add-on's app client, except that the id_token's claims are read without checking
    its signature, issuer, audience, expiry or nonce (the mistake CC-AUTH forbids: the iD is
    then not proven to come from this sign-in)."""

    def __init__(self, client) -> None:
        self._client = client

    def verify_id_token(self, id_token: str, **_checks) -> dict:
        """Decoded, not verified."""
        import jwt

        return jwt.decode(id_token, options={"verify_signature": False})

    def __getattr__(self, name):
        return getattr(self._client, name)


def _unverified_id_token(registry) -> None:
    registry["orcid.client"] = _UnverifiedIdTokenClient(registry["orcid.client"])


def _admin_call_log_unreachable(registry) -> None:
    from pyramid.interfaces import ISecurityPolicy
    from pyramid.security import Denied

    # the host's own policy object: the views built at startup hold it, not the registry entry
    policy = registry.getUtility(ISecurityPolicy)
    admin_permission = registry["orcid.settings"].admin_permission
    host_permits = policy.permits

    def permits(request, context, permission):
        # the mistake: the host's roles carry a permission of the host's own name, never the
        # add-on's, so no account may open the call log
        if permission == admin_permission:
            return Denied(f"no role of this site carries {permission}")
        return host_permits(request, context, permission)

    policy.permits = permits


BREAKAGES = {
    b.name: b for b in (
        Breakage("http-redirect-uri", frozenset({"DM-2"}),
                 "the redirect URI sent to ORCID is plain http on a public host",
                 _http_redirect_uri),
        Breakage("non-root-token-url", frozenset({"DM-3"}),
                 "the code is exchanged at the API host's token URL", _non_root_token_url),
        Breakage("no-call-log", frozenset({"DM-7", "REV-2"}),
                 "the app's ORCID client has no call-log hook (so a reviewer has no record "
                 "of the calls either)", _no_call_log),
        Breakage("plaintext-tokens", frozenset({"DM-4"}),
                 "tokens are stored without encryption", _plaintext_tokens),
        Breakage("state-off", frozenset({"BP-1"}),
                 "the callback's state is not checked (any state is accepted)", _state_off),
        Breakage("no-signout", frozenset({"BP-2"}),
                 "the connect page goes straight to ORCID without signing the browser out",
                 _no_signout),
        Breakage("post-for-updates", frozenset({"BP-5", "DM-6", "CC-SYNC"}),
                 "changes are POSTed as new items instead of PUT to their put code",
                 _post_for_updates),
        Breakage("no-revoke-on-disconnect", frozenset({"BP-3", "REV-2"}),
                 "disconnecting deletes the site's data but never revokes the token at ORCID "
                 "(so the sandbox flow never ends with the revocation)",
                 _no_revoke_on_disconnect),
        Breakage("reask-permissions", frozenset({"BP-4"}),
                 "connecting always sends the user to ORCID, even with a live permission that "
                 "covers the scopes", _reask_permissions),
        Breakage("forget-put-codes", frozenset({"DM-5", "DM-6", "CC-SYNC"}),
                 "items are written to ORCID but the put codes ORCID answers are not kept "
                 "(the site's own item numbers are stored in their place)",
                 _forget_put_codes),
        Breakage("error-page-without-support", frozenset({"DM-8"}),
                 "the host's own error page shows what went wrong but no support contact",
                 _error_page_without_support),
        Breakage("bare-ids-on-host-pages", frozenset({"CC-DISPLAY"}),
                 "the host's people and profile pages show the bare 16-digit iD (no iD icon, "
                 "no https://orcid.org/ link)", _bare_ids_on_host_pages),
        Breakage("no-read-limited", frozenset({"CC-COLLECT"}),
                 "the site's orcid.scope leaves out /read-limited, so what the researcher "
                 "shares with trusted organizations is never read into the site",
                 _no_read_limited),
        Breakage("no-activities-update",
                 frozenset({"CC-CONNECT", "CC-SYNC", "DM-5", "DM-6", "BP-5"}),
                 "the site's orcid.scope leaves out /activities/update, so ORCID refuses "
                 "every item the site writes (nothing to keep in step, no put code, no PUT)",
                 _no_activities_update),
        Breakage("unverified-id-token", frozenset({"CC-AUTH"}),
                 "the id_token's claims are read without checking its signature or nonce",
                 _unverified_id_token),
        Breakage("admin-call-log-unreachable", frozenset({"REV-2"}),
                 "no account is granted the add-on's admin permission, so no one can open "
                 "the call log (HTTPS calls, token exchange URI) a reviewer asks for",
                 _admin_call_log_unreachable),
    )
}


def break_app(registry, name: str) -> Breakage:
    """Apply breakage ``name`` to a built app's registry; unknown names are refused."""
    breakage = BREAKAGES.get(name)
    if breakage is None:
        raise ValueError(f"unknown breakage {name!r}; known: {', '.join(sorted(BREAKAGES))}")
    breakage.apply(registry)
    return breakage


def apply(config, name: str) -> Breakage:
    """Apply breakage ``name`` from a host's ``main`` (after including the add-on)."""
    return break_app(config.registry, name)
