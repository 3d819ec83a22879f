"""A small ``requests`` client for the emulator's control API (``/_emulator/``), for tests."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlencode

import requests


class ControlError(Exception):
    """A control call failed; ``status`` and ``body`` say how."""

    def __init__(self, status: int, body: Any) -> None:
        super().__init__(f"control call failed: {status} {body}")
        self.status = status
        self.body = body


class EmulatorControl:
    """One method per control call. ``base_url`` is the emulator root (no ``/_emulator``)."""

    def __init__(self, base_url: str, session: requests.Session | None = None,
                 timeout: float = 10.0, verify: str | bool | None = None) -> None:
        """``verify``: the CA file of an emulator serving HTTPS (default: requests' own). It is
        passed with every call: requests would otherwise prefer ``REQUESTS_CA_BUNDLE`` to the
        session's ``verify``."""
        self.base_url = base_url.rstrip("/")
        self.session = session or requests.Session()
        if verify is not None:
            self.session.verify = verify
        self.verify = verify
        self.timeout = timeout

    def _call(self, method: str, path: str, json: Any = None, expect=(200, 201, 204)) -> Any:
        response = self.session.request(method, f"{self.base_url}/_emulator/{path}", json=json,
                                        timeout=self.timeout, verify=self.verify)
        body = response.json() if response.content and response.headers.get(
            "Content-Type", "").startswith("application/json") else None
        if response.status_code not in expect:
            raise ControlError(response.status_code, body if body is not None else response.text)
        return body

    def reset(self) -> dict:
        """Forget everything, back to the seed."""
        return self._call("POST", "reset")

    def clients(self) -> list[dict]:
        """Registered clients (without secrets)."""
        return self._call("GET", "clients")["clients"]

    def add_client(self, client_id: str | None = None, client_secret: str | None = None,
                   redirect_uris: list[str] | None = None, member: bool = True,
                   premium: bool = False, name: str | None = None) -> dict:
        """Register a client; returns it with its ``client_secret``."""
        body = {"client_id": client_id, "client_secret": client_secret,
                "redirect_uris": redirect_uris or [], "member": member, "premium": premium,
                "name": name}
        return self._call("POST", "clients", {k: v for k, v in body.items() if v is not None})

    def add_user(self, given_names: str, family_names: str | None, email: str, password: str,
                 orcid: str | None = None, **options: Any) -> str:
        """Create a record; returns its iD.

        ``options`` are the optional record fields: ``credit_name``, ``biography``,
        ``locale``; ``name_visibility``, ``biography_visibility``, ``default_visibility``,
        ``email_visibility`` ("public", "limited", "registered-only", "private");
        ``email_verified``, ``locked``, ``deactivated`` (bools); ``deprecated_to`` (an iD);
        ``emails`` (more addresses: strings or ``{"email", "verified", "primary",
        "visibility"}`` dicts).
        """
        body = {"given_names": given_names, "family_names": family_names, "email": email,
                "password": password, "orcid": orcid, **options}
        return self._call("POST", "users", {k: v for k, v in body.items() if v is not None})[
            "orcid"]

    def add_item(self, orcid: str, section: str, item: dict,
                 source_client_id: str | None = None, visibility: str | None = None) -> int:
        """Put an item (the API's JSON shape) on a record, as the researcher or, with
        ``source_client_id``, as that client; returns its put code."""
        body = {"item": item, "source_client_id": source_client_id, "visibility": visibility}
        return self._call("POST", f"records/{orcid}/items/{quote(section)}",
                          {k: v for k, v in body.items() if v is not None})["put_code"]

    def authorize(self, orcid: str, client_id: str, scope: str, redirect_uri: str,
                  state: str | None = None, nonce: str | None = None,
                  response_type: str | None = None) -> str:
        """As if ``orcid`` signed in and approved; returns the redirect URL with the code (or,
        for an implicit ``response_type``, the token in its fragment)."""
        body = {"orcid": orcid, "client_id": client_id, "scope": scope,
                "redirect_uri": redirect_uri, "state": state, "nonce": nonce,
                "response_type": response_type}
        return self._call("POST", "authorize", {k: v for k, v in body.items()
                                                if v is not None})["redirect"]

    def record(self, orcid: str) -> dict:
        """The whole record with every item, put code and source."""
        return self._call("GET", f"records/{orcid}")

    def delete_item(self, orcid: str, section: str, put_code: int) -> None:
        """The user deletes an item on ORCID."""
        self._call("DELETE", f"records/{orcid}/{quote(section)}/{int(put_code)}")

    def edit_item(self, orcid: str, section: str, put_code: int, item: dict | None = None,
                  visibility: str | None = None) -> dict:
        """The user edits an item on ORCID (new content and/or visibility); returns it."""
        body = {"item": item, "visibility": visibility}
        return self._call("PUT", f"records/{orcid}/{quote(section)}/{int(put_code)}",
                          {k: v for k, v in body.items() if v is not None})

    def revoke(self, orcid: str, client_id: str) -> int:
        """The user revokes the client's access; returns how many tokens died."""
        return self._call("POST", f"records/{orcid}/revoke/{quote(client_id)}")["revoked"]

    def set_faults(self, rate: float, kinds: list[str] | None = None, seed: int = 0,
                   timeout_s: float | None = None,
                   timeout_seconds: float | None = None) -> dict:
        """Inject failures into API and token calls (rate 0 switches them off);
        ``timeout_seconds`` (or the older ``timeout_s``): how long a ``timeout`` holds."""
        body: dict = {"rate": rate, "kinds": kinds or [], "seed": seed}
        timeout = timeout_seconds if timeout_seconds is not None else timeout_s
        if timeout is not None:
            body["timeout_seconds"] = timeout
        return self._call("PUT", "faults", body)

    def faults(self) -> dict:
        """The current fault settings."""
        return self._call("GET", "faults")

    def set_latency(self, ms: float, connect_ms: float | None = None) -> dict:
        """The least time an API or token call takes (handled at once, answered after it);
        ``connect_ms``: over HTTPS, how long a new connection waits before its TLS handshake
        (the round trips of opening a connection to ORCID; left as it is when None)."""
        body: dict[str, float] = {"ms": ms}
        if connect_ms is not None:
            body["connect_ms"] = connect_ms
        return self._call("PUT", "latency", body)

    def set_rate_limit(self, rate_limit: Any = ..., public_rate_limit: Any = ...) -> dict:
        """Switch the member API's per-client rate limit (``"24/40"``, or None to disable)
        and/or the public API's (``"12/40"``); a limit not given is kept."""
        body = {key: value for key, value in (("rate_limit", rate_limit),
                                              ("public_rate_limit", public_rate_limit))
                if value is not ...}
        return self._call("PUT", "ratelimit", body)

    def calls(self, since: int | float | str = 0, limit: int | None = None) -> list[dict]:
        """Requests the emulator received since the last reset (the newest 10,000 are kept):
        from call index ``since`` (an int), or from a time (epoch seconds as a float, or an
        ISO 8601 string); at most the oldest ``limit`` of them."""
        return self.calls_page(since, limit)["calls"]

    def calls_page(self, since: int | float | str = 0, limit: int | None = None) -> dict:
        """``{"calls": [...], "next": index of the next call}`` (page with ``since=next``)."""
        params = {"since": since if isinstance(since, str) else
                  repr(float(since)) if isinstance(since, float) else str(int(since))}
        if limit is not None:
            params["limit"] = str(int(limit))
        return self._call("GET", f"calls?{urlencode(params)}")

    def webhooks(self) -> dict:
        """Registered webhooks and delivery attempts."""
        return self._call("GET", "webhooks")

    def errors(self) -> list[str]:
        """Unexpected exceptions the emulator caught (a bug when not empty)."""
        return self._call("GET", "errors")["errors"]
