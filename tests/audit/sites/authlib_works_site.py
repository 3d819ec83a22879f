"""A small Flask site that connects researchers' ORCID records with Authlib's Flask client:
nobody here wrote its OAuth (Authlib builds the authorize URL, keeps and checks the state,
exchanges the code and signs the API calls). It reaches the emulator through its own
documented settings (``authorize_url``, ``access_token_url``, ``api_base_url``) and trusts
the emulator's CA through ``REQUESTS_CA_BUNDLE``.

Written as ORCID's guidelines ask: it asks for ``/read-limited /activities/update``, pre-fills
the researcher's names and email, forces a fresh ORCID sign-in (``prompt=login``), reads the
record, adds a work and updates it through its put code, revokes the grant on disconnect, and
explains failures with a contact. A reviewer would pass every line that shows from outside.
"""

from __future__ import annotations

import json
import secrets

import requests
from authlib.integrations.flask_client import OAuth
from flask import Flask, redirect, render_template_string, session

SUPPORT = "orcid-help@works-site.example"
SCOPE = "/read-limited /activities/update"
USER = {"given_names": "Grace", "family_names": "Hopper", "email": "grace@works-site.example"}
ORCID_JSON = {"Accept": "application/vnd.orcid+json",
              "Content-Type": "application/vnd.orcid+json"}
WORK = {"title": {"title": {"value": "A compiler for business programs"}},
        "type": "journal-article",
        "external-ids": {"external-id": [{
            "external-id-type": "doi", "external-id-value": "10.5555/flow-matic",
            "external-id-relationship": "self"}]}}

ICON = ('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><circle cx="8" cy="8" '
        'r="8" fill="#A6CE39"/></svg>')
PAGE = """<!doctype html><title>Works site</title>
<h1>{{ heading }}</h1>
{% if message %}<p class="message">{{ message }}</p>
{% if not careless %}<p>Questions? Contact {{ support }}.</p>{% endif %}{% endif %}
{% if user and (careless or not linked) %}
<p><a id="connect" href="/orcid/connect">Connect your ORCID iD</a></p>{% endif %}
{% if linked and careless %}<p>{{ linked.name }} ({{ linked.orcid }})</p>{% endif %}
{% if linked %}
{% if not careless %}<p>{{ linked.name }}
<img src="/orcid-id.svg" alt="ORCID iD icon" width="16" height="16"><a
 href="https://sandbox.orcid.org/{{ linked.orcid }}">https://sandbox.orcid.org/{{
 linked.orcid }}</a>
</p>{% endif %}
<form method="post" action="/works"><button id="add-work">Add my paper to ORCID</button></form>
<form method="post" action="/works/update"><button id="update-work">Fix its title</button></form>
<form method="post" action="/disconnect"><button id="disconnect">Disconnect ORCID</button></form>
{% endif %}
{% if not user %}<form method="post" action="/login"><label>Your name
<input name="username" id="username"></label><button id="login">Sign in</button></form>
{% endif %}"""


def make_app(client_id: str, client_secret: str, orcid_url: str, api_url: str,
             careless: bool = False) -> Flask:
    """The site, configured with the emulator's addresses; ``REDIRECT_URI`` set once served.

    ``careless`` makes the mistakes reviewers see most (the negative control of the audit's
    checks): an unused ``/person/update`` scope, no pre-fill and no forced sign-in, error
    pages without a contact, the bare iD without link or icon, the connect control still
    offered when connected, and an update sent as a second POST."""
    app = Flask(__name__)
    app.secret_key = secrets.token_bytes(16)
    oauth = OAuth(app)
    oauth.register(
        "orcid", client_id=client_id, client_secret=client_secret,
        authorize_url=f"{orcid_url}/oauth/authorize",
        access_token_url=f"{orcid_url}/oauth/token",
        api_base_url=f"{api_url}/v3.0/",
        client_kwargs={"scope": SCOPE + (" /person/update" if careless else ""),
                       "token_endpoint_auth_method": "client_secret_post"})
    links: dict[str, dict] = {}

    def page(heading: str, message: str = "", status: int = 200):
        user = session.get("user")
        return render_template_string(PAGE, heading=heading, message=message, user=user,
                                      linked=links.get(user or ""), support=SUPPORT,
                                      careless=careless), status

    @app.route("/")
    def home():
        return page("Welcome")

    @app.post("/login")
    def login():
        from flask import request

        session["user"] = request.form.get("username", "").strip() or "grace"
        return redirect("/profile")

    @app.route("/orcid-id.svg")
    def icon():
        return ICON, 200, {"Content-Type": "image/svg+xml"}

    @app.route("/profile")
    def profile():
        return page("Your profile")

    @app.route("/orcid/connect")
    def connect():
        if careless:
            return oauth.orcid.authorize_redirect(app.config["REDIRECT_URI"])
        return oauth.orcid.authorize_redirect(app.config["REDIRECT_URI"], prompt="login",
                                              **USER)

    @app.route("/orcid/callback")
    def callback():
        try:
            token = oauth.orcid.authorize_access_token()
        except Exception:  # noqa: BLE001 - Authlib's errors and requests' alike
            return page("Not connected", "ORCID did not connect your record.", 400)
        response = oauth.orcid.get(f"{token['orcid']}/person", token=token,
                                   headers={"Accept": ORCID_JSON["Accept"]})
        if response.status_code != 200:
            return page("ORCID is not available", "We could not read your record.", 503)
        name = response.json().get("name") or {}
        links[session["user"]] = {"orcid": token["orcid"], "token": token, "put_code": None,
                                  "name": (name.get("given-names") or {}).get("value", "")}
        return redirect("/profile")

    @app.post("/works")
    def add_work():
        link = links[session["user"]]
        response = oauth.orcid.post(f"{link['orcid']}/work", data=json.dumps(WORK),
                                    headers=ORCID_JSON, token=link["token"])
        if response.status_code == 201:
            link["put_code"] = response.headers["Location"].rsplit("/", 1)[-1]
        return redirect("/profile")

    @app.post("/works/update")
    def update_work():
        link = links[session["user"]]
        changed = dict(WORK, title={"title": {"value": "The A-0 compiler"}})
        if careless:
            oauth.orcid.post(f"{link['orcid']}/work", data=json.dumps(changed),
                             headers=ORCID_JSON, token=link["token"])
            return redirect("/profile")
        changed["put-code"] = int(link["put_code"])
        oauth.orcid.put(f"{link['orcid']}/work/{link['put_code']}", data=json.dumps(changed),
                        headers=ORCID_JSON, token=link["token"])
        return redirect("/profile")

    @app.post("/disconnect")
    def disconnect():
        link = links.pop(session.get("user", ""), None)
        if link:
            requests.post(f"{orcid_url}/oauth/revoke", timeout=10, data={
                "client_id": client_id, "client_secret": client_secret,
                "token": link["token"]["access_token"]})
        return redirect("/profile")

    return app
