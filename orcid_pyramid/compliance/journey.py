"""A researcher's visit to the site through WebTest, and what the add-on stored for them.

The compliance steps are thin; the how-to of each user action lives here: sign in, start
connecting (read the authorize URL from the connect page), approve on ORCID (the emulator's
control API stands in for the researcher's click; against the live sandbox the researcher signs
in on ORCID's pages in Chromium), come back to the callback, disconnect.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from .site import Researcher, Site, local_path, query_params

_AUTHORIZE_ATTR = re.compile(r'data-authorize-url="([^"]+)"')
_META_REFRESH = re.compile(r'http-equiv="refresh"[^>]*content="\d+;\s*url=([^"]+)"', re.I)
_CONTINUE_LINK = re.compile(r'id="orcid-continue"[^>]*href="([^"]+)"|href="([^"]+)"[^>]*'
                            r'id="orcid-continue"')


@dataclass
class Authorize:
    """The authorize URL the site sent the browser to, taken apart."""

    url: str
    params: dict[str, str] = field(default_factory=dict)
    signout_url: str | None = None

    @property
    def state(self) -> str | None:
        """The ``state`` parameter (None when the site sent none)."""
        return self.params.get("state")


@dataclass
class Journey:
    """One researcher's browser-less session on the site."""

    site: Site
    researcher: Researcher
    app: Any
    response: Any = None
    authorize: Authorize | None = None
    callback_url: str | None = None
    first_response: Any = None
    mark: int = 0
    #: put codes the site stored for each section as items were sent (kept after removal)
    put_codes: dict[str, int] = field(default_factory=dict)
    #: the webhook the site registered at ORCID, the site's answer to it, the events it raised
    webhook_url: str | None = None
    webhook_status: int | None = None
    events: list = field(default_factory=list)

    def sign_in(self) -> None:
        """Sign in to the site as the researcher."""
        self.site.sign_in(self.app, self.researcher)

    def start_connect(self) -> Authorize:
        """Open the connect route and read where the site sends the browser."""
        response = self.app.get(self.site.path("orcid.connect"), status="*")
        self.response = response
        if response.status_int in (301, 302, 303, 307):
            location = response.headers["Location"]
            self.authorize = Authorize(location, query_params(location))
            return self.authorize
        assert response.status_int == 200, f"connect answered {response.status}"
        self.authorize = authorize_from_page(response.text)
        return self.authorize

    def approve(self, orcid: str | None = None, state: str | None = None) -> str:
        """The researcher signs in to ORCID and authorizes: the redirect back to the site.

        ``state`` replaces the state ORCID sends back (a tampered callback)."""
        auth = self.authorize
        assert auth is not None, "start connecting first"
        params = auth.params
        if self.site.sandbox is None:
            assert self.site.orcid_sign_in is not None, "this site has no way to sign in to ORCID"
            assert orcid in (None, self.researcher.orcid), (
                "only the emulator can approve as another researcher")
            url = self.site.orcid_sign_in(auth.url, self.researcher, False)
            self.callback_url = url if state is None else with_query(url, state=state)
            return self.callback_url
        self.callback_url = self.site.sandbox.authorize(
            orcid or self.researcher.orcid,
            params["client_id"],
            params["scope"],
            params["redirect_uri"],
            state if state is not None else params.get("state"),
            params.get("nonce"),
        )
        return self.callback_url

    def callback(self, url: str | None = None):
        """Follow ORCID's redirect back to the site's callback."""
        target = url or self.callback_url
        assert target, "no redirect from ORCID to follow"
        self.response = self.app.get(local_path(target), status="*")
        if self.response.status_int in (302, 303):
            learn_orcid(self.site, self.researcher)
        return self.response

    def connect(self):
        """The whole connect flow; fails when the site does not end up connected."""
        self.start_connect()
        self.approve()
        response = self.callback()
        assert response.status_int in (302, 303), (
            f"the callback answered {response.status}: {_text(response)[:300]}")
        return response

    def open(self, route_name: str):
        """GET one of the site's routes (any status)."""
        self.response = self.app.get(self.site.path(route_name), status="*")
        return self.response

    def disconnect(self):
        """Press Disconnect on the ORCID panel (the form carries the CSRF token)."""
        panel = self.open("orcid.panel")
        form = next((f for f in panel.forms.values()
                     if self.site.path("orcid.disconnect") in (f.action or "")), None)
        assert form is not None, "the ORCID panel has no disconnect form"
        self.response = form.submit(status="*")
        if self.response.status_int in (302, 303):
            self.response = self.response.follow(status="*")
        return self.response


def learn_orcid(site: Site, researcher: Researcher) -> None:
    """The live sandbox's researcher, when ``ORCID_SANDBOX_ORCID`` was not given: take the iD
    of the first connection (later steps and scenarios check against it)."""
    if researcher.orcid is None:
        link = link_of(site, researcher.user_id)
        if link is not None:
            researcher.orcid = link.orcid


def with_query(url: str, **values: str) -> str:
    """``url`` with some query parameters replaced."""
    from urllib.parse import urlencode

    parts = urlsplit(url)
    params = dict(parse_qsl(parts.query, keep_blank_values=True))
    params.update(values)
    return parts._replace(query=urlencode(params)).geturl()


def authorize_from_page(text: str) -> Authorize:
    """The authorize URL on the connect page (interstitial attribute, link or meta refresh)."""
    found = _AUTHORIZE_ATTR.search(text)
    url = found.group(1) if found else None
    if url is None:
        link = _CONTINUE_LINK.search(text)
        url = (link.group(1) or link.group(2)) if link else None
    if url is None:
        refresh = _META_REFRESH.search(text)
        url = refresh.group(1) if refresh else None
    assert url, "the connect page carries no ORCID authorize URL"
    url = html.unescape(url)
    signout = re.search(r'data-signout-url="([^"]+)"', text)
    return Authorize(url, query_params(url), html.unescape(signout.group(1)) if signout else None)


def link_of(site: Site, user_id: str):
    """The researcher's stored :class:`OrcidLink`, or None."""
    from sqlalchemy import select

    from orcid_pyramid.models import OrcidLink

    with site.db() as db:
        query = select(OrcidLink).where(OrcidLink.user_id == user_id)
        return db.execute(query).scalar_one_or_none()


def calls_of(site: Site, user_id: str | None = None) -> list:
    """The call-log rows (all, or one user's), oldest first."""
    from sqlalchemy import select

    from orcid_pyramid.models import OrcidCall

    query = select(OrcidCall).order_by(OrcidCall.id)
    if user_id is not None:
        query = query.where(OrcidCall.user_id == user_id)
    with site.db() as db:
        return list(db.execute(query).scalars())


def issued_tokens(site: Site, orcid: str | None = None) -> list:
    """The tokens the in-process emulator issued to the site's client (for ``orcid``)."""
    state = site.sandbox_state
    if state is None:
        return []
    client_id = site.settings.client_id
    with state.lock:
        return [t for t in state.tokens.values()
                if t.client_id == client_id and (orcid is None or t.orcid == orcid)]


def known_tokens(site: Site, user_id: str | None = None) -> list[str]:
    """Every plain token value the suite can know: those the in-process emulator issued, and
    the site's stored tokens decrypted with its own key (the only source on the live sandbox)."""
    from sqlalchemy import select

    from orcid_pyramid.models import OrcidLink

    values = [value for token in issued_tokens(site) for value in (token.access_token,
                                                                    token.refresh_token)]
    cipher = site.registry["orcid.cipher"]
    query = select(OrcidLink)
    if user_id is not None:
        query = query.where(OrcidLink.user_id == user_id)
    with site.db() as db:
        for link in db.execute(query).scalars():
            for stored in (link.access_token_enc, link.refresh_token_enc):
                if stored:
                    try:
                        values.append(cipher.decrypt(stored))
                    except Exception:  # noqa: BLE001 - a value the key cannot read is no token
                        continue
    return [value for value in dict.fromkeys(values) if value]


def _text(response) -> str:
    try:
        return response.text
    except (AttributeError, UnicodeDecodeError):
        return ""
