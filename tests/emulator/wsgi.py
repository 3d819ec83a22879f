"""In-process helpers for emulator tests (WebTest against a fresh emulator app)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import webtest

from orcid_pyramid.emulator import make_app, seed

REDIRECT = "http://127.0.0.1:9/callback"


class InProcess:
    """A fresh emulator app wrapped in WebTest, with a helper that gets user tokens."""

    def __init__(self, **options) -> None:
        options.setdefault("seed", "demo")
        options.setdefault("rate_limit", None)
        options.setdefault("public_rate_limit", None)
        self.app = make_app(**options)
        self.web = webtest.TestApp(self.app)

    @property
    def state(self):
        return self.app.state

    def token(self, scope: str = "/read-limited /activities/update /person/update",
              orcid: str = seed.DEMO_ORCID, client_id: str = seed.DEMO_CLIENT_ID,
              secret: str = seed.DEMO_CLIENT_SECRET) -> dict:
        """Authorize through the control API and exchange the code; the token response."""
        redirect = self.web.post_json("/_emulator/authorize", {
            "orcid": orcid, "client_id": client_id, "scope": scope,
            "redirect_uri": REDIRECT}).json["redirect"]
        code = parse_qs(urlsplit(redirect).query)["code"][0]
        return self.web.post("/oauth/token", {
            "client_id": client_id, "client_secret": secret, "code": code,
            "grant_type": "authorization_code", "redirect_uri": REDIRECT}).json

    def client_token(self, scope: str = "/webhook") -> str:
        """A client-credentials token of the demo client."""
        return self.web.post("/oauth/token", {
            "client_id": seed.DEMO_CLIENT_ID, "client_secret": seed.DEMO_CLIENT_SECRET,
            "grant_type": "client_credentials", "scope": scope}).json["access_token"]

    def close(self) -> None:
        self.app.close()
