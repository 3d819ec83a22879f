"""``--orcid-live``: the bundled demo site against the live ORCID sandbox.

There is no control API on the live sandbox, so what the emulated runs read from the emulator
comes from elsewhere:

- the researcher approves in Chromium on ORCID's own pages (:mod:`.orcid_pages`), signing in
  with a sandbox account's email and password;
- "what ORCID received" is the site's own call log, observed row by row as the add-on writes it
  (:class:`LoggedCalls`), so rows the site deletes later (disconnect) still count;
- the researcher's record is read back through the member API with the site's stored token.

Scenarios that stage ORCID-side events (an outage, a revocation, another source's work) are
tagged ``@emulator-only`` and skip with that reason.

Environment:
  ``ORCID_CLIENT_ID``, ``ORCID_CLIENT_SECRET``   sandbox member API credentials (required)
  ``ORCID_SANDBOX_EMAIL``, ``ORCID_SANDBOX_PASSWORD``  a sandbox researcher (required)
  ``ORCID_SANDBOX_ORCID``      that researcher's iD: the stored iD is checked against it
                               (without it, the iD is taken from the first connection)
  ``ORCID_SANDBOX_GIVEN_NAMES``, ``ORCID_SANDBOX_FAMILY_NAMES``  the names the site pre-fills
  ``ORCID_REDIRECT_URI``       the redirect URI registered for the client
                               (default ``https://127.0.0.1/orcid/callback``; the browser hands
                               ORCID's redirect to the site, nothing needs to listen there)
  ``ORCID_SANDBOX_BASE_URL``, ``ORCID_SANDBOX_API_URL``  other registry and API roots (a
                               rehearsal against a loopback emulator uses these)
"""

from __future__ import annotations

import os
import threading
from typing import Any
from urllib.parse import urlsplit

REQUIRED = ("ORCID_CLIENT_ID", "ORCID_CLIENT_SECRET", "ORCID_SANDBOX_EMAIL",
            "ORCID_SANDBOX_PASSWORD")
DEFAULT_REDIRECT_URI = "https://127.0.0.1/orcid/callback"
DEFAULT_GIVEN_NAMES = "Josiah"
DEFAULT_FAMILY_NAMES = "Carberry"


def missing_variables(environ=None) -> list[str]:
    """The required environment variables that are not set."""
    environ = os.environ if environ is None else environ
    return [name for name in REQUIRED if not environ.get(name)]


def skip_reason(missing: list[str]) -> str:
    """Why a live run cannot start."""
    return ("--orcid-live needs " + ", ".join(missing) + " in the environment "
            "(sandbox member credentials and a sandbox researcher account)")


def researcher_identity(environ=None) -> dict[str, str]:
    """The sandbox researcher's names and email, as the site pre-fills them."""
    environ = os.environ if environ is None else environ
    return {"given_names": environ.get("ORCID_SANDBOX_GIVEN_NAMES") or DEFAULT_GIVEN_NAMES,
            "family_names": environ.get("ORCID_SANDBOX_FAMILY_NAMES") or DEFAULT_FAMILY_NAMES,
            "email": environ.get("ORCID_SANDBOX_EMAIL", "")}


def user_info(request) -> dict:
    """``orcid.user_info`` of the live demo: the sandbox researcher's names and email (ORCID
    shows its registration form for an email it does not know)."""
    if not request.authenticated_userid:
        return {}
    return {**researcher_identity(), "lang": "en"}


def settings_overrides(environ=None) -> dict[str, str]:
    """The demo's settings for the live sandbox (or a rehearsal's loopback emulator)."""
    from orcid_pyramid.lint import is_loopback
    from orcid_pyramid.settings import ENVIRONMENTS

    environ = os.environ if environ is None else environ
    base = (environ.get("ORCID_SANDBOX_BASE_URL") or ENVIRONMENTS["sandbox"][0]).rstrip("/")
    api = (environ.get("ORCID_SANDBOX_API_URL") or ENVIRONMENTS["sandbox"][1]).rstrip("/")
    parts = urlsplit(base)
    # plain http is allowed only for a loopback emulator, and only in its environment (DM-2)
    rehearsal = parts.scheme == "http" and is_loopback(parts.hostname)
    return {
        "orcid.environment": "emulator" if rehearsal else "sandbox",
        "orcid.base_url": base,
        "orcid.api_url": api,
        "orcid.client_id": environ["ORCID_CLIENT_ID"],
        "orcid.client_secret": environ["ORCID_CLIENT_SECRET"],
        "orcid.redirect_uri": environ.get("ORCID_REDIRECT_URI") or DEFAULT_REDIRECT_URI,
        "orcid.user_info": "orcid_pyramid.compliance.live:user_info",
        "orcid.timeout": "30",
    }


class LoggedCalls:
    """Every call-log row the site writes, seen as it is inserted (in any session or thread).

    Each is the shape of the emulator's call record: ``method``, ``host`` (``root``, ``api``,
    ``pub`` or ``other``), ``path`` (from the host's root), ``query``, ``status``, ``url``.
    """

    def __init__(self, engine, settings) -> None:
        self.engine = engine
        self.settings = settings
        self.calls: list[dict] = []
        self._lock = threading.Lock()

    def start(self) -> LoggedCalls:
        from sqlalchemy import event

        from orcid_pyramid.models import OrcidCall

        event.listen(OrcidCall, "after_insert", self._inserted)
        return self

    def stop(self) -> None:
        from sqlalchemy import event

        from orcid_pyramid.models import OrcidCall

        if event.contains(OrcidCall, "after_insert", self._inserted):
            event.remove(OrcidCall, "after_insert", self._inserted)

    def since(self, index: int = 0) -> list[dict]:
        """The calls from ``index`` on."""
        with self._lock:
            return list(self.calls[index:])

    def _inserted(self, _mapper, connection, row) -> None:
        if connection.engine.url != self.engine.url:
            return  # another app's log (a parallel scenario in this process)
        call = describe_call(self.settings, row.method, row.url, row.status)
        with self._lock:
            self.calls.append(call)


def describe_call(settings, method: str, url: str, status: int | None) -> dict:
    """A logged call in the emulator's call-record shape."""
    host, root = "other", ""
    api = settings.api_url
    pub = _pub_url(api)
    for name, prefix in (("api", api), ("pub", pub), ("root", settings.base_url)):
        if prefix and url.startswith(prefix + "/"):
            host, root = name, prefix
            break
    rest = url[len(root):] if root else urlsplit(url).path
    path, _, query = rest.partition("?")
    return {"method": method, "host": host, "path": path, "query": query, "status": status,
            "url": url, "client_id": None}


def _pub_url(api_url: str) -> str:
    parts = urlsplit(api_url)
    if parts.hostname and parts.hostname.startswith("api."):
        return api_url.replace("//api.", "//pub.", 1)
    return api_url.rsplit("/api", 1)[0] + "/pub" if api_url.endswith("/api") else ""


def record_items(site, researcher, kind: str) -> list[dict]:
    """The researcher's items of ``kind`` read through the member API with the site's stored
    token, in the emulator's control shape (``put-code``, ``source-client-id``, ``item``).

    The read is the suite's own: it is not written to the site's call log."""
    from orcid_pyramid.sync.payload import section_name, summaries

    api = _own_api(site, researcher)
    section = section_name(kind)
    found = []
    for summary in summaries(api.read(section), section):
        source = ((summary.get("source") or {}).get("source-client-id") or {}).get("path")
        put_code = summary.get("put-code")
        item = api.read_item(kind, put_code) if source == site.settings.client_id else summary
        found.append({"put-code": put_code, "source-client-id": source, "item": item})
    return found


def read_own(site, researcher, section: str) -> Any:
    """One section of the researcher's record, read by the suite (not in the site's log)."""
    return _own_api(site, researcher).read(section)


def _own_api(site, researcher):
    """The member API with the site's stored token, through a client without a call log."""
    from .journey import link_of

    link = link_of(site, researcher.user_id)
    assert link is not None, "the researcher is not connected: the record cannot be read"
    token = site.registry["orcid.cipher"].decrypt(link.access_token_enc)
    return site.registry["orcid.client_factory"](None, None).member(token, link.orcid)


def revoke_stored_token(site, researcher) -> int:
    """Revoke the researcher's stored access token at ORCID, outside the site (not logged);
    the status ORCID answered."""
    from .journey import link_of

    link = link_of(site, researcher.user_id)
    assert link is not None, "the researcher is not connected"
    status = _revoke(site.settings, site.registry["orcid.cipher"].decrypt(link.access_token_enc))
    assert status == 200, f"ORCID answered the revocation {status}"
    return status


def _revoke(settings, token: str) -> int:
    """Revoke ``token`` at ORCID with the site's client credentials; ORCID's status."""
    import requests

    answer = requests.post(settings.base_url + "/oauth/revoke", timeout=settings.timeout, data={
        "client_id": settings.client_id, "client_secret": settings.client_secret,
        "token": token}, headers={"Accept": "application/json"})
    return answer.status_code


def release_grants(site, researchers=None) -> int:
    """Revoke at ORCID every token the site stored during a scenario (outside the site, not
    logged), so the next scenario meets ORCID without a grant: ORCID skips its authorize page
    for a client that already holds one, and a scenario that denies access needs that page.
    ``researchers`` limits it to those accounts. Returns how many were revoked."""
    from sqlalchemy import select

    from orcid_pyramid.models import OrcidLink

    settings = site.settings
    cipher = site.registry["orcid.cipher"]
    query = select(OrcidLink)
    if researchers is not None:  # an app's database: only the test accounts' links
        query = query.where(OrcidLink.user_id.in_(list(researchers)))
    with site.db() as db:
        stored = [link.access_token_enc for link in db.execute(query).scalars()
                  if link.access_token_enc]
    revoked = 0
    for value in stored:
        try:
            token = cipher.decrypt(value)
        except Exception:  # noqa: BLE001 - a breakage may store what the key cannot read
            token = value
        revoked += _revoke(settings, token) == 200
    return revoked
