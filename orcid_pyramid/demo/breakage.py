"""Deliberately broken configurations of the demo, for the compliance suite's meta-test.

Each breakage is the kind of mistake ORCID's reviewers see, made only through the add-on's
public seams (its settings object, its registry utilities, asset overrides) or the host's own
(the session factory), never by editing the add-on. The meta-test runs the compliance
features against each and checks that exactly the checklist IDs listed here fail.

Use: ``break_app(app.registry, "non-root-token-url")`` on a built app (the suite's
``--orcid-breakage NAME``), or ``apply(config, name)`` from a host's ``main`` after
``config.include("orcid_pyramid")``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace

#: the registry key the compliance suite's sync worker takes its client factory from
SYNC_CLIENT_FACTORY = "orcid.sync.client_factory"
NOSIGNOUT_TEMPLATE = "orcid_pyramid:compliance/templates/breakage/connect_nosignout.jinja2"


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
    registry.orcid_settings = settings


def _rebuild_client(registry, *, token_url: str | None = None, call_sink="keep") -> None:
    """A new app client like the add-on's own, with one thing changed."""
    from orcid_pyramid.client.endpoints import Endpoints
    from orcid_pyramid.client.oauth import OrcidClient

    settings = registry["orcid.settings"]
    old = registry["orcid.client"]
    endpoints = Endpoints(settings.base_url, settings.api_url, token_url or settings.token_url)
    registry["orcid.client"] = OrcidClient(
        endpoints, settings.client_id, settings.client_secret,
        redirect_uri=settings.redirect_uri, timeout=settings.timeout,
        call_sink=registry.get("orcid.call_sink") if call_sink == "keep" else call_sink,
        session=old.transport.session if hasattr(old.transport, "session") else None,
        body_limit=settings.call_log_body_limit,
    )


def _http_redirect_uri(registry) -> None:
    _swap_settings(registry, redirect_uri="http://demo.example.org/orcid/callback")


def _non_root_token_url(registry) -> None:
    token_url = registry["orcid.settings"].api_url + "/oauth/token"
    _swap_settings(registry, token_url=token_url)
    _rebuild_client(registry, token_url=token_url)


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
    from orcid_pyramid.sync.worker import default_client_factory

    make = default_client_factory(registry["orcid.settings"])

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

    registry[SYNC_CLIENT_FACTORY] = factory


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


#: what the broken worker records instead of ORCID's put code: ORCID never issues 0, and the
#: add-on's put-code column takes only numbers, so 0 stands for "not kept"
FORGOTTEN_PUT_CODE = 0


def _forget_put_codes(registry) -> None:
    from orcid_pyramid.sync.worker import default_client_factory

    make = default_client_factory(registry["orcid.settings"])

    def factory(call_sink, rate_limiter):
        client = make(call_sink, rate_limiter)
        member = client.member

        def forgetful_member(*args, **kwargs):
            api = member(*args, **kwargs)
            create, create_works = api.create, api.create_works

            def forget_one(kind, item):
                # the mistake: the item is written but the put code ORCID answers is dropped
                create(kind, item)
                return FORGOTTEN_PUT_CODE

            def forget_bulk(items):
                return [result if isinstance(result, Exception) else FORGOTTEN_PUT_CODE
                        for result in create_works(items)]

            api.create, api.create_works = forget_one, forget_bulk
            return api

        client.member = forgetful_member
        return client

    registry[SYNC_CLIENT_FACTORY] = factory


BREAKAGES = {
    b.name: b for b in (
        Breakage("http-redirect-uri", frozenset({"DM-2"}),
                 "the redirect URI sent to ORCID is plain http on a public host",
                 _http_redirect_uri),
        Breakage("non-root-token-url", frozenset({"DM-3"}),
                 "the code is exchanged at the API host's token URL", _non_root_token_url),
        Breakage("no-call-log", frozenset({"DM-7"}),
                 "the app's ORCID client has no call-log hook", _no_call_log),
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
        Breakage("no-revoke-on-disconnect", frozenset({"BP-3"}),
                 "disconnecting deletes the site's data but never revokes the token at ORCID",
                 _no_revoke_on_disconnect),
        Breakage("reask-permissions", frozenset({"BP-4"}),
                 "connecting always sends the user to ORCID, even with a live permission that "
                 "covers the scopes", _reask_permissions),
        Breakage("forget-put-codes", frozenset({"DM-5"}),
                 "items are written to ORCID but the put codes ORCID answers are not kept",
                 _forget_put_codes),
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
