"""Helpers for the member API tests: tokens through the control API, a WebTest client on
the emulator's WSGI app, and minimal valid payloads (orcid-facts/bodies.md).

The fixtures built on them (``web``, ``api``, ``other_api``) are in ``conftest.py``.
"""

from __future__ import annotations

import copy
import json
from urllib.parse import parse_qs, urlsplit

from webtest import TestApp

from orcid_pyramid.emulator import seed

ORCID = seed.DEMO_ORCID
CLIENT = seed.DEMO_CLIENT_ID
SECRET = seed.DEMO_CLIENT_SECRET
REDIRECT = "http://127.0.0.1:9/callback"
OTHER_CLIENT = "APP-OTHERCLIENT00002"
JSON = "application/vnd.orcid+json"
XML = "application/vnd.orcid+xml"
ALL_SCOPES = "/read-limited /activities/update /person/update"


def token_for(web: TestApp, control, scope: str, client: str = CLIENT, secret: str = SECRET,
              orcid: str = ORCID) -> str:
    """A user's token: ``/_emulator/authorize`` then the code exchange at ``/oauth/token``."""
    redirect = control.authorize(orcid, client, scope, REDIRECT)
    code = parse_qs(urlsplit(redirect).query)["code"][0]
    answer = web.post("/oauth/token", {"client_id": client, "client_secret": secret,
                                       "grant_type": "authorization_code", "code": code,
                                       "redirect_uri": REDIRECT},
                      headers={"Accept": "application/json"})
    return answer.json["access_token"]


def public_token(web: TestApp, client: str = CLIENT, secret: str = SECRET) -> str:
    """A ``/read-public`` client-credentials token."""
    answer = web.post("/oauth/token", {"client_id": client, "client_secret": secret,
                                       "grant_type": "client_credentials",
                                       "scope": "/read-public"},
                      headers={"Accept": "application/json"})
    return answer.json["access_token"]


class Api:
    """Calls ``/api/v3.0/{orcid}/...`` with a bearer token; JSON unless told otherwise."""

    def __init__(self, web: TestApp, token: str | None, orcid: str = ORCID,
                 prefix: str = "/api") -> None:
        self.web, self.token, self.orcid, self.prefix = web, token, orcid, prefix

    def url(self, path: str) -> str:
        """The full path of a call on this record."""
        return f"{self.prefix}/v3.0/{self.orcid}/{path}".rstrip("/")

    def headers(self, accept: str | None = JSON, content_type: str | None = None) -> dict:
        """Authorization, Accept and Content-Type headers."""
        headers = {}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        if accept:
            headers["Accept"] = accept
        if content_type:
            headers["Content-Type"] = content_type
        return headers

    def get(self, path: str, status: int = 200, accept: str | None = JSON):
        """GET; asserts the status."""
        return self.web.get(self.url(path), headers=self.headers(accept), status=status)

    def send(self, method: str, path: str, body, status: int, content_type: str = JSON,
             accept: str | None = JSON):
        """POST/PUT a dict (as JSON) or bytes/str (as is); asserts the status."""
        if isinstance(body, dict):
            body = json.dumps(body)
        if isinstance(body, str):
            body = body.encode("utf-8")
        return self.web.request(self.url(path), method=method, body=body, status=status,
                                headers=self.headers(accept, content_type))

    def post(self, path: str, body, status: int = 201, **kw):
        """POST; asserts the status."""
        return self.send("POST", path, body, status, **kw)

    def put(self, path: str, body, status: int = 200, **kw):
        """PUT; asserts the status."""
        return self.send("PUT", path, body, status, **kw)

    def delete(self, path: str, status: int = 204):
        """DELETE; asserts the status."""
        return self.web.delete(self.url(path), headers=self.headers(), status=status)

    def create(self, section: str, body: dict) -> int:
        """POST an item and return the put code from the ``Location`` header."""
        answer = self.post(section, body)
        return int(answer.headers["Location"].rsplit("/", 1)[1])


def error_of(answer) -> dict:
    """The five-key JSON error body of a response."""
    return answer.json


def ext_id(value: str, kind: str = "doi", relationship: str = "self") -> dict:
    """One external identifier."""
    return {"external-id-type": kind, "external-id-value": value,
            "external-id-url": {"value": f"https://doi.org/{value}"},
            "external-id-relationship": relationship}


def work(title: str = "A study", doi: str = "10.1000/xyz1", kind: str = "journal-article",
         **extra) -> dict:
    """A minimal valid work (orcid-facts/bodies.md#works)."""
    body = {"title": {"title": {"value": title}}, "type": kind,
            "external-ids": {"external-id": [ext_id(doi)]}}
    body.update(extra)
    return body


ORG = {"name": "Boston University",
       "address": {"city": "Boston", "region": "MA", "country": "US"},
       "disambiguated-organization": {
           "disambiguated-organization-identifier": "https://ror.org/05qwgg493",
           "disambiguation-source": "ROR"}}


def date(year: str, month: str | None = None, day: str | None = None) -> dict:
    """A fuzzy date object."""
    out = {"year": {"value": year}}
    if month:
        out["month"] = {"value": month}
    if day:
        out["day"] = {"value": day}
    return out


def affiliation(**extra) -> dict:
    """A minimal valid employment (or any affiliation) (orcid-facts/bodies.md#affiliations)."""
    body = {"department-name": "Dept", "role-title": "Professor",
            "start-date": date("2020", "01", "01"), "organization": copy.deepcopy(ORG)}
    body.update(extra)
    return body


def funding(**extra) -> dict:
    """A minimal valid funding (orcid-facts/bodies.md#fundings)."""
    body = {"type": "grant", "title": {"title": {"value": "Grant title"}},
            "external-ids": {"external-id": [ext_id("G-1", "grant_number")]},
            "organization": copy.deepcopy(ORG)}
    body.update(extra)
    return body


def peer_review() -> dict:
    """A minimal valid peer review."""
    return {"reviewer-role": "reviewer",
            "review-identifiers": {"external-id": [ext_id("R-1", "source-work-id")]},
            "review-type": "review", "review-completion-date": date("2012", "04", "14"),
            "review-group-id": "issn:1741-4857", "convening-organization": copy.deepcopy(ORG)}


def research_resource() -> dict:
    """A minimal valid research resource."""
    return {"proposal": {"title": {"title": {"value": "Proposal"}},
                         "hosts": {"organization": [copy.deepcopy(ORG)]},
                         "external-ids": {"external-id": [ext_id("P-1", "proposal-id")]}},
            "resource-item": [{"resource-name": "Laser", "resource-type": "infrastructures",
                               "hosts": {"organization": [copy.deepcopy(ORG)]},
                               "external-ids": {"external-id": [ext_id("L-1", "rrid")]}}]}


PERSON_ITEMS = {
    "other-names": {"content": "J. Carberry"},
    "keywords": {"content": "potatoes"},
    "researcher-urls": {"url-name": "Home", "url": {"value": "https://example.org/jc"}},
    "external-identifiers": {"external-id-type": "Scopus Author ID",
                             "external-id-value": "1234",
                             "external-id-url": {"value": "https://example.org/1234"},
                             "external-id-relationship": "self"},
    "address": {"country": {"value": "US"}},
}
